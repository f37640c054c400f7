import * as ort from 'onnxruntime-node';
import { existsSync, readFileSync, statSync, mkdirSync, unlinkSync, linkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ContextLengthError, contextLength, contextMessage, explainRuntimeError, fitContext } from './context';
import { chatPromptWith, decodeWith, encodeWith } from './text';
import { assertFiniteVector, vstack, type Matrix } from '../util/matrix';
import { softmax, softmaxAt } from '../linalg/softmax';
import { atomicWriteJson, fileSha256, projectRoot, readJsonFile } from '../util/fs';
import { Rng } from '../util/rng';
import { HOOK_NAMES, isHookName } from './types';
import type {
  CaptureRequest, CaptureResult, GenerateOptions, GenerateResult, HookName, HookedModel, LoadOptions, Position, SteeringVector,
} from './types';
import { OnnxGraphEditor } from './onnx';
import { findResidualStream, configLayers } from './structure';
import { promoteWithPastBranch } from './merged';
import {
  HOOK_EDIT_VERSION, LOGITS_OUTPUT, MEAN_WEIGHTS_INPUT, POSITIONS_INPUT, type HookedGraphInfo, addHooks, captureOutputName, steerInputName,
} from './hooks';
import { isLocalModel, loadConfigAndTokenizer, onnxFileName, resolveModelFile, resolveOnnxFile } from './resolve';
import { SessionPool, feedsFor, variantFor } from './prune';
import { checkDevice, executionProviders, resolveDevice, type Device } from './device';
import { runtime } from '../util/runtime';

/* eslint-disable @typescript-eslint/no-explicit-any */


/** Default folder for edited-graph caches: <project root>/.cache/hooked. */
export function defaultCacheDir(): string {
  return join(projectRoot(), '.cache', 'hooked');
}

/** SHA-256 of a file, remembered in <cacheDir>/sha-index.json by path, size and mtime so reloads skip hashing. */
export async function cachedFileSha256(path: string, cacheDir: string): Promise<string> {
  const st = statSync(path);
  const indexPath = join(cacheDir, 'sha-index.json');
  let index: Record<string, { size: number; mtimeMs: number; sha256: string }> = {};
  try { index = JSON.parse(readFileSync(indexPath, 'utf8')); } catch { /* none yet */ }
  const key = resolve(path);
  const hit = index[key];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const sha256 = await fileSha256(path);
  try { index = JSON.parse(readFileSync(indexPath, 'utf8')); } catch { /* none yet */ }
  index[key] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
  atomicWriteJson(indexPath, index);
  return sha256;
}

/** Result of preparing the hooked graph of an ONNX file. */
export interface PreparedGraph {
  /** Path of the edited model (load it by path: external data files resolve beside it). */
  path: string;
  info: HookedGraphInfo;
  sourceHash: string;
  /** True when the edited graph came from the cache. */
  cached: boolean;
}

/**
 * Edit an ONNX file into its hooked form, or reuse the cached edit, keyed by the source file's SHA-256 under
 * <cacheDir>/<sha256>-v<version>/ (model.onnx + hooks.json). Weights are never re-encoded (raw byte splice). For
 * external-data models the edited graph is written next to the .onnx_data (ONNX Runtime refuses data outside the
 * model's folder, links included) as <name>.hooked-<sha16>-v<version>.onnx; when that folder is read-only, the data
 * files are hard-linked into the cache folder instead.
 */
export async function prepareHookedGraph(
  source: string,
  config: Record<string, any>,
  cacheDir = defaultCacheDir(),
  ensureExternal?: (file: string) => Promise<unknown>,
): Promise<PreparedGraph> {
  const sourceHash = await cachedFileSha256(source, cacheDir);
  const dir = join(cacheDir, `${sourceHash}-v${HOOK_EDIT_VERSION}`);
  const infoPath = join(dir, 'hooks.json');
  if (existsSync(infoPath)) {
    const meta = readJsonFile<HookedGraphInfo & { graphPath?: string }>(infoPath);
    if (meta.version === HOOK_EDIT_VERSION && meta.graphPath && existsSync(meta.graphPath)) {
      if (ensureExternal) for (const f of meta.externalData) await ensureExternal(f);
      if (meta.externalData.every((f) => existsSync(resolve(dirname(meta.graphPath!), f)))) {
        const { graphPath, ...info } = meta;
        return { path: graphPath, info, sourceHash, cached: true };
      }
    }
  }
  const notOnnx = (err: unknown): unknown => {
    const msg = (err as Error).message ?? '';
    return msg.startsWith('onnx: ')
      ? new Error(`${source}: not a readable ONNX model (${msg.slice(6)}); the file may be truncated or corrupt — re-export or re-download it`, { cause: err })
      : err;
  };
  let editor: OnnxGraphEditor;
  try {
    editor = new OnnxGraphEditor(source);
  } catch (err) {
    throw notOnnx(err);
  }
  try {
    return await editEditor(editor, source, sourceHash, dir, infoPath, config, ensureExternal);
  } catch (err) {
    throw notOnnx(err);
  } finally {
    editor.close();
  }
}

