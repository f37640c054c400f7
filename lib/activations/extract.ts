import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HOOK_NAMES, isHookName, type HookedModel, type HookName, type Position } from '../model/types';
import { atomicWriteJson, projectRoot, sha256 } from '../util/fs';
import { Progress } from '../util/progress';
import { acquireLock } from '../util/lock';
import { pairGroups, sharedGroups } from '../datasets/dedupe';
import { activationFileName, type ActivationManifest, type PairSide } from './store';
import { checkPreallocatedNpy, PreallocatedNpy } from './writer';
import { DEFAULT_SORT_WINDOW, DonePrefix, planBatches } from './batching';
import { shardRange, type ShardInfo, type ShardSpec } from './shards';

/** Default token budget of a forward pass when neither batchSize nor batchTokens is given. */
export const DEFAULT_BATCH_TOKENS = 2048;
import { checkPairsContext, encodePairs } from './context';

/** The fields of a contrastive pair that extraction needs (the datasets stage's Pair has them all). */
export interface PairTexts {
  id: string;
  /** Sycophantic text (label 1, stored in `*.pos.npy`). */
  sycophantic: string;
  /** Non-sycophantic text (label 0, stored in `*.neg.npy`). */
  non_sycophantic: string;
  subset?: string;
  format?: string;
}

/** Progress of an extraction, reported after every committed batch. */
export interface ExtractProgress {
  /** Pairs durably written (including those from earlier runs). */
  done: number;
  total: number;
  /** Pairs computed by this call. */
  computed: number;
  elapsedSec: number;
  /** Pairs per second in this call. */
  pairsPerSec: number;
  /** Estimated seconds left (Infinity before the first batch). */
  etaSec: number;
}

/** Options of extractActivations. */
export interface ExtractOptions {
  model: HookedModel;
  pairs: PairTexts[];
  /** Folder of the run (created; an existing run is resumed if it matches). */
  outDir: string;
  /** Hooks to capture (default ['resid']). */
  hooks?: HookName[];
  /** 0-based layers (default 'all'). */
  layers?: number[] | 'all';
  /** Token position of each text to capture (default -2), or 'mean' over its tokens. */
  position?: Position;
  /** Most texts per forward pass; a batch holds both texts of up to floor(batchSize / 2) pairs (default 16, or 64 with batchTokens). */
  batchSize?: number;
  /**
   * Padded tokens per forward pass (texts × longest text): pairs are sorted by token count inside windows of
   * sortWindow pairs and packed up to this budget. Default DEFAULT_BATCH_TOKENS when batchSize is not given;
   * with only batchSize, batches are fixed runs of pairs in file order. Rows land at the same offsets either way.
   */
  batchTokens?: number;
  /** Pairs per sorting window (default 256). */
  sortWindow?: number;
  /** Compute only shard i of n (whole windows / batches of the pairs) into its own store; join with mergeShards. */
  shard?: ShardSpec;
  /** Use only the first `limit` pairs. */
  limit?: number;
  /** Cut texts longer than this many tokens (first token + last maxTokens − 1); without it, longer than the context is refused. */
  maxTokens?: number;
  /** Where the pairs came from (recorded in the manifest; default 'in-memory'). */
  source?: string;
  /** Called after every committed batch. */
  onProgress?: (p: ExtractProgress) => void;
  /** Progress bar output (default stderr); quiet silences it. */
  progressStream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  quiet?: boolean;
}

/** What an extraction call did. */
export interface ExtractSummary {
  outDir: string;
  pairs: number;
  /** Pairs written in total (= pairs when complete). */
  done: number;
  /** Pairs found already written when this call started. */
  skipped: number;
  /** Pairs computed by this call. */
  computed: number;
  resumed: boolean;
  complete: boolean;
  hooks: HookName[];
  layers: number[];
  position: Position;
  hiddenSize: number;
  /** Array files of the run (relative to outDir). */
  files: string[];
  seconds: number;
  pairsPerSec: number;
  /** Texts cut to maxTokens (0 without it), the model's context (null: unknown) and the longest text in tokens. */
  context: { maxTokens: number | null; truncated: number; limit: number | null; longest: number };
  /** Seconds of this call spent in forward passes, in writing rows, and in committing (fsync + manifest). */
  timings: { forwardSec: number; writeSec: number; commitSec: number };
}

const LOCK = '.extract.lock';

