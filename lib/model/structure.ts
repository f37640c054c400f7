import { type OnnxGraphEditor, type OnnxNode, tensorTypeOf, DataType } from './onnx';
import {
  ATTENTION_OPS, BATCH_COUPLED_OPS, EMBEDDING_GATHERS, FAMILIES, FUSED_NORMS, HIDDEN_KEYS, LAYER_KEYS, MATMULS, SAME_SHAPE, SHAPE_OF, SHAPE_ONLY,
} from './families';

/* eslint-disable @typescript-eslint/no-explicit-any */

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
  /** True when the stream reaches this site through a shape-changing op (e.g. OPT's stream flattened to 2-D). */
  reshaped: boolean;
}

/** The decoder's residual stream as found in the graph. */
export interface ResidualStructure {
  /** The embedding node (Gather / GatherBlockQuantized on input_ids). */
  embedNode: OnnxNode;
  /** Stream tensor entering block 0 (token embedding, plus position embedding where the model has one). */
  embeds: string;
  sites: ResidualSite[];
  /** Per decoder block: its attention and MLP sites and the site producing its output (for parallel blocks the
   * attention/MLP entries point at the Add that sums the two branches, when it could be split). */
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
  /** True when results depend on batch-mates (DynamicQuantizeLinear: one range over the whole batch). */
  batchCoupled: boolean;
  /** True when left padding would shift absolute position embeddings (no position_ids input to correct them). */
  padShiftsPositions: boolean;
}

/** Layer count from a config (num_hidden_layers / n_layer / n_layers / num_layers). */
export function configLayers(config: Record<string, any>): number | undefined {
  for (const k of LAYER_KEYS) if (typeof config[k] === 'number') return config[k];
  return undefined;
}

/** Hidden size from a config (hidden_size / n_embd / d_model). */
export function configHidden(config: Record<string, any>): number | undefined {
  for (const k of HIDDEN_KEYS) if (typeof config[k] === 'number') return config[k];
  return undefined;
}

/** Index of the graph: producer and consumers of every tensor, and the constant tensors. */
export class GraphIndex {
  readonly producer = new Map<string, OnnxNode>();
  readonly consumers = new Map<string, { node: OnnxNode; index: number }[]>();
  readonly constants = new Set<string>();
  readonly graphInputs = new Set<string>();
  readonly order = new Map<OnnxNode, number>();

  constructor(readonly g: OnnxGraphEditor) {
    g.nodes.forEach((n, k) => {
      this.order.set(n, k);
      for (const o of n.output) if (o) this.producer.set(o, n);
      n.input.forEach((x, index) => {
        if (!x) return;
        let list = this.consumers.get(x);
        if (!list) this.consumers.set(x, (list = []));
        list.push({ node: n, index });
      });
      if (n.op_type === 'Constant') for (const o of n.output) this.constants.add(o);
    });
    for (const k of g.initializers.keys()) this.constants.add(k);
    for (const i of g.inputs) this.graphInputs.add(i.name);
  }

  /** The tensor plus every tensor reached from it through shape-only ops (Cast, Identity, Reshape, Squeeze, ...). */
  aliases(t: string): string[] {
    return this.aliasInfo(t).map((a) => a.name);
  }

  /** aliases() with, per alias, whether a shape-changing op (Reshape, Flatten, ...) lies on the way. */
  aliasInfo(t: string): { name: string; reshaped: boolean }[] {
    const out = [{ name: t, reshaped: false }];
    const seen = new Set([t]);
    for (let k = 0; k < out.length; k++) {
      for (const c of this.consumers.get(out[k].name) ?? []) {
        const o = c.node.output[0];
        if (c.index !== 0 || !SHAPE_ONLY.has(c.node.op_type) || c.node.domain || !o || seen.has(o)) continue;
        seen.add(o);
        out.push({ name: o, reshaped: out[k].reshaped || !SAME_SHAPE.has(c.node.op_type) });
      }
    }
    return out;
  }

  /** Whether tensor t is computed (transitively) from the data of any tensor in `from` (Shape/Size edges cut). */
  dependsOn(t: string, from: Set<string>): boolean {
    const seen = new Set<string>();
    const stack = [t];
    while (stack.length) {
      const x = stack.pop()!;
      if (from.has(x)) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      const p = this.producer.get(x);
      if (p && !SHAPE_OF.has(p.op_type)) for (const i of p.input) if (i && !seen.has(i)) stack.push(i);
    }
    return false;
  }

  /** Op types of the nodes that compute t from tensors in `stop` (not walking past them, nor past Shape/Size). */
  opsBetween(t: string, stop: Set<string>): Set<string> {
    const ops = new Set<string>();
    const seen = new Set<string>();
    const stack = [t];
    while (stack.length) {
      const x = stack.pop()!;
      if (stop.has(x) || seen.has(x)) continue;
      seen.add(x);
      const p = this.producer.get(x);
      if (!p || SHAPE_OF.has(p.op_type)) continue;
      ops.add(p.op_type);
      for (const i of p.input) if (i) stack.push(i);
    }
    return ops;
  }