async function editEditor(
  editor: OnnxGraphEditor, source: string, sourceHash: string, dir: string, infoPath: string, config: Record<string, any>,
  ensureExternal?: (file: string) => Promise<unknown>,
): Promise<PreparedGraph> {
  promoteWithPastBranch(editor, source);
  const structure = findResidualStream(editor, config, source);
  const info = addHooks(editor, structure);
  mkdirSync(dir, { recursive: true });
  if (ensureExternal) for (const f of info.externalData) await ensureExternal(f);
  let path = join(dir, 'model.onnx');
  if (info.externalData.length) {
    const beside = join(dirname(source), `${basename(source, '.onnx')}.hooked-${sourceHash.slice(0, 16)}-v${HOOK_EDIT_VERSION}.onnx`);
    try {
      editor.writeTo(beside);
      path = beside;
    } catch (besideErr) {
      try {
        hardLinkExternalData(source, dir, info.externalData);
      } catch (linkErr) {
        throw new Error(`${source}: the weights are external (${info.externalData.join(', ')}), so the edited graph must sit beside them, ` +
          `but writing ${beside} failed (${(besideErr as Error).message}) and hard-linking the data into ${dir} failed (${(linkErr as Error).message})`);
      }
      editor.writeTo(path);
    }
  } else {
    editor.writeTo(path);
  }
  atomicWriteJson(infoPath, { ...info, graphPath: path });
  return { path, info, sourceHash, cached: false };
}

function hardLinkExternalData(source: string, dir: string, files: string[]): void {
  for (const f of files) {
    const target = resolve(dirname(source), f);
    const link = join(dir, f);
    if (!existsSync(target)) throw new Error(`external data file ${f} not found at ${target}`);
    if (existsSync(link)) unlinkSync(link);
    mkdirSync(dirname(link), { recursive: true });
    linkSync(target, link);
  }
}

/** Per-text layout of a left-padded batch. */
interface Batch {
  ids: number[][];
  B: number;
  S: number;
  pads: number[];
}

/** Which flat rows (b · S + column) a forward pass gathers, which output rows are means, and the positions they resolve to. */
interface RowPlan {
  /** Flat rows gathered at hook.positions (then, for logits 'last', each text's last column from logitRowsStart). */
  rows: number[];
  /** Text of each mean row. */
  meanRowsOf: number[];
  /** Output row r comes from gathered row k or mean row k. */
  plan: { kind: 'row' | 'mean'; k: number }[];
  /** Resolved unpadded position of each output row per text (null for a mean). */
  resolved: (number | null)[][];
  /** Mean weights [max(means, 1), B · S]: 1/length over each text's tokens. */
  meanWeights: Float32Array;
  logitRowsStart: number;
}

/** Resolve the requested positions of every text of a left-padded batch to gathered rows and mean rows. */
function planRows(ids: number[][], batch: Batch, requested: Position[] | 'all', logitsMode: CaptureRequest['logits']): RowPlan {
  const { B, S, pads } = batch;
  const lens = ids.map((x) => x.length);
  const rows: number[] = [];
  const meanRowsOf: number[] = [];
  const plan: RowPlan['plan'] = [];
  const resolved: (number | null)[][] = [];
  for (let b = 0; b < B; b++) {
    const res: (number | null)[] = [];
    if (requested === 'all') {
      for (let q = 0; q < lens[b]; q++) {
        plan.push({ kind: 'row', k: rows.length });
        rows.push(b * S + pads[b] + q);
        res.push(q);
      }
    } else {
      if (!requested.length) throw new Error('run: positions is empty');
      for (const p of requested) {
        if (p === 'mean') {
          plan.push({ kind: 'mean', k: meanRowsOf.length });
          meanRowsOf.push(b);
          res.push(null);
          continue;
        }
        if (!Number.isInteger(p) || p >= lens[b] || p < -lens[b]) {
          throw new Error(`run: position ${p} is out of range for text ${b} (${lens[b]} tokens)`);
        }
        const q = p < 0 ? lens[b] + p : p;
        plan.push({ kind: 'row', k: rows.length });
        rows.push(b * S + pads[b] + q);
        res.push(q);
      }
    }
    resolved.push(res);
  }
  const meanWeights = new Float32Array(Math.max(meanRowsOf.length, 1) * B * S);
  meanRowsOf.forEach((b, m) => {
    for (let q = 0; q < lens[b]; q++) meanWeights[m * B * S + b * S + pads[b] + q] = 1 / lens[b];
  });
  if (logitsMode === 'positions' && meanRowsOf.length) throw new Error("run: logits 'positions' cannot be combined with the 'mean' position");
  const logitRowsStart = rows.length;
  if (logitsMode === 'last') for (let b = 0; b < B; b++) rows.push(b * S + S - 1);
  return { rows, meanRowsOf, plan, resolved, meanWeights, logitRowsStart };
}

