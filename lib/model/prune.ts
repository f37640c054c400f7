// Purpose-built graphs: the hooked graph cut down to what a call reads. A capture-only run gets a graph that ends at
// its deepest requested site (no LM head, no present.* outputs, no upper layers); next-token probabilities and
// generation get the LM head evaluated only at the gathered rows. Variants are cached beside the hooked graph,
// keyed by what they keep, and opened as ONNX Runtime sessions on demand (a few kept open, least recently used
// released first).
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { sha256 } from '../util/fs';
import { OnnxGraphEditor, intAttr, type OnnxNode } from './onnx';
import { GraphIndex } from './structure';
import { LOGITS_OUTPUT, POSITIONS_INPUT, type HookedGraphInfo } from './hooks';

/** Version of the pruning pass; part of every pruned graph's file name. */
export const PRUNE_VERSION = 1;

/** What a purpose-built graph keeps: its outputs, and whether the LM head runs on the gathered rows only. */
export interface GraphVariant {
  /** Graph outputs kept (everything not needed for them is removed). */
  outputs: string[];
  /** Gather the final norm's input at hook.positions, so the LM head sees only those rows (logits-only variants). */
  headAtRows: boolean;
}

/** Stable 16-hex key of a variant (sorted outputs, head flag, pruning version). */
export function variantKey(v: GraphVariant): string {
  return sha256(JSON.stringify({ o: [...new Set(v.outputs)].sort(), h: v.headAtRows, p: PRUNE_VERSION })).slice(0, 16);
}

/** Path of a variant's graph: beside the hooked graph (so external data files resolve the same way). */
export function prunedGraphPath(hookedPath: string, v: GraphVariant): string {
  return hookedPath.replace(/\.onnx$/, '') + `.pruned-${variantKey(v)}-p${PRUNE_VERSION}.onnx`;
}

function hasSubgraphs(g: OnnxGraphEditor): boolean {
  return g.nodes.some((n) => (n.attribute ?? []).some((a: any) => Number(a.type) === 5 || Number(a.type) === 10 || a.g || a.graphs?.length)); // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** What dead-node elimination removed. */
export interface PruneSummary {
  nodes: number;
  inputs: string[];
  outputs: string[];
  initializers: number;
}

/**
 * Dead-node elimination: keep the graph outputs named in `keep` and exactly the nodes, inputs, initializers and
 * value_info they depend on; remove everything else. Throws when a kept name is not a graph output.
 */
export function eliminateDeadNodes(g: OnnxGraphEditor, keep: string[], source = 'model'): PruneSummary {
  const outputs = new Set(g.outputs.map((o) => o.name));
  for (const k of keep) if (!outputs.has(k)) throw new Error(`${source}: cannot keep ${k}: not an output of the graph (has ${[...outputs].slice(0, 6).join(', ')}…)`);
  if (hasSubgraphs(g)) throw new Error(`${source}: graphs with subgraphs (If/Loop/Scan) are not pruned`);
  const producer = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.output) if (o) producer.set(o, n);
  const live = new Set<OnnxNode>();
  const used = new Set<string>(keep);
  const stack = [...keep];
  while (stack.length) {
    const t = stack.pop()!;
    const n = producer.get(t);
    if (!n || live.has(n)) continue;
    live.add(n);
    for (const i of n.input) {
      if (!i || used.has(i)) continue;
      used.add(i);
      stack.push(i);
    }
  }
  const produced = new Set<string>();
  for (const n of live) for (const o of n.output) if (o) produced.add(o);
  const deadNodes = new Set(g.nodes.filter((n) => !live.has(n)));
  const deadInputs = new Set(g.inputs.map((i) => i.name).filter((name) => !used.has(name)));
  const deadOutputs = new Set([...outputs].filter((o) => !keep.includes(o)));
  const deadInits = new Set([...g.initializers.keys()].filter((name) => !used.has(name)));
  const deadInfo = new Set(g.valueInfo.map((v) => v.name).filter((name) => !produced.has(name)));
  g.remove({ nodes: deadNodes, inputs: deadInputs, outputs: deadOutputs, initializers: deadInits, valueInfo: deadInfo });
  return { nodes: deadNodes.size, inputs: [...deadInputs], outputs: [...deadOutputs], initializers: deadInits.size };
}