  /** Tensors whose data the tensor `sink` depends on (Shape/Size edges cut), sink included. */
  ancestors(sink: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sink];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      const p = this.producer.get(x);
      if (p && !SHAPE_OF.has(p.op_type)) for (const i of p.input) if (i && !seen.has(i)) stack.push(i);
    }
    return seen;
  }

  /** Data consumers' outputs of t within `within` (Shape/Size consumers skipped). */
  private next(t: string, within: Set<string>): string[] {
    const out: string[] = [];
    for (const c of this.consumers.get(t) ?? []) {
      if (SHAPE_OF.has(c.node.op_type)) continue;
      for (const o of c.node.output) if (o && within.has(o)) out.push(o);
    }
    return out;
  }

  /**
   * The nearest tensor after t that every data path from t to `sink` passes through, reached without a MatMul-like
   * or attention op (stream-independent work such as a scale Mul, a LayerNorm or a dequantiser); null when none.
   */
  nextDominator(t: string, sink: string): string | null {
    const within = this.ancestors(sink);
    if (!within.has(t)) return null;
    const candidates: string[] = [];
    const seen = new Set<string>([t]);
    const stack = [t];
    while (stack.length) {
      const x = stack.pop()!;
      for (const c of this.consumers.get(x) ?? []) {
        if (SHAPE_OF.has(c.node.op_type) || MATMULS.has(c.node.op_type) || ATTENTION_OPS.has(c.node.op_type)) continue;
        for (const o of c.node.output) {
          if (!o || !within.has(o) || seen.has(o)) continue;
          seen.add(o);
          candidates.push(o);
          stack.push(o);
        }
      }
    }
    const rank = (x: string): number => this.order.get(this.producer.get(x)!) ?? 0;
    candidates.sort((a, b) => rank(a) - rank(b));
    for (const c of candidates) {
      // c dominates when sink is unreachable from t with c removed.
      const reached = new Set<string>([t]);
      const st = [t];
      let hit = false;
      while (st.length && !hit) {
        for (const o of this.next(st.pop()!, within)) {
          if (o === c || reached.has(o)) continue;
          if (o === sink) { hit = true; break; }
          reached.add(o);
          st.push(o);
        }
      }
      if (!hit) return c;
    }
    return null;
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

/** The residual-add candidate of consumer c of stream tensor a, if c adds a stream-dependent branch to it. */
function siteOf(ix: GraphIndex, c: { node: OnnxNode; index: number }, a: { name: string; reshaped: boolean }, stream: Set<string>): ResidualSite | null {
  const n = c.node;
  if (n.op_type === 'Add' && !n.domain && (c.index === 0 || c.index === 1)) {
    const other = n.input[1 - c.index];
    if (!other || stream.has(other) || !ix.dependsOn(other, stream)) return null;
    return { kind: 'add', node: n, streamInput: c.index, branchInput: 1 - c.index, input: a.name, branch: other, output: n.output[0], reshaped: a.reshaped };
  }
  const rule = FUSED_NORMS[n.op_type];
  if (rule && rule.streamInputs.includes(c.index)) {
    const branchInput = rule.streamInputs[0] === c.index ? rule.streamInputs[1] : rule.streamInputs[0];
    const other = n.input[branchInput];
    if (!other || !ix.dependsOn(other, stream)) return null;
    return {
      kind: 'skipnorm', node: n, streamInput: c.index, branchInput, input: a.name, branch: other,
      output: n.output[rule.sumOutput] ?? '', bias: n.input[rule.biasInput] || undefined, reshaped: a.reshaped,
    };
  }
  return null;
}

/** Residual-site candidates among the consumers of stream tensor `cur` (and its shape-only aliases). */
function candidatesAt(ix: GraphIndex, cur: string, stream: Set<string>): ResidualSite[] {
  const out: ResidualSite[] = [];
  for (const a of ix.aliasInfo(cur)) {
    for (const c of ix.consumers.get(a.name) ?? []) {
      const site = siteOf(ix, c, a, stream);
      if (site && !out.some((d) => d.node === site.node)) out.push(site);
    }
  }
  return out;
}

/** The stream-joins of `cur` that add a stream-independent tensor (a position embedding), plain or fused. */
function positionJoins(ix: GraphIndex, cur: string, stream: Set<string>): { node: OnnxNode; index: number; independent: boolean }[] {
  return ix.aliases(cur).flatMap((a) => (ix.consumers.get(a) ?? [])
    .filter((c) => ((c.node.op_type === 'Add' && !c.node.domain) || FUSED_NORMS[c.node.op_type]) && (c.index === 0 || c.index === 1))
    .map((c) => {
      const other = c.node.input[1 - c.index];
      return { ...c, independent: other !== undefined && other !== '' && !stream.has(other) && !ix.dependsOn(other, stream) };
    }));
}

function nodeName(n: OnnxNode): string {
  return n.name || `${n.op_type} -> ${n.output[0]}`;
}

/**
 * Find the residual stream by structure: start at the embedding Gather on input_ids (looking through shape-only
 * ops), take stream-independent work before block 0 (position-embedding Adds, a scale Mul, a LayerNorm, a
 * dequantiser: the next tensor every path to the logits passes through) as part of the embedding, then follow the
 * unique consumer that adds a stream-dependent branch to the stream (Add, or a fused skip norm whose sum output
 * is the stream), looking through shape-only ops (a stream flattened to 2-D is followed). Sites are grouped into
 * blocks against the config and FAMILIES; parallel blocks are split into their attention and MLP branches.
 */
export function findResidualStream(g: OnnxGraphEditor, config: Record<string, any>, source = 'model'): ResidualStructure {
  const ix = new GraphIndex(g);
  const idsName = g.inputs.find((i) => i.name === 'input_ids')?.name;
  if (!idsName) throw new UnsupportedGraphError(`${source}: no graph input named input_ids (inputs: ${g.inputs.map((i) => i.name).join(', ')})`);
  const idsAliases = new Set(ix.aliases(idsName));
  const embedNodes = g.nodes.filter((n) => EMBEDDING_GATHERS.has(n.op_type) && idsAliases.has(n.input[1]) && ix.isConstant(n.input[0]));
  if (embedNodes.length !== 1) {
    const merged = g.nodes.some((n) => n.op_type === 'If') || g.inputs.some((i) => i.name === 'use_cache_branch');
    const seen = [...idsAliases].flatMap((a) => (ix.consumers.get(a) ?? []).map((c) => nodeName(c.node)));
    throw new UnsupportedGraphError(`${source}: expected one embedding Gather on input_ids (looking through ${[...SHAPE_ONLY].join('/')}) with a constant table, ` +
      `found ${embedNodes.length}; the search stopped at the consumers of input_ids: ${seen.join(', ') || 'none'}` +
      (merged ? ' (the graph is a merged decoder with If subgraphs whose with-past branch could not be promoted)' : ''));
  }
  const embedNode = embedNodes[0];
  const logitsOut = g.outputs.find((o) => o.name === 'logits') ?? g.outputs[0];
  const logitsName = logitsOut.name;
  let cur = embedNode.output[0];
  const streamSet = new Set<string>(ix.aliases(cur));

  // Embedding phase: stream-independent work before the first residual site belongs to the embedding.
  const positionTensors: string[] = [];
  for (let guard = 0; guard < 256; guard++) {
    const joins = positionJoins(ix, cur, streamSet);
    const pos = joins.find((j) => j.independent);
    if (pos && joins.length === 1) {
      positionTensors.push(pos.node.input[1 - pos.index]);
      const rule = FUSED_NORMS[pos.node.op_type];
      const next = rule ? pos.node.output[rule.sumOutput] : pos.node.output[0];
      if (!next) {
        throw new UnsupportedGraphError(`${source}: the fused norm ${nodeName(pos.node)} adds the position embedding ` +
          `but has no output #${rule!.sumOutput} (the embedding sum)`);
      }
      cur = next;
    } else if (candidatesAt(ix, cur, streamSet).length === 0) {
      const next = ix.nextDominator(cur, logitsName);
      if (!next) break;
      cur = next;
    } else {
      break;
    }
    for (const a of ix.aliases(cur)) streamSet.add(a);
  }
  const embeds = cur;

  const sites: ResidualSite[] = [];
  for (;;) {
    const unique = candidatesAt(ix, cur, streamSet);
    if (unique.length === 0) break;
    if (unique.length > 1) {
      throw new UnsupportedGraphError(`${source}: ambiguous residual stream after ${sites.length} sites: ` +
        `${unique.length} candidate residual adds consume ${cur} (${unique.map((u) => nodeName(u.node)).join(', ')})`);
    }
    const site = unique[0];
    sites.push(site);
    if (site.kind === 'skipnorm' && !site.output) break; // final fused norm without its sum output: the stream ends here
    cur = site.output;
    for (const a of ix.aliases(cur)) streamSet.add(a);
  }
  if (!sites.length) {
    const consumers = ix.aliases(embeds).flatMap((a) => (ix.consumers.get(a) ?? []).map((c) => nodeName(c.node)));
    throw new UnsupportedGraphError(`${source}: no residual Add / SkipLayerNormalization consumes the embedding output ${embeds}; ` +
      `the search stopped at its consumers: ${consumers.join(', ') || 'none'}`);
  }

  // Logits and the LM-head input (the final norm's output).
  const lastSite = sites[sites.length - 1];
  const finalNorm = findLmHeadInput(ix, lastSite, logitsName);
  if (!finalNorm) {
    throw new UnsupportedGraphError(`${source}: could not find the LM-head input: no tensor between the last residual site ` +
      `(${nodeName(lastSite.node)}) and ${logitsName} that every path passes through and a MatMul/Gemm consumes`);
  }

  // Group sites into layers, checked against the config and the family table.
  const L = configLayers(config);
  const family = FAMILIES[String(config.model_type)];
  const expectParallel = family?.parallel(config);
  let parallel = false;
  let layers: ResidualStructure['layers'];
  const serial = L !== undefined ? sites.length === 2 * L : sites.length % 2 === 0;
  if (serial && expectParallel !== true) {
    layers = [];
    for (let l = 0; l < sites.length / 2; l++) layers.push({ attn: sites[2 * l], mlp: sites[2 * l + 1], out: sites[2 * l + 1] });
  } else if (L !== undefined && sites.length === L && expectParallel !== false) {
    parallel = true;
    layers = sites.map((s) => ({ out: s, ...splitParallel(ix, s, streamSet) }));
  } else {
    throw new UnsupportedGraphError(`${source}: found ${sites.length} residual sites after the embedding, ` +
      `but the config says ${L ?? '?'} layers and ${family ? `${config.model_type} blocks are ${expectParallel ? 'parallel (1 site per block)' : 'serial (2 sites per block)'}` : 'expected 2 per layer, or 1 per parallel block'}` +
      ` (the search stopped after ${nodeName(lastSite.node)})`);
  }

  // Types and sizes.
  const emb = g.initializers.get(embedNode.input[0]);
  const logitsType = tensorTypeOf(logitsOut);
  let elemType = emb && (emb.dataType === DataType.FLOAT || emb.dataType === DataType.FLOAT16) && embedNode.op_type === 'Gather'
    ? emb.dataType : logitsType?.elemType ?? DataType.FLOAT;
  if (elemType !== DataType.FLOAT && elemType !== DataType.FLOAT16) elemType = DataType.FLOAT;
  const hiddenSize = configHidden(config) ?? (emb && embedNode.op_type === 'Gather' ? emb.dims[1] : undefined);
  if (!hiddenSize) throw new UnsupportedGraphError(`${source}: hidden size not in the config (${HIDDEN_KEYS.join(' / ')})`);
  const vdim = logitsType?.dims[logitsType.dims.length - 1];
  const vocabSize = typeof vdim === 'number' ? vdim : Number(config.vocab_size);
  if (!vocabSize) throw new UnsupportedGraphError(`${source}: vocabulary size unknown (no static logits dim, no vocab_size in config)`);
  const usesGqa = g.nodes.some((n) => n.op_type === 'GroupQueryAttention');
  const batchCoupled = g.nodes.some((n) => BATCH_COUPLED_OPS.has(n.op_type));
  // Absolute position embeddings computed from the sequence length alone (no position_ids input, not from the
  // attention mask) are shifted by left padding.
  const positionSources = new Set(['position_ids', 'attention_mask']);
  const padShiftsPositions = positionTensors.some((t) => !ix.dependsOn(t, positionSources));
  return {
    embedNode, embeds, sites, layers, parallel, finalNorm, logitsName, elemType, hiddenSize, vocabSize, usesGqa, batchCoupled, padShiftsPositions,
  };
}

/**
 * A parallel block's two branches: the site's branch is an Add of two stream-dependent tensors; the one computed
 * with an attention op (Softmax, *Attention) from the stream is attention, the other the MLP. Empty when the
 * branch is not such a sum (then only resid is offered).
 */
function splitParallel(ix: GraphIndex, site: ResidualSite, stream: Set<string>): { attn?: ResidualSite; mlp?: ResidualSite } {
  const p = ix.producer.get(site.branch);
  if (!p || p.op_type !== 'Add' || p.domain || site.kind !== 'add') return {};
  const [x, y] = p.input;
  if (!x || !y || !ix.dependsOn(x, stream) || !ix.dependsOn(y, stream)) return {};
  const isAttn = (t: string): boolean => [...ix.opsBetween(t, stream)].some((op) => ATTENTION_OPS.has(op));
  const ax = isAttn(x);
  const ay = isAttn(y);
  if (ax === ay) return {};
  const part = (index: number): ResidualSite => ({
    kind: 'add', node: p, streamInput: 1 - index, branchInput: index, input: site.input, branch: p.input[index], output: site.output, reshaped: site.reshaped,
  });
  return ax ? { attn: part(0), mlp: part(1) } : { attn: part(1), mlp: part(0) };
}

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
