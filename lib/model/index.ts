// The hooked-model stage: load transformers.js ONNX causal LMs with residual-stream captures and steering. This is the
// stage's public surface; the graph editing (onnx.ts, structure.ts, hooks.ts, prune.ts, merged.ts, fp16.ts) stays
// behind its files.
export type {
  HookName, Position, CaptureRequest, SteeringVector, CaptureResult, GenerateOptions, GenerateResult, ModelFamily, HookedModel, LoadOptions,
} from './types';
export { HOOKS, HOOK_NAMES, isHookName, hookNamesText } from './types';
export { loadHookedModel, OnnxHookedModel, defaultCacheDir } from './hooked';
export { UnsupportedGraphError } from './structure';
export { isLocalModel, DTYPE_SUFFIX } from './resolve';
export { convertModelToFloat16 } from './fp16';
export { DEVICES, checkDevice } from './device';
export type { Device } from './device';
export { chatIds } from './chat';
export { modelText } from './text';
export type { ModelText } from './text';
export type { ChatMessage } from './chat';
export { FAMILIES } from './families';
export type { FamilyInfo } from './families';
export { contextLength, ContextLengthError } from './context';
export { modelTag } from './tag';