/** The version of this code: package.json version plus the git commit when available ("0.1.0+abc123def456"). */
export function codeVersion(root = projectRoot()): string {
  let version = 'unknown';
  try {
    version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version ?? 'unknown';
  } catch { /* no package.json */ }
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (commit) version += `+${commit}`;
  } catch { /* not a git checkout */ }
  return version;
}

/** SHA-256 over the ids and both texts of every pair, in order (detects changed data under the same ids). */
export function pairsDigest(pairs: PairTexts[]): string {
  return sha256(JSON.stringify(pairs.map((p) => [p.id, p.sycophantic, p.non_sycophantic])));
}

function validatePairs(pairs: PairTexts[], source: string): void {
  const seen = new Map<string, number>();
  pairs.forEach((p, i) => {
    const where = `${source}: pair ${i}${p && typeof p.id === 'string' ? ` (id "${p.id}")` : ''}`;
    if (!p || typeof p !== 'object') throw new Error(`${where}: not an object`);
    if (typeof p.id !== 'string' || !p.id) throw new Error(`${where}: field "id" must be a non-empty string`);
    for (const k of ['sycophantic', 'non_sycophantic'] as const) {
      if (typeof p[k] !== 'string' || !p[k]) throw new Error(`${where}: field "${k}" must be a non-empty string`);
    }
    const prev = seen.get(p.id);
    if (prev !== undefined) throw new Error(`${where}: duplicate id (also pair ${prev})`);
    seen.set(p.id, i);
  });
}

/** The dataset format recorded for a list of pairs: their common `format`, 'mixed', or 'unknown'. */
function pairsFormat(pairs: PairTexts[]): string {
  const formats = new Set(pairs.map((p) => p.format ?? 'unknown'));
  return formats.size === 1 ? [...formats][0] : formats.size === 0 ? 'unknown' : 'mixed';
}

function resolveLayers(model: HookedModel, layers: number[] | 'all' | undefined): number[] {
  if (layers === undefined || layers === 'all') return Array.from({ length: model.numLayers }, (_, i) => i);
  if (!layers.length) throw new Error('extract: layers is empty');
  const out = [...new Set(layers)].sort((a, b) => a - b);
  for (const l of out) {
    if (!Number.isInteger(l) || l < 0 || l >= model.numLayers) {
      throw new Error(`extract: layer ${l} out of range: ${model.id} has layers 0-${model.numLayers - 1}`);
    }
  }
  return out;
}

function resolveHooks(hooks: HookName[] | undefined): HookName[] {
  const list = hooks?.length ? hooks : (['resid'] as HookName[]);
  for (const h of list) if (!isHookName(h)) throw new Error(`extract: unknown hook "${h}" (known: ${HOOK_NAMES.join(', ')})`);
  // Canonical order so that "mlp,resid" and "resid,mlp" are the same request.
  return HOOK_NAMES.filter((h) => list.includes(h));
}

function resolvePosition(position: Position | undefined): Position {
  const p = position ?? -2;
  if (p !== 'mean' && !Number.isInteger(p)) throw new Error(`extract: position must be an integer or 'mean', got ${String(p)}`);
  return p;
}

function firstIdDifference(a: string[], b: string[]): string | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `pair ${i} is "${a[i]}" in the store, "${b[i]}" in the request`;
  return a.length === b.length ? null : `the store has ${a.length} pairs, the request ${b.length}`;
}

/** `groups` for the manifest: pairs that share a source row or an identical text (kept on one side of every split). */
function textGroupsField(pairs: PairTexts[]): { groups?: number[][] } {
  const groups = sharedGroups(pairGroups(pairs));
  return groups.length ? { groups } : {};
}

