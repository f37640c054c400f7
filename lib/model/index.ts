// The hooked-model stage: load transformers.js ONNX causal LMs with residual-stream captures and steering.
export type {
  HookName, Position, CaptureRequest, SteeringVector, CaptureResult, GenerateOptions, GenerateResult, ModelFamily, HookedModel, LoadOptions,
} from './types';
export { loadHookedModel, OnnxHookedModel, prepareHookedGraph, defaultCacheDir, cachedFileSha256, sessionOptions, argmaxFirst, sampleToken } from './hooked';
export type { PreparedGraph } from './hooked';
export {
  decodeModel, encodeModel, scanFields, OnnxGraphEditor, makeValueInfo, tensorTypeOf, intAttr, concatChunks, DataType,
} from './onnx';
export type { OnnxNode, OnnxValueInfo, RawField, InitializerInfo, Dim } from './onnx';
export { onnxType } from '../util/onnx-schema';
export { findResidualStream, GraphIndex, UnsupportedGraphError, configLayers, configHidden } from './structure';
export type { ResidualSite, ResidualStructure } from './structure';
export {
  addHooks, HOOK_EDIT_VERSION, POSITIONS_INPUT, MEAN_WEIGHTS_INPUT, LOGITS_OUTPUT, steerInputName, captureOutputName,
} from './hooks';
export type { HookedGraphInfo } from './hooks';
export { onnxFileName, isLocalModel, resolveModelFile, resolveOnnxFile, loadConfigAndTokenizer, DTYPE_SUFFIX } from './resolve';
export { float32ToFloat16Bits, float16BitsToFloat32, toFloat16Array, convertModelToFloat16 } from './fp16';
export { DEVICES, resolveDevice, checkDevice, executionProviders } from './device';
export type { Device } from './device';
export { eliminateDeadNodes, gatherHeadInput, preparePrunedGraph, prunedGraphPath, variantFor, variantKey, SessionPool, PRUNE_VERSION } from './prune';
export type { GraphVariant } from './prune';
export { chatIds, encodeTemplated } from './chat';
export { modelText, encodeWith, decodeWith, chatPromptWith } from './text';
export type { ModelText } from './text';
export type { ChatMessage } from './chat';
export { promoteWithPastBranch, USE_CACHE_INPUT } from './merged';
export { FAMILIES, FUSED_NORMS } from './families';
export type { FamilyInfo, FusedNormRule } from './families';
