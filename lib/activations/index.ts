// The activations stage: extraction of many pairs into a resumable on-disk store, and its readers.
export { extractActivations, manifestDifferences, pairsDigest, codeVersion } from './extract';
export type { PairTexts, ExtractOptions, ExtractProgress, ExtractSummary } from './extract';
export { ActivationStore, openActivationStore, activationFileName } from './store';
export type { ActivationManifest, LabelledMatrix, PairSide } from './store';
export { PreallocatedNpy, checkPreallocatedNpy } from './writer';
