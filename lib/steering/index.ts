// The steering stage: contrastive vectors from an activation run, steered generation sweeps in the study's schema,
// A/B behavioural evaluation, and transfer of vectors between models.
export {
  computeVectors, saveVectors, loadVectors, vectorCosineMatrix, vectorFileNames, steeringAt, NORMALIZE, NORMALIZE_MODES, VECTORS_FORMAT, vectorDigest,
} from './vectors';
export type { Normalize, NormalizeMode, VectorSetMeta, SteeringVectorSet, ComputeVectorsOptions } from './vectors';
export { steeringSweep, resultsFileName, multiplierMagnitudes, sweepPromptText, I_THINK } from './sweep';
export type { SweepOptions, SweepSummary, SweepFileEntry, SweepRecord, SteerFrom } from './sweep';
export {
  abEvaluate, abPrompt, abPromptFormat, abQuestionBody, letterTokenId, prepareAbItems, abProbabilities, formatAbTable,
  abItemsFromCaa, abItemsFromRows, abItemsFromPairs, loadAbItems,
} from './ab';
export type { AbItem, AbOptions, AbResult, AbCell, AbTableRow, AbPromptFormat, AbSteerFrom, PreparedAbItem, AbModel } from './ab';
export { abEvaluateToFile, abItemsDigest, abSettingsDifferences, AB_EVAL_FORMAT } from './ab-file';
export type { AbFileOptions, AbEvalFile } from './ab-file';
export { transferVectors, fitLinearMap, applyLinearMap, mapVectors } from './transfer';
export type { LinearMap, TransferTarget } from './transfer';
export { loadSweepPrompts } from './prompts';