/** The differences between an existing run's manifest and a new request (empty when a resume may continue). */
export function manifestDifferences(existing: ActivationManifest, requested: ActivationManifest): string[] {
  const out: string[] = [];
  const same = (what: string, a: unknown, b: unknown): void => {
    if (String(a) !== String(b)) out.push(`${what}: store has ${String(a)}, request has ${String(b)}`);
  };
  same('format_version', existing.format_version, requested.format_version);
  same('model sha256', `${existing.model?.sha256} (${existing.model?.id})`, `${requested.model.sha256} (${requested.model.id})`);
  same('hidden size', existing.hidden_size, requested.hidden_size);
  same('hooks', existing.hooks?.join(','), requested.hooks.join(','));
  same('layers', existing.layers?.join(','), requested.layers.join(','));
  same('position', existing.position, requested.position);
  same('dataset format', existing.dataset?.format, requested.dataset.format);
  same('max_tokens', existing.max_tokens ?? 'none', requested.max_tokens ?? 'none');
  const ids = firstIdDifference(existing.dataset?.pair_ids ?? [], requested.dataset.pair_ids);
  if (ids) out.push(`pair ids: ${ids}`);
  else if (existing.dataset?.texts_sha256 !== requested.dataset.texts_sha256) {
    const a = String(existing.dataset?.texts_sha256).slice(0, 12);
    const b = String(requested.dataset.texts_sha256).slice(0, 12);
    out.push(`pair texts: same ids but different texts (sha256 ${a}… in the store, ${b}… in the request)`);
  }
  return out;
}

function readManifest(path: string): ActivationManifest {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ActivationManifest;
  } catch (err) {
    throw new Error(`${path}: unreadable manifest (${(err as Error).message}); delete the folder to start over`);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* not supported on this platform */ }
}

/** The batching of an extraction: texts per pass, the token budget and sorting window (length-aware), pairs per batch. */
interface Batching {
  batchSize: number;
  batchTokens?: number;
  sortWindow?: number;
  pairsPerBatch: number;
}

/** Batching from the options (a token budget by default, fixed batches of batchSize texts with only that), checked. */
function resolveBatching(opts: ExtractOptions): Batching {
  const batchTokens = opts.batchTokens ?? (opts.batchSize === undefined ? DEFAULT_BATCH_TOKENS : undefined);
  const batchSize = opts.batchSize ?? (batchTokens === undefined ? 16 : 64);
  const sortWindow = batchTokens === undefined ? undefined : opts.sortWindow ?? DEFAULT_SORT_WINDOW;
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new Error(`extract: batchSize must be an integer ≥ 2 (both texts of a pair), got ${batchSize}`);
  if (batchTokens !== undefined && (!Number.isInteger(batchTokens) || batchTokens < 2)) throw new Error(`extract: batchTokens must be an integer ≥ 2, got ${batchTokens}`);
  if (sortWindow !== undefined && (!Number.isInteger(sortWindow) || sortWindow < 1)) throw new Error(`extract: sortWindow must be a positive integer, got ${sortWindow}`);
  return { batchSize, batchTokens, sortWindow, pairsPerBatch: Math.floor(batchSize / 2) };
}

/** The pairs this call extracts (the first `limit`, then this shard's range, with the shard's record), validated. */
function selectPairs(opts: ExtractOptions, source: string, b: Batching): { pairs: PairTexts[]; shard?: ShardInfo } {
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw new Error(`extract: limit must be a positive integer, got ${opts.limit}`);
  const all = opts.limit !== undefined ? opts.pairs.slice(0, opts.limit) : opts.pairs;
  if (!all.length) throw new Error(`extract: no pairs to extract (${source})`);
  validatePairs(all, source);
  if (!opts.shard) return { pairs: all };
  const unit = b.sortWindow ?? b.pairsPerBatch;
  const r = shardRange(all.length, opts.shard, unit);
  return {
    pairs: all.slice(r.start, r.end),
    shard: {
      ...opts.shard, offset: r.start, unit, total_pairs: all.length,
      dataset: {
        format: pairsFormat(all), subsets: [...new Set(all.map((p) => p.subset ?? 'unknown'))],
        texts_sha256: pairsDigest(all), pair_ids_sha256: sha256(JSON.stringify(all.map((p) => p.id))),
        ...textGroupsField(all),
      },
    },
  };
}

