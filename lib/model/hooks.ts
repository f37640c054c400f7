import { DataType, type Dim, type OnnxGraphEditor, intAttr, tensorTypeOf } from './onnx';
import type { ResidualSite, ResidualStructure } from './structure';
import { FUSED_NORMS } from './families';

/** Version of the graph edit; part of the cache key so that a changed edit never reuses stale files. */
export const HOOK_EDIT_VERSION = 4;

/** Graph input carrying the flat row indices (b * S + column) to capture. */
export const POSITIONS_INPUT = 'hook.positions';
/** Graph input carrying mean weights [meanRows, B * S] (mask / token count per text) for 'mean' captures. */
export const MEAN_WEIGHTS_INPUT = 'hook.mean_weights';
/** Graph output with the logits gathered at hook.positions. */
export const LOGITS_OUTPUT = 'hook.logits';

/** Name of the steering input of block `layer`. */
export function steerInputName(layer: number): string {
  return `steer.${layer}`;
}

/** Graph output name of a capture key ('resid.3', 'embeds', ...) gathered at positions; `.mean` for the mean. */
export function captureOutputName(key: string, mean = false): string {
  return `hook.${key}${mean ? '.mean' : ''}`;
}

/** What the hooked graph offers; stored beside the cached graph. */
export interface HookedGraphInfo {
  version: number;
  numLayers: number;
  hiddenSize: number;
  vocabSize: number;
  /** Element type of the stream (1 float, 10 float16). */
  elemType: number;
  parallel: boolean;
  usesGqa: boolean;
  /** Results depend on batch-mates (dynamic int8 quantisation): texts are run one at a time. */
  batchCoupled: boolean;
  /** Left padding shifts absolute positions (no position_ids input): texts of different lengths run one at a time. */
  padShiftsPositions: boolean;
  /** Capture keys: 'embeds', 'final_norm', 'resid.L', and 'mlp.L' / 'attn.L' (parallel blocks: when split). */
  captures: string[];
  /** Inputs of the original model (what a caller must feed), with element types and declared dims. */
  modelInputs: { name: string; elemType: number; dims: Dim[] }[];
  modelOutputs: string[];
  /** The tensors hooked, per capture key (for manifests and cross-checks against exporter names). */
  tensors: Record<string, string>;
  /** External data files the graph refers to (relative to the model file). */
  externalData: string[];
}

/**
 * Edit the graph in place: add capture outputs (gathered at an int64 row-index input, plus an in-graph weighted
 * mean) for the embeddings, every block's output, attention and MLP branches and the final norm, a gathered
 * logits output, and a steering input per block added on the branch edge of the site that produces the block's
 * output (so captured MLP/attention branches stay unsteered and the block output carries the vector).
 */
