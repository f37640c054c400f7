// Linear probes on activations: the study's logistic regression, a converged L2 logistic regression, mass-mean,
// mass-mean-iid and CCS, plus per-layer sweeps split by pair. Optimisers (AdamW, L-BFGS) and the kinds' building blocks
// stay behind their files.
export * from './types';
export { trainProbe, PROBE_TRAINERS, type ProbeFn } from './train';
export { accuracy, confusion } from './common';
export { trainLrRecipe, trainLogistic } from './logistic';
export { trainMassMean, trainMassMeanIid } from './massmean';
export type { MassMeanIidOptions } from './massmean';
export { trainCcs } from './ccs';
export { probeSweep, probeLayer, splitPairs } from './sweep';
export type { LayerProbeResult, ProbeLayerOptions, ProbeSweepOptions } from './sweep';
export { clopperPearson, accuracyInterval, type Interval } from './interval';