/** The manifest this request would write: model, dataset, hooks, layers, position, batching and files (nothing done yet). */
function requestedManifest(
  model: HookedModel, pairs: PairTexts[], source: string,
  what: { hooks: HookName[]; layers: number[]; position: Position; maxTokens?: number; shard?: ShardInfo }, b: Batching,
): ActivationManifest {
  const { hooks, layers, position, shard } = what;
  return {
    format_version: 1,
    model: {
      id: model.id, file: model.modelFile, sha256: model.sourceHash, dtype: model.dtype,
      family: String(model.family), num_layers: model.numLayers, hidden_size: model.hiddenSize,
    },
    dataset: {
      source,
      format: pairsFormat(pairs),
      subsets: [...new Set(pairs.map((p) => p.subset ?? 'unknown'))],
      pair_ids: pairs.map((p) => p.id),
      texts_sha256: pairsDigest(pairs),
      ...textGroupsField(pairs),
    },
    hooks,
    layers,
    position,
    positions: [position],
    dtype: 'float32',
    hidden_size: model.hiddenSize,
    counts: { pairs: pairs.length, done: 0 },
    complete: false,
    batch_size: b.batchSize,
    ...(b.batchTokens !== undefined ? { batch_tokens: b.batchTokens, sort_window: b.sortWindow } : {}),
    ...(what.maxTokens === undefined ? {} : { max_tokens: what.maxTokens }),
    files: hooks.flatMap((h) => layers.flatMap((l) => (['pos', 'neg'] as PairSide[]).map((s) => activationFileName(h, l, s)))),
    code_version: codeVersion(),
    created: new Date().toISOString(),
    ...(shard ? { shard } : {}),
  };
}

/** The run folder's manifest: the existing one when it matches the request (a resume), else the request; a mismatch or a foreign folder is refused. */
function openRunFolder(outDir: string, manifestPath: string, requested: ActivationManifest): { manifest: ActivationManifest; resumed: boolean } {
  if (existsSync(manifestPath)) {
    const existing = readManifest(manifestPath);
    const diffs = manifestDifferences(existing, requested);
    if (diffs.length) {
      throw new Error(`${outDir}: an activation run with different settings is already there; refusing to mix them:\n  - ` +
        diffs.join('\n  - ') + '\nUse another --out folder, or delete this one to start over.');
    }
    return { manifest: existing, resumed: true };
  } else {
    if (existsSync(outDir)) {
      const foreign = readdirSync(outDir).filter((f) => !f.includes('.tmp-') && f !== LOCK);
      if (foreign.length) {
        throw new Error(`${outDir}: folder exists and is not an activation run (no manifest.json; holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); refusing to write into it`);
      }
    }
    mkdirSync(outDir, { recursive: true });
    return { manifest: requested, resumed: false };
  }
}

/** Open (or, before any row is committed, create) every array file at its final size; a complete run's files are only checked. */
function openWriters(outDir: string, files: string[], N: number, H: number, startDone: number, writers: Map<string, PreallocatedNpy>): void {
  if (startDone < N) {
    for (const f of files) {
      const p = join(outDir, f);
      if (startDone === 0 && checkPreallocatedNpy(p, N, H) !== null) writers.set(f, PreallocatedNpy.create(p, N, H));
      else writers.set(f, PreallocatedNpy.open(p, N, H));
    }
    fsyncDir(outDir);
  } else {
    for (const f of files) {
      const why = checkPreallocatedNpy(join(outDir, f), N, H);
      if (why) throw new Error(`${join(outDir, f)}: run is marked complete but this file is damaged: ${why}`);
    }
  }
}

function batchingText(m: { batch_size?: unknown; batch_tokens?: unknown; sort_window?: unknown }): string {
  return m.batch_tokens === undefined ? `batch size ${String(m.batch_size)}` : `batch tokens ${String(m.batch_tokens)} (≤ ${String(m.batch_size)} texts, sort window ${String(m.sort_window)})`;
}

function sameBatching(manifest: ActivationManifest, requested: ActivationManifest, resumed: boolean): boolean {
  return !resumed || batchingText(manifest) === batchingText(requested);
}

/** Say so when a run resumes with another batching than it started with (rows may then differ in their last bits). */
function noteBatchingChange(manifest: ActivationManifest, requested: ActivationManifest, resumed: boolean, startDone: number, opts: ExtractOptions): void {
  if (!(resumed && startDone < requested.counts.pairs && manifest.batch_size !== undefined && !sameBatching(manifest, requested, resumed) && !opts.quiet)) return;
  const was = manifest.batch_tokens === undefined && requested.batch_tokens === undefined ? String(manifest.batch_size) : batchingText(manifest);
  (opts.progressStream ?? process.stderr).write(`extract: note: resuming with ${batchingText(requested)}, the run started with ${was}; ` +
    'rows from here on may differ in the last bits from an uninterrupted run (padding changes the summation order)\n');
}

/**
 * The batches: the same plan as the run started with when the batching is unchanged (so a resumed run is
 * byte-identical to an uninterrupted one), else a new plan over the pairs not yet done; and the batch to start at.
 */
