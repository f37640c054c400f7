// Linear probes on activations: the study's logistic regression, a converged L2 logistic regression, mass-mean,
// mass-mean-iid and CCS, plus per-layer sweeps split by pair.
export * from './types';
export { trainProbe, PROBE_TRAINERS, type ProbeFn } from './train';
export { accuracy, confusion, linearScores, classMeans, makeProbe } from './common';
export { trainLrRecipe, trainLogistic, linearInit, AdamW, lbfgs } from './logistic';
export { trainMassMean, trainMassMeanIid, massMeanIidDirection, classCentred } from './massmean';
export type { MassMeanIidOptions } from './massmean';
export { trainCcs, pairRows } from './ccs';
export { probeSweep, probeLayer, splitPairs } from './sweep';
export type { LayerProbeResult, ProbeLayerOptions, ProbeSweepOptions } from './sweep';
export { clopperPearson, accuracyInterval, type Interval } from './interval';
