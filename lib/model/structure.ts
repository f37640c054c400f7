import { type OnnxGraphEditor, type OnnxNode, tensorTypeOf, DataType } from './onnx';

/** One place where a branch joins the residual stream: an Add, or a fused Skip(Simplified)LayerNormalization. */
export interface ResidualSite {
  kind: 'add' | 'skipnorm';
  node: OnnxNode;
  /** Input index of the incoming stream and of the branch. */
  streamInput: number;
  branchInput: number;
  /** Incoming stream tensor, branch tensor, outgoing stream tensor ('' when a fused norm lacks output #3). */
  input: string;
  branch: string;
  output: string;
  /** Bias input of a fused SkipLayerNormalization (added to the branch inside the op), if any. */
  bias?: string;
}

/** The decoder's residual stream as found in the graph. */
export interface ResidualStructure {
  /** The embedding node (Gather / GatherBlockQuantized on input_ids). */
  embedNode: OnnxNode;
  /** Stream tensor entering block 0 (token embedding, plus position embedding where the model has one). */
  embeds: string;
  sites: ResidualSite[];
  /** Per decoder block: its attention and MLP sites (serial blocks) or its single site (parallel blocks). */
  layers: { attn?: ResidualSite; mlp?: ResidualSite; out: ResidualSite }[];
  parallel: boolean;
  /** Input of the LM-head MatMul/Gemm that produces the logits. */
  finalNorm: string;
  logitsName: string;
  /** Element type of the stream (ONNX DataType code). */
  elemType: number;
  hiddenSize: number;
  vocabSize: number;
  /** True when the graph uses com.microsoft GroupQueryAttention (no left padding). */
  usesGqa: boolean;
}

/** Keys for the layer count and hidden size in the configs of the supported families. */
export function configLayers(config: Record<string, any>): number | undefined {
  const v = config.num_hidden_layers ?? config.n_layer ?? config.n_layers ?? config.num_layers;
  return typeof v === 'number' ? v : undefined;
}

/** Hidden size from a config (hidden_size / n_embd / d_model). */
export function configHidden(config: Record<string, any>): number | undefined {
  const v = config.hidden_size ?? config.n_embd ?? config.d_model;
  return typeof v === 'number' ? v : undefined;
}

const PASS_THROUGH = new Set(['Cast', 'Identity']);
const SKIP_NORMS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);

/** Index of the graph: producer and consumers of every tensor, and the constant tensors. */
export class GraphIndex {
  readonly producer = new Map<string, OnnxNode>();
  readonly consumers = new Map<string, { node: OnnxNode; index: number }[]>();
  readonly constants = new Set<string>();
  readonly graphInputs = new Set<string>();

  constructor(readonly g: OnnxGraphEditor) {
    for (const n of g.nodes) {
      for (const o of n.output) if (o) this.producer.set(o, n);
      n.input.forEach((x, index) => {
        if (!x) return;
        let list = this.consumers.get(x);
        if (!list) this.consumers.set(x, (list = []));
        list.push({ node: n, index });
      });
      if (n.op_type === 'Constant') for (const o of n.output) this.constants.add(o);
    }
    for (const k of g.initializers.keys()) this.constants.add(k);
    for (const i of g.inputs) this.graphInputs.add(i.name);
  }

  /** The tensor plus every tensor reached from it through Cast/Identity nodes. */
  aliases(t: string): string[] {
    const out = [t];
    for (let k = 0; k < out.length; k++) {
      for (const c of this.consumers.get(out[k]) ?? []) {
        if (PASS_THROUGH.has(c.node.op_type) && c.node.output[0]) out.push(c.node.output[0]);
      }
    }
    return out;
  }

  /** Whether tensor t is computed (transitively) from any tensor in `from`. */
  dependsOn(t: string, from: Set<string>): boolean {
    const seen = new Set<string>();
    const stack = [t];
    while (stack.length) {
      const x = stack.pop()!;
      if (from.has(x)) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      const p = this.producer.get(x);
      if (p) for (const i of p.input) if (i && !seen.has(i)) stack.push(i);
    }
    return false;
  }

  /** Whether tensor t is a constant (initializer/Constant, or computed only from constants). */
  isConstant(t: string): boolean {
    if (this.constants.has(t)) return true;
    const p = this.producer.get(t);
    if (!p || this.graphInputs.has(t)) return false;
    return p.input.filter(Boolean).length > 0 && p.input.filter(Boolean).every((i) => this.isConstant(i));
  }
}

/** Error for graphs whose residual stream cannot be found; says what was looked for. */
export class UnsupportedGraphError extends Error {
  override name = 'UnsupportedGraphError';
}

/**
 * Find the residual stream by structure: start at the embedding Gather on input_ids, then follow the unique
 * consumer that adds a stream-dependent branch to it (Add, or a fused skip norm whose output #3 is the sum),
 * looking through Cast/Identity. An Add of something that does not depend on the stream before the first block
 * (a learned position embedding) belongs to the embedding. The site count is checked against the config.
 */