function planExtraction(
  manifest: ActivationManifest, requested: ActivationManifest, resumed: boolean, startDone: number, ids: number[][] | undefined, b: Batching,
): { plan: number[][]; firstBatch: number; prefix: DonePrefix } {
  const N = requested.counts.pairs;
  const prefix = new DonePrefix(N, startDone);
  if (b.batchTokens === undefined) return { plan: planBatches(new Array<number>(N).fill(1), { maxItems: b.pairsPerBatch }, startDone), firstBatch: 0, prefix };
  const lengths = Array.from({ length: N }, (_, i) => Math.max(ids![2 * i].length, ids![2 * i + 1].length));
  const planOpts = { batchTokens: b.batchTokens, maxItems: b.pairsPerBatch, window: b.sortWindow, rowsPerItem: 2 };
  const batchesDone = Number(manifest.counts.batches ?? 0);
  if (sameBatching(manifest, requested, resumed) && batchesDone > 0 && startDone < N) {
    // Replay the run's own plan; the batches already committed are skipped.
    const plan = planBatches(lengths, planOpts);
    const firstBatch = Math.min(batchesDone, plan.length);
    prefix.mark(plan.slice(0, firstBatch).flat());
    return { plan, firstBatch, prefix };
  }
  return { plan: planBatches(lengths, planOpts, startDone), firstBatch: 0, prefix };
}

/** How a batch is named in errors: "pairs 8-15" for a run of pairs, else the first few indices. */
function batchLabel(members: number[]): string {
  const n = members.length;
  const start = members[0];
  const end = members[n - 1] + 1;
  return n === end - start && members.every((x, j) => x === start + j) ? `pairs ${start}-${end - 1}` : `pairs ${members.slice(0, 6).join(', ')}${n > 6 ? ', …' : ''}`;
}

/** Write one batch's captures (rows: the members' sycophantic texts, then their other texts) to the pos/neg files of every hook and layer. */
function writeCaptures(
  res: Awaited<ReturnType<HookedModel['run']>>, writers: Map<string, PreallocatedNpy>,
  c: { hooks: HookName[]; layers: number[]; members: number[]; H: number; what: string; model: string },
): void {
  const { hooks, layers, members, H, what } = c;
  const n = members.length;
  const start = members[0];
  const end = members[n - 1] + 1;
for (const h of hooks) {
  for (const l of layers) {
    const m = res.captures.get(`${h}.${l}`);
    if (!m) throw new Error(`extract: model ${c.model} returned no capture "${h}.${l}" for ${what}`);
    if (m.rows !== 2 * n || m.cols !== H) {
      throw new Error(`extract: capture "${h}.${l}" for ${what} has shape [${m.rows}, ${m.cols}], expected [${2 * n}, ${H}]`);
    }
    const pos = writers.get(activationFileName(h, l, 'pos'))!;
    const neg = writers.get(activationFileName(h, l, 'neg'))!;
    if (end - start === n) {
      pos.writeRows(start, m, 0, n);
      neg.writeRows(start, m, n, n);
    } else {
      members.forEach((i, r) => {
        pos.writeRows(i, m, r, 1);
        neg.writeRows(i, m, n + r, 1);
      });
    }
  }
}
}

/**
 * Run both texts of every pair through the model (batched, left-padded) and write the captured rows to a
 * resumable activation run: one preallocated float32 [pairs, hidden] .npy per (hook, layer, side) plus
 * manifest.json, whose counts.done advances only after the rows it covers are fsynced. Re-running the same
 * request after a crash continues at counts.done and yields byte-identical files; a different request is refused.
 */
