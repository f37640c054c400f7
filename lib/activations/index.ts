// The activations stage: extraction of many pairs into a resumable on-disk store, and its readers. The preallocated
// .npy writer and the manifest comparison stay behind their files.
export { extractActivations } from './extract';
export type { PairTexts, ExtractOptions, ExtractProgress, ExtractSummary } from './extract';
export { ActivationStore, openActivationStore, activationFileName } from './store';
export type { ActivationManifest, LabelledMatrix, PairSide } from './store';