/** The capture keys of a request, in output order: embeds, then each layer's hooks, then the final norm. */
function captureKeys(layers: number[], hooks: HookName[], req: CaptureRequest): string[] {
  const keys: string[] = [];
  if (req.embeds) keys.push('embeds');
  for (const l of layers) for (const h of hooks) keys.push(`${h}.${l}`);
  if (req.finalNorm) keys.push('final_norm');
  return keys;
}

type SessionOutputs = Record<string, { data: unknown }>;

/** Each key's [output rows, hidden] matrix, from the gathered and mean outputs in the plan's row order. */
function gatherCaptures(out: SessionOutputs, keys: string[], rp: RowPlan, H: number): Map<string, Matrix> {
  const anyRows = rp.plan.some((p) => p.kind === 'row');
  const captures = new Map<string, Matrix>();
  for (const k of keys) {
    const gathered = anyRows ? (out[captureOutputName(k)].data as Float32Array) : null;
    const means = rp.meanRowsOf.length ? (out[captureOutputName(k, true)].data as Float32Array) : null;
    const data = new Float32Array(rp.plan.length * H);
    rp.plan.forEach((p, r) => {
      const src = p.kind === 'row' ? gathered! : means!;
      data.set(src.subarray(p.k * H, (p.k + 1) * H), r * H);
    });
    captures.set(k, { rows: rp.plan.length, cols: H, data });
  }
  return captures;
}

/** The logits: each text's last position ('last'), or one row per output row ('positions'). */
function gatherLogits(out: SessionOutputs, rp: RowPlan, mode: 'last' | 'positions', B: number, V: number): Matrix {
  const all = out[LOGITS_OUTPUT].data as Float32Array;
  return mode === 'last'
    ? { rows: B, cols: V, data: all.slice(rp.logitRowsStart * V, (rp.logitRowsStart + B) * V) }
    : { rows: rp.plan.length, cols: V, data: all.slice(0, rp.plan.length * V) };
}

/** Index of the first maximal value (greedy decoding's tie rule). */
export function argmaxFirst(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Sample a token from logits with temperature and nucleus (top-p) filtering, using the given Rng. */
export function sampleToken(row: ArrayLike<number>, temperature: number, topP: number, rng: Rng): number {
  const scaled = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) scaled[i] = row[i] / temperature;
  const p = softmax(scaled);
  let idx = Array.from(p.keys());
  if (topP < 1) {
    idx.sort((a, b) => p[b] - p[a] || a - b);
    let cum = 0;
    let keep = 0;
    while (keep < idx.length) {
      cum += p[idx[keep]];
      keep++;
      if (cum >= topP) break;
    }
    idx = idx.slice(0, keep);
  }
  let total = 0;
  for (const i of idx) total += p[i];
  let u = rng.next() * total;
  for (const i of idx) {
    u -= p[i];
    if (u < 0) return i;
  }
  return idx[idx.length - 1];
}

/** A transformers.js causal LM run through an edited ONNX graph with capture outputs and steering inputs. */
export class OnnxHookedModel implements HookedModel {
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  readonly family: string;
  readonly maxPositions: number | undefined;
  private readonly zeroSteer: ort.Tensor;
  private readonly eosIds: number[];
  private readonly padId: number;
  private readonly pastInputs: { name: string; elemType: number; dims: (number | string | null)[] }[];
  private readonly presentFor: Map<string, string>;
  private recomputeNoticed = false;