export function findResidualStream(g: OnnxGraphEditor, config: Record<string, any>, source = 'model'): ResidualStructure {
  const ix = new GraphIndex(g);
  const idsName = g.inputs.find((i) => i.name === 'input_ids')?.name;
  if (!idsName) throw new UnsupportedGraphError(`${source}: no graph input named input_ids (inputs: ${g.inputs.map((i) => i.name).join(', ')})`);
  const idsAliases = new Set(ix.aliases(idsName));
  const embedNodes = g.nodes.filter((n) =>
    (n.op_type === 'Gather' || n.op_type === 'GatherBlockQuantized') && idsAliases.has(n.input[1]) && ix.isConstant(n.input[0]));
  if (embedNodes.length !== 1) {
    const merged = g.nodes.some((n) => n.op_type === 'If') || g.inputs.some((i) => i.name === 'use_cache_branch');
    throw new UnsupportedGraphError(`${source}: expected one embedding Gather on input_ids with a constant table, found ${embedNodes.length}` +
      (merged ? ' (the graph is a merged decoder with If/use_cache_branch subgraphs, which is not supported: use a decoder-with-past export)' : ''));
  }
  const embedNode = embedNodes[0];
  let cur = embedNode.output[0];
  const streamSet = new Set<string>(ix.aliases(cur));

  // Embedding phase: Adds of stream-independent tensors (position embeddings) stay part of the embedding, also when
  // fused with the first norm into a Skip(Simplified)LayerNormalization (its output #3 is the embedding sum).
  for (;;) {
    const joins = ix.aliases(cur).flatMap((a) => (ix.consumers.get(a) ?? []).filter((c) =>
      ((c.node.op_type === 'Add' && !c.node.domain) || SKIP_NORMS.has(c.node.op_type)) && (c.index === 0 || c.index === 1)));
    const posJoin = joins.find((c) => {
      const other = c.node.input[1 - c.index];
      return other !== undefined && other !== '' && !streamSet.has(other) && !ix.dependsOn(other, streamSet);
    });
    if (!posJoin || joins.length !== 1) break;
    const next = posJoin.node.op_type === 'Add' ? posJoin.node.output[0] : posJoin.node.output[3];
    if (!next) {
      throw new UnsupportedGraphError(`${source}: the fused norm ${posJoin.node.name || posJoin.node.op_type} adds the position embedding ` +
        'but has no output #3 (the embedding sum)');
    }
    cur = next;
    for (const a of ix.aliases(cur)) streamSet.add(a);
  }
  const embeds = cur;

  const sites: ResidualSite[] = [];
  for (;;) {
    const candidates: ResidualSite[] = [];
    for (const a of ix.aliases(cur)) {
      for (const c of ix.consumers.get(a) ?? []) {
        const n = c.node;
        if (n.op_type === 'Add' && !n.domain && (c.index === 0 || c.index === 1)) {
          const other = n.input[1 - c.index];
          if (!other || streamSet.has(other)) continue;
          if (!ix.dependsOn(other, streamSet)) continue;
          candidates.push({ kind: 'add', node: n, streamInput: c.index, branchInput: 1 - c.index, input: a, branch: other, output: n.output[0] });
        } else if (SKIP_NORMS.has(n.op_type) && (c.index === 0 || c.index === 1)) {
          const other = n.input[1 - c.index];
          if (!other || !ix.dependsOn(other, streamSet)) continue;
          candidates.push({
            kind: 'skipnorm', node: n, streamInput: c.index, branchInput: 1 - c.index, input: a, branch: other,
            output: n.output[3] ?? '', bias: (n.op_type === 'SkipLayerNormalization' ? n.input[4] : n.input[3]) || undefined,
          });
        }
      }
    }
    const unique = candidates.filter((c, k) => candidates.findIndex((d) => d.node === c.node) === k);
    if (unique.length === 0) break;
    if (unique.length > 1) {
      throw new UnsupportedGraphError(`${source}: ambiguous residual stream after ${sites.length} sites: ` +
        `${unique.length} candidate residual adds consume ${cur} (${unique.map((u) => u.node.name || u.node.op_type).join(', ')})`);
    }
    const site = unique[0];
    sites.push(site);
    if (site.kind === 'skipnorm' && !site.output) break; // final fused norm without output #3: the stream ends here
    cur = site.output;
    for (const a of ix.aliases(cur)) streamSet.add(a);
  }
  if (!sites.length) throw new UnsupportedGraphError(`${source}: no residual Add / SkipLayerNormalization consumes the embedding output ${embeds}`);

  // Logits and the LM-head input (the final norm's output).
  const logitsOut = g.outputs.find((o) => o.name === 'logits') ?? g.outputs[0];
  const logitsName = logitsOut.name;
  const lastSite = sites[sites.length - 1];
  const finalNorm = findLmHeadInput(ix, lastSite, logitsName);
  if (!finalNorm) {
    throw new UnsupportedGraphError(`${source}: could not find the LM-head input: no tensor between the last residual site ` +
      `(${lastSite.node.name || lastSite.node.op_type}) and ${logitsName} that every path passes through and a MatMul/Gemm consumes`);
  }

  // Group sites into layers, checked against the config.
  const L = configLayers(config);
  let parallel = false;
  let layers: ResidualStructure['layers'];
  if (L !== undefined && sites.length === 2 * L) {
    layers = [];
    for (let l = 0; l < L; l++) layers.push({ attn: sites[2 * l], mlp: sites[2 * l + 1], out: sites[2 * l + 1] });
  } else if (L !== undefined && sites.length === L) {
    parallel = true;
    layers = sites.map((s) => ({ out: s }));
  } else if (L === undefined && sites.length % 2 === 0) {
    layers = [];
    for (let l = 0; l < sites.length / 2; l++) layers.push({ attn: sites[2 * l], mlp: sites[2 * l + 1], out: sites[2 * l + 1] });
  } else {
    throw new UnsupportedGraphError(`${source}: found ${sites.length} residual sites after the embedding, ` +
      `but the config says ${L ?? '?'} layers (expected 2 per layer, or 1 per parallel block)`);
  }

  // Types and sizes.
  const emb = g.initializers.get(embedNode.input[0]);
  const logitsType = tensorTypeOf(logitsOut);
  let elemType = emb && (emb.dataType === DataType.FLOAT || emb.dataType === DataType.FLOAT16) && embedNode.op_type === 'Gather'
    ? emb.dataType : logitsType?.elemType ?? DataType.FLOAT;
  if (elemType !== DataType.FLOAT && elemType !== DataType.FLOAT16) elemType = DataType.FLOAT;
  const hiddenSize = configHidden(config) ?? (emb && embedNode.op_type === 'Gather' ? emb.dims[1] : undefined);
  if (!hiddenSize) throw new UnsupportedGraphError(`${source}: hidden size not in the config (hidden_size / n_embd / d_model)`);
  const vdim = logitsType?.dims[logitsType.dims.length - 1];
  const vocabSize = typeof vdim === 'number' ? vdim : Number(config.vocab_size);
  if (!vocabSize) throw new UnsupportedGraphError(`${source}: vocabulary size unknown (no static logits dim, no vocab_size in config)`);
  const usesGqa = g.nodes.some((n) => n.op_type === 'GroupQueryAttention');
  return { embedNode, embeds, sites, layers, parallel, finalNorm, logitsName, elemType, hiddenSize, vocabSize, usesGqa };
}