export function addHooks(g: OnnxGraphEditor, s: ResidualStructure): HookedGraphInfo {
  const modelInputs = g.inputs.map((i) => ({ name: i.name, ...(tensorTypeOf(i) ?? { elemType: 0, dims: [] }) }));
  const modelOutputs = g.outputs.map((o) => o.name);
  const H = s.hiddenSize;
  const fp16 = s.elemType === DataType.FLOAT16;

  // A fused final norm may lack its sum output (the residual stream): append it.
  for (const site of s.sites) {
    if (site.kind === 'skipnorm' && !site.output) {
      const name = 'hook.stream.final';
      const at = FUSED_NORMS[site.node.op_type].sumOutput;
      while (site.node.output.length < at) site.node.output.push('');
      site.node.output[at] = name;
      site.output = name;
      g.markChanged(site.node);
    }
  }

  g.addInput(POSITIONS_INPUT, DataType.INT64, ['hook_rows']);
  g.addInput(MEAN_WEIGHTS_INPUT, DataType.FLOAT, ['hook_mean_rows', 'hook_flat']);
  g.addInitializer('hook.shape.hidden', [2], BigInt64Array.from([-1n, BigInt(H)]));
  g.addInitializer('hook.shape.vocab', [2], BigInt64Array.from([-1n, BigInt(s.vocabSize)]));

  const tensors: Record<string, string> = {};
  const captures: string[] = [];
  const capture = (key: string, tensor: string): void => {
    tensors[key] = tensor;
    captures.push(key);
    let flat = g.addNode('Reshape', [tensor, 'hook.shape.hidden'], [`hook.flat.${key}`]).output[0];
    if (fp16) flat = g.addNode('Cast', [flat], [`hook.flat32.${key}`], { attributes: [intAttr('to', DataType.FLOAT)] }).output[0];
    g.addNode('Gather', [flat, POSITIONS_INPUT], [captureOutputName(key)], { attributes: [intAttr('axis', 0)] });
    g.addNode('MatMul', [MEAN_WEIGHTS_INPUT, flat], [captureOutputName(key, true)]);
    g.addOutput(captureOutputName(key), DataType.FLOAT, ['hook_rows', H]);
    g.addOutput(captureOutputName(key, true), DataType.FLOAT, ['hook_mean_rows', H]);
  };
  const branchValue = (key: string, site: ResidualSite): string =>
    site.bias ? g.addNode('Add', [site.branch, site.bias], [`hook.biased.${key}`]).output[0] : site.branch;

  capture('embeds', s.embeds);
  s.layers.forEach((layer, l) => {
    capture(`resid.${l}`, layer.out.output);
    if (layer.attn) capture(`attn.${l}`, branchValue(`attn.${l}`, layer.attn));
    if (layer.mlp) capture(`mlp.${l}`, branchValue(`mlp.${l}`, layer.mlp));
  });
  capture('final_norm', s.finalNorm);

  // Steering on the branch edge of each block's output site.
  s.layers.forEach((layer, l) => {
    const site = layer.out;
    const input = steerInputName(l);
    g.addInput(input, DataType.FLOAT, [`steer_batch_${l}`, `steer_seq_${l}`, H]);
    let v = input;
    if (fp16) v = g.addNode('Cast', [input], [`hook.steer16.${l}`], { attributes: [intAttr('to', DataType.FLOAT16)] }).output[0];
    let steered: string;
    if (site.reshaped) {
      // The stream is reshaped here (e.g. [B·S, H]): add the vector to the flattened branch, then restore its shape.
      const flatB = g.addNode('Reshape', [site.branch, 'hook.shape.hidden'], [`hook.steer.flatb.${l}`]).output[0];
      const flatV = g.addNode('Reshape', [v, 'hook.shape.hidden'], [`hook.steer.flatv.${l}`]).output[0];
      const sum = g.addNode('Add', [flatB, flatV], [`hook.steer.sum.${l}`]).output[0];
      const shape = g.addNode('Shape', [site.branch], [`hook.steer.shape.${l}`]).output[0];
      steered = g.addNode('Reshape', [sum, shape], [`hook.steered.${l}`]).output[0];
    } else {
      steered = g.addNode('Add', [site.branch, v], [`hook.steered.${l}`]).output[0];
    }
    site.node.input[site.branchInput] = steered;
    g.markChanged(site.node);
  });

  let flatLogits = g.addNode('Reshape', [s.logitsName, 'hook.shape.vocab'], ['hook.flat.logits']).output[0];
  const logitsType = tensorTypeOf(g.outputs.find((o) => o.name === s.logitsName)!);
  if (logitsType && logitsType.elemType !== DataType.FLOAT) {
    flatLogits = g.addNode('Cast', [flatLogits], ['hook.flat32.logits'], { attributes: [intAttr('to', DataType.FLOAT)] }).output[0];
  }
  g.addNode('Gather', [flatLogits, POSITIONS_INPUT], [LOGITS_OUTPUT], { attributes: [intAttr('axis', 0)] });
  g.addOutput(LOGITS_OUTPUT, DataType.FLOAT, ['hook_rows', s.vocabSize]);

  return {
    version: HOOK_EDIT_VERSION,
    numLayers: s.layers.length,
    hiddenSize: H,
    vocabSize: s.vocabSize,
    elemType: s.elemType,
    parallel: s.parallel,
    usesGqa: s.usesGqa,
    batchCoupled: s.batchCoupled,
    padShiftsPositions: s.padShiftsPositions,
    captures,
    modelInputs,
    modelOutputs,
    tensors,
    externalData: g.externalDataFiles(),
  };
}