  constructor(
    readonly id: string,
    /** Sessions of the hooked graph and of its purpose-built (pruned) variants, opened on demand. */
    readonly sessions: SessionPool,
    readonly tokenizer: any,
    readonly config: Record<string, any>,
    readonly generationConfig: Record<string, any>,
    readonly info: HookedGraphInfo,
    readonly sourceHash: string,
    readonly modelFile: string,
    readonly dtype: string,
  ) {
    this.numLayers = info.numLayers;
    this.hiddenSize = info.hiddenSize;
    this.vocabSize = info.vocabSize;
    this.family = String(config.model_type ?? 'unknown');
    this.maxPositions = contextLength(config);
    this.zeroSteer = new ort.Tensor('float32', new Float32Array(this.hiddenSize), [1, 1, this.hiddenSize]);
    const eos = generationConfig.eos_token_id ?? config.eos_token_id;
    this.eosIds = eos == null ? [] : Array.isArray(eos) ? eos.map(Number) : [Number(eos)];
    this.padId = tokenizer.pad_token_id ?? this.eosIds[0] ?? 0;
    this.pastInputs = info.modelInputs.filter((i) => i.name.startsWith('past_key_values') || i.name.startsWith('past.'));
    this.presentFor = new Map();
    for (const p of this.pastInputs) {
      const out = info.modelOutputs.find((o) => o === p.name.replace(/^past_key_values/, 'present') || o === p.name.replace(/^past\./, 'present.'));
      if (!out) throw new Error(`${modelFile}: no present output matches the cache input ${p.name}`);
      this.presentFor.set(p.name, out);
    }
    const known = new Set(['input_ids', 'attention_mask', 'position_ids', ...this.pastInputs.map((p) => p.name)]);
    for (const i of info.modelInputs) {
      if (!known.has(i.name)) throw new Error(`${modelFile}: unsupported model input ${i.name} (known: input_ids, attention_mask, position_ids, past_key_values.*)`);
    }
  }