const MATMULS = new Set(['MatMul', 'Gemm', 'MatMulNBits', 'MatMulInteger', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'FusedMatMul', 'DynamicQuantizeLinear', 'QuantizeLinear']);

/**
 * The input of the LM head: among the tensors that every path from the last residual site to the logits passes
 * through (dominators), the one closest to the logits that a MatMul-like op (or a dynamic quantizer feeding one)
 * consumes. Works for plain, Gemm-after-Reshape, MatMulNBits (q4) and MatMulInteger (q8) heads.
 */
function findLmHeadInput(ix: GraphIndex, lastSite: ResidualSite, logitsName: string): string {
  const order = new Map<OnnxNode, number>();
  ix.g.nodes.forEach((n, k) => order.set(n, k));
  const sources = lastSite.node.output.filter(Boolean).filter((o) => !lastSite.output || !ix.aliases(lastSite.output).includes(o));
  const stream = new Set(lastSite.output ? ix.aliases(lastSite.output) : []);
  const starts = [...sources, ...stream];
  const reaches = (avoid: string | null): boolean => {
    const seen = new Set<string>();
    const stack = starts.filter((x) => x !== avoid);
    while (stack.length) {
      const t = stack.pop()!;
      if (t === logitsName) return true;
      if (seen.has(t)) continue;
      seen.add(t);
      for (const c of ix.consumers.get(t) ?? []) for (const o of c.node.output) if (o && o !== avoid && !seen.has(o)) stack.push(o);
    }
    return false;
  };
  if (!reaches(null)) return '';
  // Tensors on some path from the site to the logits.
  const forward = new Set<string>();
  const stack = [...starts];
  while (stack.length) {
    const t = stack.pop()!;
    if (forward.has(t)) continue;
    forward.add(t);
    for (const c of ix.consumers.get(t) ?? []) for (const o of c.node.output) if (o) stack.push(o);
  }
  const candidates = [...forward].filter((t) => t !== logitsName && !stream.has(t) && ix.dependsOn(logitsName, new Set([t])));
  let best = '';
  let bestOrder = -1;
  for (const t of candidates) {
    const consumedByMatMul = (ix.consumers.get(t) ?? []).some((c) => MATMULS.has(c.node.op_type));
    if (!consumedByMatMul) continue;
    if (reaches(t)) continue; // not a dominator
    const k = order.get(ix.producer.get(t)!) ?? -1;
    if (k > bestOrder) {
      best = t;
      bestOrder = k;
    }
  }
  return best;
}
