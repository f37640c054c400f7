import type { Matrix } from '../util/matrix';

/**
 * Every hook point inside a decoder block, in canonical order: the one place a hook is named (`HookName`,
 * `HOOK_NAMES`, the CLIs' and settings' hook lists derive from it).
 */
export const HOOKS = {
  resid: { help: "the block's output (residual stream)" },
  mlp: { help: "the block's MLP branch" },
  attn: { help: "the block's attention branch" },
} as const satisfies Record<string, { help: string }>;

/** A hook point inside a decoder block: its output (residual stream), its MLP branch or its attention branch. */
export type HookName = keyof typeof HOOKS;

/** Every hook name, in canonical order (resid, mlp, attn). */
export const HOOK_NAMES = Object.keys(HOOKS) as readonly HookName[];

/** Whether a string names a hook. */
export function isHookName(name: string): name is HookName {
  return Object.hasOwn(HOOKS, name);
}

/** The hook names as usage text reads them: "resid, mlp or attn". */
export function hookNamesText(): string {
  return `${HOOK_NAMES.slice(0, -1).join(', ')} or ${HOOK_NAMES[HOOK_NAMES.length - 1]}`;
}

/** A token position: an index into the unpadded sequence (negative counts from the end, -1 = last), or 'mean' over all tokens. */
export type Position = number | 'mean';

/** What to capture during a forward pass. */
export interface CaptureRequest {
  /** Hooks to capture (default ['resid']). */
  hooks?: HookName[];
  /** 0-based decoder blocks (default 'all'). */
  layers?: number[] | 'all';
  /** Positions per text (default [-1]); 'all' returns every token of every text (rows = tokens). */
  positions?: Position[] | 'all';
  /** Also capture the token embeddings (block 0's input). */
  embeds?: boolean;
  /** Also capture the output of the final norm (the input of the LM head). */
  finalNorm?: boolean;
  /** Also return logits: 'last' = last position of each text, 'positions' = at the requested positions. */
  logits?: false | 'last' | 'positions';
  /** Cut longer texts to this many tokens (the first and the last maxTokens − 1); without it a text longer than the context is refused. */
  maxTokens?: number;
}

/** One steering vector: added (× multiplier) to the output of decoder block `layer`. */
export interface SteeringVector {
  layer: number;
  vector: Float32Array;
  multiplier: number;
  /**
   * First unpadded token position that is steered. Undefined = every position (the study);
   * a number ≥ 0 = that position onward; 'generated' = only newly generated tokens (CAA-style).
   */
  fromPosition?: number | 'generated';
  /** Batch rows (texts, 0-based) this vector steers; undefined = every row. Lets one pass hold many settings. */
  rows?: number[];
}

/** Result of a batched forward pass with captures. */
export interface CaptureResult {
  /** Unpadded token ids per text. */
  tokenIds: number[][];
  /** Resolved non-negative positions per text (null for 'mean'), in the order captured. */
  positions: (number | null)[][];
  /**
   * Captures keyed `${hook}.${layer}` (e.g. 'resid.3'), plus 'embeds' and 'final_norm' when requested.
   * Rows are text-major: row = textIndex * positionsPerText + positionIndex; cols = hidden size.
   * With positions 'all', rows are the concatenated unpadded tokens of all texts.
   */
  captures: Map<string, Matrix>;
  /** Logits [rows, vocab] when requested, same row order as the captures ('last': one row per text). */
  logits?: Matrix;
  /** With `maxTokens`: tokens dropped from each text (0 when it fitted). */
  truncated?: number[];
}

/** Options for text generation. */
export interface GenerateOptions {
  maxNewTokens?: number;
  /** Greedy (argmax, first maximal index) when true or when temperature is 0/undefined. */
  greedy?: boolean;
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Token ids or strings that end generation (the model's EOS is always a stop unless ignoreEos). */
  stop?: (number | string)[];
  ignoreEos?: boolean;
  steering?: SteeringVector[];
}

/** Result of one generation. */
export interface GenerateResult {
  promptIds: number[];
  /** Generated token ids only. */
  ids: number[];
  /** Decoded generated text. */
  text: string;
  /** Per-step next-token logits [steps, vocab] when requested via `returnLogits`. */
  stepLogits?: Matrix;
}

/** Model families whose graphs the hook finder knows. */
export type ModelFamily = 'llama' | 'mistral' | 'mpt' | 'gpt2' | 'qwen2' | string;

/** A causal LM loaded the transformers.js way, with hooks to capture and steer the residual stream. */
export interface HookedModel {
  /** Hub id or local folder it was loaded from. */
  readonly id: string;
  readonly family: ModelFamily;
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  /** SHA-256 of the source ONNX file (keys caches and manifests). */
  readonly sourceHash: string;
  /** ONNX file that was loaded (path) and dtype. */
  readonly modelFile: string;
  readonly dtype: string;
  /** Positions the model was trained for (config max_position_embeddings); longer texts are refused. */
  readonly maxPositions?: number;
  /** Token ids of a text, with the tokenizer's default special tokens (BOS for Llama). */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  /** Text of token ids. */
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** The prompt text for a chat, via the model's chat template; null when the model has none. */
  chatPrompt(messages: { role: string; content: string }[], opts?: { addGenerationPrompt?: boolean }): string | null;
  /** Forward a batch of texts (left-padded) and capture hooks at positions, optionally steered. */
  run(texts: string[] | number[][], req?: CaptureRequest, opts?: { steering?: SteeringVector[] }): Promise<CaptureResult>;
  /** Generate from a prompt (text or ids) with a KV cache (graphs without one recompute each step), optionally steered. */
  generate(prompt: string | number[], opts?: GenerateOptions & { returnLogits?: boolean }): Promise<GenerateResult>;
  /** Next-token logits [texts, vocab] after each text (left-padded batch), optionally steered. */
  nextTokenLogits(texts: string[] | number[][], opts?: { steering?: SteeringVector[] }): Promise<Matrix>;
  /** Full-softmax next-token probabilities of candidate tokens after each text: [texts][candidates]. */
  candidateProbs(texts: string[] | number[][], candidates: number[], opts?: { steering?: SteeringVector[] }): Promise<number[][]>;
  /** Release the ONNX session. */
  dispose(): Promise<void>;
}

/** Options for loading a hooked model. */
export interface LoadOptions {
  /** transformers.js dtype: 'fp32' (default), 'fp16', 'q8', 'q4', ... selects onnx/model{suffix}.onnx. */
  dtype?: string;
  /** Explicit ONNX file name inside onnx/ (e.g. 'model_fused.onnx'); overrides dtype. */
  modelFileName?: string;
  /** Folder for edited-graph caches (default <root>/.cache/hooked). */
  cacheDir?: string;
  /** Disallow hub downloads (default: true when the id is a local folder). */
  localOnly?: boolean;
  /** ONNX Runtime intra-op threads. */
  threads?: number;
  /** Execution provider: cpu (default, or $SYCO_DEVICE), cuda, webgpu, coreml, dml; checked before loading. */
  device?: string;
}