  /** Token ids of a text, with the tokenizer's default special tokens (BOS for Llama). */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return encodeWith(this.tokenizer, text, opts);
  }

  /** Text of token ids. */
  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return decodeWith(this.tokenizer, ids, opts);
  }

  /** The prompt text for a chat, via the model's chat template; null when the model has none. */
  chatPrompt(messages: { role: string; content: string }[], opts: { addGenerationPrompt?: boolean } = {}): string | null {
    return chatPromptWith(this.tokenizer, messages, opts);
  }

  private toIds(texts: string[] | number[][], maxTokens?: number, dropped: number[] = []): number[][] {
    if (!Array.isArray(texts) || texts.length === 0) throw new Error('run: expected a non-empty list of texts or token-id lists');
    return (texts as (string | number[])[]).map((t, k): number[] => {
      const ids: number[] = typeof t === 'string' ? this.encode(t) : Array.from(t);
      if (!ids.length) throw new Error(`run: text ${k} has no tokens`);
      for (const x of ids) if (!Number.isInteger(x) || x < 0) throw new Error(`run: text ${k} has an invalid token id ${x}`);
      const fit = fitContext(ids, k, this.maxPositions, maxTokens);
      dropped.push(fit.dropped);
      return fit.ids;
    });
  }

  private batch(ids: number[][]): Batch {
    const S = Math.max(...ids.map((x) => x.length));
    return { ids, B: ids.length, S, pads: ids.map((x) => S - x.length) };
  }

  private emptyPast(B: number): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const p of this.pastInputs) {
      const dims = p.dims.map((d, k) => {
        if (typeof d === 'number') return d;
        const name = String(d ?? '').toLowerCase();
        if (k === 0 || name.includes('batch')) return B;
        if (name.includes('past') || name.includes('seq') || name.includes('len')) return 0;
        const heads = Number(this.config.num_key_value_heads ?? this.config.num_attention_heads ?? this.config.n_head ?? this.config.n_heads);
        if (k === 1) return heads;
        return Number(this.config.head_dim ?? this.hiddenSize / Number(this.config.num_attention_heads ?? this.config.n_head ?? this.config.n_heads));
      });
      if (!dims.includes(0)) throw new Error(`${this.modelFile}: cannot tell the past-length axis of ${p.name} (dims ${JSON.stringify(p.dims)})`);
      const type = p.elemType === 10 ? 'float16' : 'float32';
      out[p.name] = new ort.Tensor(type, type === 'float16' ? new Uint16Array(0) : new Float32Array(0), dims);
    }
    return out;
  }

  /** Steering feeds for every block; `posOf(b, col)` gives the unpadded absolute position of a column (null for padding). */
  private steerFeeds(B: number, S: number, steering: SteeringVector[] | undefined, posOf: (b: number, col: number) => number | null, generatedFrom: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    const H = this.hiddenSize;
    const byLayer = new Map<number, SteeringVector[]>();
    for (const [k, v] of (steering ?? []).entries()) {
      if (!Number.isInteger(v.layer) || v.layer < 0 || v.layer >= this.numLayers) {
        throw new Error(`steering[${k}]: layer ${v.layer} out of range [0, ${this.numLayers})`);
      }
      if (!v.vector || v.vector.length !== H) throw new Error(`steering[${k}]: vector has ${v.vector?.length} values, the model's hidden size is ${H}`);
      if (!Number.isFinite(v.multiplier)) throw new Error(`steering[${k}]: multiplier ${v.multiplier} is not a finite number`);
      assertFiniteVector(`steering[${k}] (layer ${v.layer}): vector`, v.vector);
      if (v.rows && !v.rows.every((r) => Number.isInteger(r) && r >= 0 && r < B)) throw new Error(`steering[${k}]: rows must be batch rows in [0, ${B}), got ${v.rows.join(', ')}`);
      if (!byLayer.has(v.layer)) byLayer.set(v.layer, []);
      byLayer.get(v.layer)!.push(v);
    }
    for (let l = 0; l < this.numLayers; l++) {
      const vs = byLayer.get(l);
      if (!vs) {
        feeds[steerInputName(l)] = this.zeroSteer;
        continue;
      }
      const rowsOf = (v: SteeringVector): Set<number> | null => (v.rows ? new Set(v.rows) : null);
      if (vs.every((v) => v.fromPosition === undefined) && vs.some((v) => v.rows)) {
        // Per-row vectors at every position: one [B, 1, H] slab.
        const data = new Float32Array(B * H);
        for (const v of vs) {
          const only = rowsOf(v);
          for (let b = 0; b < B; b++) if (!only || only.has(b)) for (let h = 0; h < H; h++) data[b * H + h] += v.multiplier * v.vector[h];
        }
        feeds[steerInputName(l)] = new ort.Tensor('float32', data, [B, 1, H]);
        continue;
      }
      if (vs.every((v) => v.fromPosition === undefined)) {
        const data = new Float32Array(H);
        for (const v of vs) for (let h = 0; h < H; h++) data[h] += v.multiplier * v.vector[h];
        feeds[steerInputName(l)] = new ort.Tensor('float32', data, [1, 1, H]);
        continue;
      }
      const data = new Float32Array(B * S * H);
      const only = vs.map(rowsOf);
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < S; c++) {
          const pos = posOf(b, c);
          const o = (b * S + c) * H;
          for (const [k, v] of vs.entries()) {
            if (only[k] && !only[k]!.has(b)) continue;
            const on = v.fromPosition === undefined ||
              (v.fromPosition === 'generated' ? pos !== null && pos >= generatedFrom : pos !== null && pos >= v.fromPosition);
            if (!on) continue;
            for (let h = 0; h < H; h++) data[o + h] += v.multiplier * v.vector[h];
          }
        }
      }
      feeds[steerInputName(l)] = new ort.Tensor('float32', data, [B, S, H]);
    }
    return feeds;
  }

  private baseFeeds(batch: Batch, steering: SteeringVector[] | undefined, rows: number[], meanWeights: Float32Array, meanRows: number): Record<string, ort.Tensor> {
    const { B, S, ids, pads } = batch;
    const inputIds = new BigInt64Array(B * S);
    const mask = new BigInt64Array(B * S);
    const positionIds = new BigInt64Array(B * S);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < S; c++) {
        const q = c - pads[b];
        inputIds[b * S + c] = BigInt(q >= 0 ? ids[b][q] : this.padId);
        mask[b * S + c] = q >= 0 ? 1n : 0n;
        positionIds[b * S + c] = BigInt(q >= 0 ? q : 1);
      }
    }
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', inputIds, [B, S]),
      attention_mask: new ort.Tensor('int64', mask, [B, S]),
      ...this.emptyPast(B),
      ...this.steerFeeds(B, S, steering, (b, c) => (c - pads[b] >= 0 ? c - pads[b] : null), Infinity),
      [POSITIONS_INPUT]: new ort.Tensor('int64', BigInt64Array.from((rows.length ? rows : [0]).map(BigInt)), [Math.max(rows.length, 1)]),
      [MEAN_WEIGHTS_INPUT]: new ort.Tensor('float32', meanRows ? meanWeights : new Float32Array(B * S), [Math.max(meanRows, 1), B * S]),
    };
    if (this.info.modelInputs.some((i) => i.name === 'position_ids')) feeds.position_ids = new ort.Tensor('int64', positionIds, [B, S]);
    return feeds;
  }

  /** Forward a batch of texts (left-padded) and capture hooks at positions, optionally steered. */
  async run(texts: string[] | number[][], req: CaptureRequest = {}, opts: { steering?: SteeringVector[] } = {}): Promise<CaptureResult> {
    const dropped: number[] = [];
    const ids = this.toIds(texts, req.maxTokens, dropped);
    const mixed = new Set(ids.map((x) => x.length)).size > 1;
    if (ids.length > 1 && (this.info.batchCoupled || (mixed && (this.info.usesGqa || this.info.padShiftsPositions)))) {
      // GroupQueryAttention graphs do not support left padding, absolute positions without a position_ids input
      // would shift with it, and dynamically quantised graphs take one range over the whole batch: run texts one at
      // a time so that results never depend on batch composition.
      const parts: CaptureResult[] = [];
      for (const [k, v] of (opts.steering ?? []).entries()) {
        if (v.rows && !v.rows.every((r) => Number.isInteger(r) && r >= 0 && r < ids.length)) throw new Error(`steering[${k}]: rows must be batch rows in [0, ${ids.length}), got ${v.rows.join(', ')}`);
      }
      for (const [k, x] of ids.entries()) parts.push(await this.run([x], req, { ...opts, steering: steeringOfRow(opts.steering, k) }));
      return { ...mergeResults(parts), ...(req.maxTokens === undefined ? {} : { truncated: dropped }) };
    }
    const hooks = req.hooks ?? ['resid'];
    for (const h of hooks) if (!isHookName(h)) throw new Error(`run: unknown hook "${h}" (known: ${HOOK_NAMES.join(', ')})`);
    const layers = req.layers === undefined || req.layers === 'all' ? Array.from({ length: this.numLayers }, (_, i) => i) : req.layers;
    for (const l of layers) if (!Number.isInteger(l) || l < 0 || l >= this.numLayers) throw new Error(`run: layer ${l} out of range [0, ${this.numLayers})`);
    const batch = this.batch(ids);
    const logitsMode = req.logits ?? false;
    const rowPlan = planRows(ids, batch, req.positions ?? [-1], logitsMode);
    const keys = captureKeys(layers, hooks, req);
    const fetches = this.captureFetches(keys, rowPlan, logitsMode);
    const feeds = this.baseFeeds(batch, opts.steering, rowPlan.rows, rowPlan.meanWeights, rowPlan.meanRowsOf.length);
    const out = await this.sessions.use(variantFor(fetches, this.info), (s) => s.run(feedsFor(s, feeds), fetches))
      .catch((e: unknown) => { throw explainRuntimeError(e, batch.S, this.maxPositions); });
    const result: CaptureResult = {
      tokenIds: ids, positions: rowPlan.resolved, captures: gatherCaptures(out, keys, rowPlan, this.hiddenSize),
      ...(req.maxTokens === undefined ? {} : { truncated: dropped }),
    };
    if (logitsMode) result.logits = gatherLogits(out, rowPlan, logitsMode, batch.B, this.vocabSize);
    return result;
  }

  /** The graph outputs a capture needs: each key's gathered rows and/or means, and the logits (always one output). */
  private captureFetches(keys: string[], plan: RowPlan, logitsMode: CaptureRequest['logits']): string[] {
    const fetches: string[] = [];
    const anyRows = plan.plan.some((p) => p.kind === 'row');
    for (const k of keys) {
      if (!this.info.captures.includes(k)) throw new Error(`run: capture ${k} is not available in this graph`);
      if (anyRows) fetches.push(captureOutputName(k));
      if (plan.meanRowsOf.length) fetches.push(captureOutputName(k, true));
    }
    if (logitsMode) fetches.push(LOGITS_OUTPUT);
    if (!fetches.length) fetches.push(LOGITS_OUTPUT);
    return fetches;
  }

  /** Next-token logits [texts, vocab] after each text (left-padded batch), optionally steered. */
  async nextTokenLogits(texts: string[] | number[][], opts: { steering?: SteeringVector[] } = {}): Promise<Matrix> {
    const r = await this.run(texts, { hooks: [], layers: [], logits: 'last' }, opts);
    return r.logits!;
  }

  /** Full-softmax next-token probabilities of candidate tokens after each text: [texts][candidates]. */
  async candidateProbs(texts: string[] | number[][], candidates: number[], opts: { steering?: SteeringVector[] } = {}): Promise<number[][]> {
    for (const c of candidates) if (!Number.isInteger(c) || c < 0 || c >= this.vocabSize) throw new Error(`candidateProbs: token ${c} out of range [0, ${this.vocabSize})`);
    const logits = await this.nextTokenLogits(texts, opts);
    const out: number[][] = [];
    for (let r = 0; r < logits.rows; r++) {
      out.push(softmaxAt(logits.data.subarray(r * logits.cols, (r + 1) * logits.cols), candidates));
    }
    return out;
  }

  /** Generate from a prompt (text or ids) with a KV cache (graphs without one recompute each step), optionally steered. */
  async generate(prompt: string | number[], opts: GenerateOptions & { returnLogits?: boolean } = {}): Promise<GenerateResult> {
    const promptIds = typeof prompt === 'string' ? this.encode(prompt) : Array.from(prompt);
    if (!promptIds.length) throw new Error('generate: the prompt has no tokens');
    const maxNew = opts.maxNewTokens ?? 20;
    if (!Number.isInteger(maxNew) || maxNew < 0) throw new Error(`generate: maxNewTokens must be a non-negative integer, got ${maxNew}`);
    if (this.maxPositions !== undefined && promptIds.length + maxNew > this.maxPositions) {
      throw new ContextLengthError(contextMessage(`generate: the prompt (${promptIds.length} tokens) plus maxNewTokens ${maxNew}`, promptIds.length + maxNew,
        this.maxPositions, 'use a shorter prompt or fewer new tokens'), 0, promptIds.length + maxNew, this.maxPositions);
    }
    const greedy = opts.greedy === true || !opts.temperature;
    const temperature = opts.temperature ?? 1;
    const topP = opts.topP ?? 1;
    if (!greedy && !(temperature > 0)) throw new Error(`generate: temperature must be > 0, got ${temperature}`);
    if (!(topP > 0 && topP <= 1)) throw new Error(`generate: topP must be in (0, 1], got ${topP}`);
    const rng = new Rng(opts.seed ?? 0);
    const stopIds = new Set<number>(opts.ignoreEos ? [] : this.eosIds);
    const stopStrings: string[] = [];
    for (const s of opts.stop ?? []) (typeof s === 'number' ? stopIds.add(s) : stopStrings.push(s));
    const V = this.vocabSize;
    const stepLogits: Float32Array[] = [];
    const generated: number[] = [];
    // A graph without past inputs has no KV cache: recompute the whole sequence each step.
    const recompute = this.pastInputs.length === 0;
    if (recompute && !this.recomputeNoticed && maxNew > 1 && !runtime().quiet) {
      process.stderr.write(`note: ${this.modelFile} has no past_key_values inputs: generation recomputes the whole sequence each step (slower)\n`);
    }
    this.recomputeNoticed ||= recompute;
    let past = this.emptyPast(1);
    let input = promptIds;
    let total = 0;
    for (let step = 0; step < maxNew; step++) {
      if (recompute) {
        input = [...promptIds, ...generated];
        total = 0;
      }
      const S = input.length;
      const pastLen = total;
      total += S;
      const mask = new BigInt64Array(total).fill(1n);
      const pos = new BigInt64Array(S);
      for (let c = 0; c < S; c++) pos[c] = BigInt(pastLen + c);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(input.map(BigInt)), [1, S]),
        attention_mask: new ort.Tensor('int64', mask, [1, total]),
        ...past,
        ...this.steerFeeds(1, S, opts.steering, (_b, c) => pastLen + c, recompute ? promptIds.length : step > 0 ? 0 : Infinity),
        [POSITIONS_INPUT]: new ort.Tensor('int64', BigInt64Array.from([BigInt(S - 1)]), [1]),
        [MEAN_WEIGHTS_INPUT]: new ort.Tensor('float32', new Float32Array(S), [1, S]),
      };
      if (this.info.modelInputs.some((i) => i.name === 'position_ids')) feeds.position_ids = new ort.Tensor('int64', pos, [1, S]);
      const fetches = [LOGITS_OUTPUT, ...this.presentFor.values()];
      const out = await this.sessions.use(variantFor(fetches, this.info), (s) => s.run(feedsFor(s, feeds), fetches))
        .catch((e: unknown) => { throw explainRuntimeError(e, total, this.maxPositions); });
      const logits = out[LOGITS_OUTPUT].data as Float32Array;
      if (opts.returnLogits) stepLogits.push(logits.slice(0, V));
      const tok = greedy ? argmaxFirst(logits.subarray(0, V)) : sampleToken(logits.subarray(0, V), temperature, topP, rng);
      generated.push(tok);
      if (stopIds.has(tok)) break;
      if (stopStrings.length) {
        const text = this.decode(generated);
        if (stopStrings.some((s) => text.includes(s))) break;
      }
      const next: Record<string, ort.Tensor> = {};
      for (const [pastName, presentName] of this.presentFor) next[pastName] = out[presentName];
      past = next;
      input = [tok];
    }
    const result: GenerateResult = { promptIds, ids: generated, text: this.decode(generated) };
    if (opts.returnLogits) {
      const data = new Float32Array(stepLogits.length * V);
      stepLogits.forEach((r, k) => data.set(r, k * V));
      result.stepLogits = { rows: stepLogits.length, cols: V, data };
    }
    return result;
  }

  /** The session of the full hooked graph (every capture, logits at all positions, present.* outputs). */
  async fullSession(): Promise<ort.InferenceSession> {
    return this.sessions.use(null, async (s) => s);
  }

  /** Release the ONNX sessions. */
  async dispose(): Promise<void> {
    await this.sessions.dispose();
  }
}