/** Ops whose output shape is tied to the input's row layout (they break when rows are gathered first). */
const SHAPE_BOUND = new Set(['Reshape', 'Expand', 'Tile', 'Slice', 'Concat', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Split']);

/**
 * Make the LM head run only on the rows named by hook.positions: the final norm's input (the last block's output,
 * or both inputs of a fused final skip norm) is gathered to [1, rows, H] before the norm, and hook.logits takes the
 * head's output as is. Every op between the stream and the logits is per row, so the numbers are those of the full
 * graph at those rows. Call after dead-node elimination to a logits(+present) variant.
 */
export function gatherHeadInput(g: OnnxGraphEditor, info: HookedGraphInfo, source = 'model'): void {
  const last = info.tensors[`resid.${info.numLayers - 1}`];
  if (!last) throw new Error(`${source}: hooked graph info has no resid.${info.numLayers - 1} tensor`);
  const ix = new GraphIndex(g);
  const logitsGather = ix.producer.get(LOGITS_OUTPUT);
  if (!logitsGather || logitsGather.op_type !== 'Gather') throw new Error(`${source}: ${LOGITS_OUTPUT} is not produced by the hook's Gather`);
  // Rows can be gathered before the final norm only when every op up to the logits works per row: a Reshape/Expand/…
  // whose target shape comes from the sequence length (GPT-2's view(output_shape), OPT's 2-D → 3-D) would break.
  const toLogits = ix.ancestors(logitsGather.input[0]);
  const seen = new Set<string>();
  const stack = [last];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    for (const c of ix.consumers.get(t) ?? []) {
      if (!c.node.output.some((o) => toLogits.has(o))) continue;
      if (SHAPE_BOUND.has(c.node.op_type) && c.index === 0) {
        throw new Error(`${source}: the LM head path has ${c.node.op_type} ${c.node.name ?? ''}, so its rows cannot be gathered before the final norm`);
      }
      for (const o of c.node.output) if (o) stack.push(o);
    }
  }
  const H = info.hiddenSize;
  g.addInitializer('hook.shape.head_flat', [2], BigInt64Array.from([-1n, BigInt(H)]));
  g.addInitializer('hook.shape.rows3', [3], BigInt64Array.from([1n, -1n, BigInt(H)]));
  let k = 0;
  const gatherRows = (x: string): string => {
    const tag = `hook.head.${k++}`;
    const flat = g.addNode('Reshape', [x, 'hook.shape.head_flat'], [`${tag}.flat`]).output[0];
    const rows = g.addNode('Gather', [flat, POSITIONS_INPUT], [`${tag}.rows`], { attributes: [intAttr('axis', 0)] }).output[0];
    return g.addNode('Reshape', [rows, 'hook.shape.rows3'], [`${tag}.rows3`]).output[0];
  };
  const p = ix.producer.get(last);
  if (p && /^Skip(Simplified)?LayerNormalization$/.test(p.op_type) && p.output[3] === last) {
    // Fused final norm: it adds the last branch to the stream itself; gather both of its summands.
    for (const i of [0, 1]) p.input[i] = gatherRows(p.input[i]);
    g.markChanged(p);
  } else {
    const consumers = ix.consumers.get(last) ?? [];
    if (!consumers.length) throw new Error(`${source}: nothing consumes the last block's output ${last}`);
    const gathered = gatherRows(last);
    for (const c of consumers) {
      c.node.input[c.index] = gathered;
      g.markChanged(c.node);
    }
  }
  logitsGather.op_type = 'Identity';
  logitsGather.input = [logitsGather.input[0]];
  logitsGather.attribute = [];
  g.markChanged(logitsGather);
}

/**
 * The graph file of a variant, written on first use beside the hooked graph (atomically) and reused afterwards.
 * Falls back to the hooked graph itself (same numbers, more work) when the variant cannot be written or pruned.
 */
export function preparePrunedGraph(hookedPath: string, info: HookedGraphInfo, v: GraphVariant): { path: string; pruned: boolean; why?: string } {
  const path = prunedGraphPath(hookedPath, v);
  if (existsSync(path)) return { path, pruned: true };
  let editor: OnnxGraphEditor | undefined;
  try {
    editor = new OnnxGraphEditor(hookedPath);
    eliminateDeadNodes(editor, v.outputs, hookedPath);
    if (v.headAtRows) gatherHeadInput(editor, info, hookedPath);
    editor.writeTo(path);
    return { path, pruned: true };
  } catch (err) {
    return { path: hookedPath, pruned: false, why: (err as Error).message };
  } finally {
    editor?.close();
  }
}

/** Feeds restricted to the inputs a session declares (a pruned graph drops the inputs it no longer reads). */
export function feedsFor(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) if (feeds[name]) out[name] = feeds[name];
  return out;
}

