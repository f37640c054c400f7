// The one place for what the residual-stream finder (structure.ts) and the graph editor (hooks.ts) know about
// operators and model families. Everything else is found by structural rules; see FAMILIES.md.

/* eslint-disable @typescript-eslint/no-explicit-any */

/** How a fused residual norm (ONNX Runtime's Skip(Simplified)LayerNormalization) carries the residual stream. */
export interface FusedNormRule {
  /** Inputs that may carry the incoming stream or the branch (the other one of the two). */
  streamInputs: [number, number];
  /** Output holding the sum stream + branch (+ bias); may be absent and is then appended by the editor. */
  sumOutput: number;
  /** Optional input holding a bias that the op adds to the branch. */
  biasInput: number;
}

/** Fused residual norms by op type. */
export const FUSED_NORMS: Record<string, FusedNormRule> = {
  SkipLayerNormalization: { streamInputs: [0, 1], sumOutput: 3, biasInput: 4 },
  SkipSimplifiedLayerNormalization: { streamInputs: [0, 1], sumOutput: 3, biasInput: 3 },
};

/** Ops that change only the shape or element type of input 0: looked through on input_ids and on the stream. */
export const SHAPE_ONLY = new Set(['Cast', 'Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
/** Of SHAPE_ONLY, the ops that keep the shape (a stream reached only through these is not reshaped). */
export const SAME_SHAPE = new Set(['Cast', 'Identity']);
/** Ops whose output depends only on the shape of their input (no data dependence). */
export const SHAPE_OF = new Set(['Shape', 'Size']);
/** Ops that gather embedding rows from a constant table. */
export const EMBEDDING_GATHERS = new Set(['Gather', 'GatherBlockQuantized']);
/** Matrix products (and the dynamic quantisers that feed them): the LM head, and what a block's work contains. */
export const MATMULS = new Set([
  'MatMul', 'Gemm', 'MatMulNBits', 'MatMulInteger', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'FusedMatMul',
  'DynamicQuantizeLinear', 'QuantizeLinear', 'Conv',
]);
/** Ops that only attention contains: tell a parallel block's attention branch from its MLP branch. */
export const ATTENTION_OPS = new Set(['Softmax', 'GroupQueryAttention', 'MultiHeadAttention', 'Attention', 'PackedAttention', 'SparseAttention']);
/** Ops whose results depend on the other rows of the batch (one quantisation range over the whole batch). */
export const BATCH_COUPLED_OPS = new Set(['DynamicQuantizeLinear', 'DynamicQuantizeMatMul']);

/** Config keys for the layer count and the hidden size across families. */
export const LAYER_KEYS = ['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers'];
export const HIDDEN_KEYS = ['hidden_size', 'n_embd', 'd_model'];

/** What the finder must know about a family that the graph alone does not say. */
export interface FamilyInfo {
  /** Whether the blocks are parallel (attention and MLP read the same stream; one residual site per block). */
  parallel: (config: Record<string, any>) => boolean;
  /** The exported graph's shape, in a few words (documentation and error messages). */
  graph: string;
}

/**
 * Families checked against the real Optimum exports in ../shared/models/hf-optimum (test/model/hf-optimum.test.ts).
 * Other model types are grouped by site count (2 per block: serial; 1 per block: parallel).
 */
export const FAMILIES: Record<string, FamilyInfo> = {
  llama: { parallel: () => false, graph: 'Gather; RMSNorm, rotary attention, SwiGLU MLP; two residual Adds per block' },
  mistral: { parallel: () => false, graph: 'as llama, sliding-window mask' },
  qwen2: { parallel: () => false, graph: 'as llama, qkv bias' },
  phi3: { parallel: () => false, graph: 'as llama, fused qkv and gate_up projections' },
  gemma: { parallel: () => false, graph: 'Gather × √hidden (a Mul before block 0); RMSNorm (1 + w)' },
  mpt: { parallel: () => false, graph: 'no position_ids, ALiBi; residual Adds inside the block' },
  gpt2: { parallel: () => false, graph: 'Reshape(input_ids) before the Gather; + learned positions; LayerNorm, Gemm-like MatMuls' },
  opt: { parallel: () => false, graph: 'Reshape before the Gather; + learned positions; stream flattened to 2-D around the MLP (Gemm fc1/fc2)' },
  bloom: { parallel: () => false, graph: 'LayerNorm on the embeddings before block 0; ALiBi' },
  gpt_neox: { parallel: (c) => c.use_parallel_residual !== false, graph: 'parallel attention + MLP: Add(Add(mlp, attn), x) per block; partial rotary' },
  phi: { parallel: () => true, graph: 'parallel attention + MLP: Add(Add(attn, mlp), x) per block; partial rotary' },
};