/** The steering of batch row k when the row is run on its own (row-restricted vectors of other rows dropped). */
function steeringOfRow(steering: SteeringVector[] | undefined, k: number): SteeringVector[] | undefined {
  return steering?.filter((v) => !v.rows || v.rows.includes(k)).map((v) => ({ ...v, rows: undefined }));
}

function mergeResults(parts: CaptureResult[]): CaptureResult {
  const captures = new Map<string, Matrix>();
  for (const k of parts[0].captures.keys()) captures.set(k, vstack(parts.map((p) => p.captures.get(k)!)));
  const out: CaptureResult = { tokenIds: parts.flatMap((p) => p.tokenIds), positions: parts.flatMap((p) => p.positions), captures };
  if (parts[0].logits) out.logits = vstack(parts.map((p) => p.logits!));
  return out;
}

/**
 * ONNX Runtime session options used for hooked (and, in benchmarks, unhooked) sessions. Intra-op threads do not
 * spin-wait between ops (the analogue of OMP_WAIT_POLICY=PASSIVE): on a shared machine spinning workers steal the
 * cores other work needs (measured here: 2× slower generation under load). Set SYCO_ORT_SPIN=1 to allow spinning.
 */
export function sessionOptions(threads?: number, device: Device = 'cpu'): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(device),
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: runtime().ortSpin ? '1' : '0' } } },
  };
}