interface Open {
  session: Promise<ort.InferenceSession>;
  busy: number;
  evicted: boolean;
}

/**
 * ONNX Runtime sessions of a hooked graph's variants, created on first use; at most `max` stay open (default
 * SYCO_SESSIONS or 2), the least recently used is released once idle. `null` is the full hooked graph.
 */
export class SessionPool {
  private readonly open = new Map<string, Open>();
  /** Variant files that could not be built, with why (the full graph is used for them). */
  readonly fallbacks = new Map<string, string>();

  constructor(
    readonly hookedPath: string,
    readonly info: HookedGraphInfo,
    readonly options: ort.InferenceSession.SessionOptions,
    readonly max = Math.max(1, Number(process.env.SYCO_SESSIONS ?? 2) || 2),
  ) {}

  /** Run `fn` with the session of a variant (null = the full hooked graph). */
  async use<T>(v: GraphVariant | null, fn: (s: ort.InferenceSession) => Promise<T>): Promise<T> {
    // float16 graphs: ONNX Runtime picks other kernels once outputs are pruned, which moves fp16 results (measured
    // up to 0.03 on a steered genai int4-webgpu graph): run them whole so that results never depend on the request.
    if (process.env.SYCO_PRUNE === '0' || this.info.elemType === 10) v = null;
    const key = v ? variantKey(v) : 'full';
    let entry = this.open.get(key);
    if (entry) {
      this.open.delete(key);
      this.open.set(key, entry); // most recently used last
    } else {
      let path = this.hookedPath;
      if (v) {
        const r = preparePrunedGraph(this.hookedPath, this.info, v);
        path = r.path;
        if (!r.pruned) this.fallbacks.set(key, r.why ?? 'unknown');
      }
      entry = { session: ort.InferenceSession.create(path, this.options), busy: 0, evicted: false };
      this.open.set(key, entry);
      this.evict();
    }
    entry.busy++;
    try {
      return await fn(await entry.session);
    } catch (err) {
      if (!(await entry.session.then(() => true, () => false))) this.open.delete(key);
      throw err;
    } finally {
      entry.busy--;
      if (entry.evicted && entry.busy === 0) await release(entry);
    }
  }

  private evict(): void {
    while (this.open.size > this.max) {
      const [key, entry] = this.open.entries().next().value as [string, Open];
      this.open.delete(key);
      entry.evicted = true;
      if (entry.busy === 0) void release(entry);
    }
  }

  /** Release every open session. */
  async dispose(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const e of all) await release(e);
  }
}

async function release(e: Open): Promise<void> {
  try {
    await (await e.session).release();
  } catch { /* failed to open, or released already */ }
}

/** The variant a capture/logits request needs: captures only → no head; logits only → head at the gathered rows. */
export function variantFor(fetches: string[], info: HookedGraphInfo): GraphVariant {
  const logits = fetches.includes(LOGITS_OUTPUT);
  const captures = fetches.some((f) => f !== LOGITS_OUTPUT && !info.modelOutputs.includes(f));
  return { outputs: fetches, headAtRows: logits && !captures };
}