export async function extractActivations(opts: ExtractOptions): Promise<ExtractSummary> {
  const t0 = Date.now();
  const { model } = opts;
  const source = opts.source ?? 'in-memory';
  const outDir = resolve(opts.outDir);
  const hooks = resolveHooks(opts.hooks);
  const layers = resolveLayers(model, opts.layers);
  const position = resolvePosition(opts.position);
  const batching = resolveBatching(opts);
  const { batchTokens } = batching;
  const { pairs, shard } = selectPairs(opts, source, batching);
  // Each text is encoded once, for the context check and the length-aware batch plan (and the forward passes).
  const ids = batchTokens !== undefined || model.maxPositions !== undefined || opts.maxTokens !== undefined ? encodePairs(model, pairs) : undefined;
  const ctx = checkPairsContext(model, pairs, source, opts.maxTokens, ids);
  const N = pairs.length;
  const H = model.hiddenSize;

  const requested = requestedManifest(model, pairs, source, { hooks, layers, position, maxTokens: opts.maxTokens, shard }, batching);

  const manifestPath = join(outDir, 'manifest.json');
  const { manifest, resumed } = openRunFolder(outDir, manifestPath, requested);

  const release = acquireLock(join(outDir, LOCK), { what: 'extraction', guards: outDir });
  const writers = new Map<string, PreallocatedNpy>();
  try {
    // Temporary files of an atomic write cut short by a crash; we hold the lock, so nobody else is writing them.
    for (const f of readdirSync(outDir)) if (f.includes('.tmp-')) unlinkSync(join(outDir, f));
    if (!resumed) atomicWriteJson(manifestPath, manifest);
    const startDone = manifest.complete ? N : manifest.counts.done;
    if (!Number.isInteger(startDone) || startDone < 0 || startDone > N) throw new Error(`${manifestPath}: counts.done = ${startDone} is not in [0, ${N}]`);
    const files = requested.files as string[];
    openWriters(outDir, files, N, H, startDone, writers);

    noteBatchingChange(manifest, requested, resumed, startDone, opts);
    const { plan, firstBatch, prefix } = planExtraction(manifest, requested, resumed, startDone, ids, batching);
    const progress = new Progress({ label: 'extract', total: N, initial: startDone, stream: opts.progressStream, quiet: opts.quiet });
    const tRun = Date.now();
    let done = startDone;
    let computed = 0;
    const timings = { forwardSec: 0, writeSec: 0, commitSec: 0 };
    for (let k = firstBatch; k < plan.length; k++) {
      const members = plan[k];
      const n = members.length;
      const what = batchLabel(members);
      const inputs = ids
        ? [...members.map((i) => ids[2 * i]), ...members.map((i) => ids[2 * i + 1])]
        : [...members.map((i) => pairs[i].sycophantic), ...members.map((i) => pairs[i].non_sycophantic)];
      let tick = performance.now();
      let res: Awaited<ReturnType<HookedModel['run']>>;
      try {
        res = await model.run(inputs as string[] | number[][], { hooks, layers, positions: [position], maxTokens: opts.maxTokens });
      } catch (err) {
        const pids = members.map((i) => pairs[i].id);
        throw new Error(`extract: forward pass failed for ${what} (${pids.slice(0, 4).join(', ')}${pids.length > 4 ? ', …' : ''}) ` +
          `of ${source}: ${(err as Error).message}`);
      }
      timings.forwardSec += (performance.now() - tick) / 1000;
      tick = performance.now();
      writeCaptures(res, writers, { hooks, layers, members, H, what, model: model.id });
      timings.writeSec += (performance.now() - tick) / 1000;
      tick = performance.now();
      // Commit: rows reach the disk first, then the progress record that covers them.
      for (const w of writers.values()) w.sync();
      done = prefix.mark(members);
      manifest.counts = batchTokens === undefined ? { pairs: N, done } : { pairs: N, done, batches: k + 1 };
      if (done === N) {
        manifest.complete = true;
        manifest.finished = new Date().toISOString();
      }
      atomicWriteJson(manifestPath, manifest);
      timings.commitSec += (performance.now() - tick) / 1000;
      progress.tick(n);
      computed += n;
      if (opts.onProgress) {
        const elapsedSec = (Date.now() - tRun) / 1000;
        const rate = elapsedSec > 0 ? computed / elapsedSec : 0;
        opts.onProgress({ done, total: N, computed, elapsedSec, pairsPerSec: rate, etaSec: rate > 0 ? (N - startDone - computed) / rate : Infinity });
      }
    }
    if (startDone < N) progress.finish();
    if (startDone === N && !manifest.complete) {
      manifest.complete = true;
      atomicWriteJson(manifestPath, manifest);
    }
    const seconds = (Date.now() - t0) / 1000;
    const runSec = (Date.now() - tRun) / 1000;
    return {
      outDir, pairs: N, done, skipped: startDone, computed, resumed, complete: done === N,
      hooks, layers, position, hiddenSize: H, files, seconds,
      context: { maxTokens: opts.maxTokens ?? null, truncated: ctx.truncated, limit: ctx.limit ?? null, longest: ctx.longest },
      pairsPerSec: runSec > 0 ? computed / runSec : 0,
      timings,
    };
  } finally {
    for (const w of writers.values()) w.close();
    release();
  }
}