/**
 * Load a causal LM by hub id or local folder (transformers.js layout) as a HookedModel: config, tokenizer and
 * chat template from transformers.js, the ONNX graph edited (or taken from the cache) and run with onnxruntime-node.
 */
export async function loadHookedModel(idOrPath: string, opts: LoadOptions = {}): Promise<HookedModel> {
  const device = resolveDevice(opts.device);
  checkDevice(device);
  const local = isLocalModel(idOrPath);
  const localOnly = opts.localOnly ?? local;
  const id = local ? resolve(idOrPath) : idOrPath;
  const { config, tokenizer, generationConfig } = await loadConfigAndTokenizer(idOrPath, localOnly);
  onnxFileName(opts.dtype ?? 'fp32', opts.modelFileName); // validates the dtype name
  const file = await resolveOnnxFile(idOrPath, config, opts.dtype ?? 'fp32', opts.modelFileName);
  const source = await resolveModelFile(idOrPath, file, { localOnly });
  const cfg: Record<string, any> = { ...config };
  const prepared = await prepareHookedGraph(source, cfg, opts.cacheDir ?? defaultCacheDir(),
    local ? undefined : (f) => resolveModelFile(idOrPath, `onnx/${f}`, { localOnly }));
  const L = configLayers(cfg);
  if (L !== undefined && L !== prepared.info.numLayers) {
    throw new Error(`${source}: hooked graph has ${prepared.info.numLayers} layers, config says ${L}`);
  }
  const sessions = new SessionPool(prepared.path, prepared.info, sessionOptions(opts.threads, device));
  return new OnnxHookedModel(id, sessions, tokenizer, cfg, generationConfig, prepared.info, prepared.sourceHash, source, opts.dtype ?? 'fp32');
}
