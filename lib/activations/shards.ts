// Sharding an extraction across machines: `--shard i/n` takes a deterministic slice of the pairs (whole sorting
// windows / batches, so every batch is the one a single run would form) into its own store, and mergeShards joins
// complete shard stores into a store byte-identical to one run, refusing missing, duplicated or foreign shards.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { atomicWriteJson, sha256 } from '../util/fs';
import { readNpyHeader } from '../util/npy';
import { activationFileName, type ActivationManifest, type PairSide } from './store';
import { checkPreallocatedNpy, PreallocatedNpy } from './writer';

/** Which shard of how many (0-based index). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** What a shard's manifest records about itself and the whole dataset it is a slice of. */
export interface ShardInfo extends ShardSpec {
  /** Pair index (in the whole dataset) of the shard's first pair. */
  offset: number;
  /** Pairs per unit the slices are made of (the sorting window, or the pairs of one fixed batch). */
  unit: number;
  total_pairs: number;
  /** The whole dataset's format, subsets, texts digest and ids digest (what the merged manifest records). */
  dataset: { format: string; subsets: string[]; texts_sha256: string; pair_ids_sha256: string; groups?: number[][] };
}

/** Parse "i/n" (0 ≤ i < n); an error names the value. */
export function parseShard(value: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new Error(`--shard must be i/n with 0 ≤ i < n (e.g. 0/8), got "${value}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new Error(`--shard ${value}: need 0 ≤ i < n`);
  return { index, count };
}

/**
 * Pair range [start, end) of a shard: the units (windows of `unit` pairs, aligned to pair 0) are split into
 * `count` contiguous runs as evenly as possible. Throws when the shard would be empty.
 */
export function shardRange(pairs: number, shard: ShardSpec, unit: number): { start: number; end: number } {
  const units = Math.ceil(pairs / unit);
  if (shard.count > units) {
    throw new Error(`--shard ${shard.index}/${shard.count}: ${pairs} pairs make only ${units} unit(s) of ${unit} pairs ` +
      `(the sorting window, or one batch), so at most ${units} shards; use fewer shards`);
  }
  const u0 = Math.floor((shard.index * units) / shard.count);
  const u1 = Math.floor(((shard.index + 1) * units) / shard.count);
  return { start: u0 * unit, end: Math.min(pairs, u1 * unit) };
}

/** Fields every shard of one extraction must agree on (everything but the slice itself and the timestamps). */
function runSettings(m: ActivationManifest): Record<string, unknown> {
  const s = m.shard;
  return {
    format_version: m.format_version, model_sha256: m.model?.sha256, model_id: m.model?.id, dtype: m.model?.dtype,
    hooks: m.hooks?.join(','), layers: m.layers?.join(','), position: m.position, hidden_size: m.hidden_size,
    batch_size: m.batch_size, batch_tokens: m.batch_tokens, sort_window: m.sort_window,
    shard_count: s?.count, unit: s?.unit, total_pairs: s?.total_pairs, dataset: JSON.stringify(s?.dataset),
  };
}

function readShardManifest(dir: string): ActivationManifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new Error(`${dir}: not an activation store (no manifest.json)`);
  let m: ActivationManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: invalid JSON (${(err as Error).message})`);
  }
  if (!m.shard) throw new Error(`${dir}: not a shard (its manifest has no "shard"; it was not written with --shard i/n)`);
  if (!m.complete) throw new Error(`${dir}: shard ${m.shard!.index}/${m.shard!.count} is not complete (${m.counts?.done}/${m.counts?.pairs} pairs); finish it first (re-run the same command)`);
  return m;
}

/** Summary of a merge. */
export interface MergeSummary {
  outDir: string;
  shards: number;
  pairs: number;
  files: number;
}

/**
 * Join complete shard stores into one store at outDir (created; must not hold anything). Refuses a missing or
 * duplicated shard index, a shard of another extraction (model, settings, dataset or count differ), an incomplete
 * or damaged shard, and slices that do not tile the dataset. The arrays are the shards' rows concatenated, each
 * written atomically; the manifest is the one a single run writes.
 */
export function mergeShards(dirs: string[], outDir: string): MergeSummary {
  if (!dirs.length) throw new Error('extract merge: no shard folders given');
  const out = resolve(outDir);
  const shards = dirs.map((d) => ({ dir: resolve(d), m: readShardManifest(resolve(d)) }));
  const ref = shards[0];
  const refSettings = runSettings(ref.m);
  for (const s of shards.slice(1)) {
    const a = runSettings(s.m);
    const diffs = Object.keys(refSettings).filter((k) => String(a[k]) !== String(refSettings[k]));
    if (diffs.length) {
      throw new Error(`${s.dir}: shard of another extraction than ${ref.dir} (${diffs.map((k) => `${k}: ${String(a[k])} vs ${String(refSettings[k])}`).join('; ')})`);
    }
  }
  const count = ref.m.shard!.count;
  const byIndex = new Map<number, (typeof shards)[number]>();
  for (const s of shards) {
    const i = s.m.shard!.index;
    const prev = byIndex.get(i);
    if (prev) throw new Error(`shard ${i}/${count} given twice: ${prev.dir} and ${s.dir}`);
    byIndex.set(i, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) throw new Error(`missing shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')} (have ${[...byIndex.keys()].sort((a, b) => a - b).join(', ')})`);
  const ordered = Array.from({ length: count }, (_, i) => byIndex.get(i)!);
  const info = ref.m.shard!;
  let offset = 0;
  for (const s of ordered) {
    const si = s.m.shard!;
    if (si.offset !== offset) throw new Error(`${s.dir}: shard ${si.index}/${count} starts at pair ${si.offset}, expected ${offset}`);
    offset += s.m.counts.pairs;
  }
  if (offset !== info.total_pairs) throw new Error(`the shards hold ${offset} pairs, the dataset has ${info.total_pairs}`);
  const pairIds = ordered.flatMap((s) => s.m.dataset.pair_ids);
  if (sha256(JSON.stringify(pairIds)) !== info.dataset.pair_ids_sha256) throw new Error('the shards\' pair ids do not join into the dataset the shards were cut from');
  const H = ref.m.hidden_size;
  const files = (ref.m.files as string[] | undefined) ?? ref.m.hooks.flatMap((h) => ref.m.layers.flatMap((l) => (['pos', 'neg'] as PairSide[]).map((side) => activationFileName(h, l, side))));
  for (const s of ordered) {
    for (const f of files) {
      const why = checkPreallocatedNpy(join(s.dir, f), s.m.counts.pairs, H);
      if (why) throw new Error(`${join(s.dir, f)}: ${why}`);
    }
  }

  if (existsSync(out) && readdirSync(out).length) throw new Error(`${out}: folder exists and is not empty; merge into a new folder`);
  mkdirSync(out, { recursive: true });
  const N = info.total_pairs;
  const block = Buffer.allocUnsafe(16 << 20);
  for (const f of files) {
    const tmp = join(out, `${f}.tmp-${process.pid}`);
    const w = PreallocatedNpy.create(tmp, N, H);
    w.close();
    const fd = openSync(tmp, 'r+');
    try {
      let pos = readNpyHeader(tmp).offset;
      for (const s of ordered) {
        const src = join(s.dir, f);
        const sfd = openSync(src, 'r');
        try {
          let at = readNpyHeader(src).offset;
          let left = s.m.counts.pairs * H * 4;
          while (left > 0) {
            const n = readSync(sfd, block, 0, Math.min(block.length, left), at);
            if (n <= 0) throw new Error(`${src}: short read at byte ${at}`);
            let wrote = 0;
            while (wrote < n) wrote += writeSync(fd, block, wrote, n - wrote, pos + wrote);
            at += n;
            pos += n;
            left -= n;
          }
        } finally {
          closeSync(sfd);
        }
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(out, f));
  }
  const first = ordered[0].m;
  const merged: ActivationManifest = {
    ...first,
    dataset: { ...first.dataset, format: info.dataset.format, subsets: info.dataset.subsets, pair_ids: pairIds, texts_sha256: info.dataset.texts_sha256 },
    counts: { pairs: N, done: N, ...(first.batch_tokens !== undefined ? { batches: ordered.reduce((a, s) => a + Number(s.m.counts.batches ?? 0), 0) } : {}) },
    complete: true,
    created: ordered.map((s) => s.m.created).sort()[0],
    finished: ordered.map((s) => String(s.m.finished ?? '')).sort().pop(),
  };
  delete merged.shard;
  // groups index the whole dataset (a shard's own manifest holds its local ones)
  if (info.dataset.groups) merged.dataset.groups = info.dataset.groups;
  else delete merged.dataset.groups;
  try {
    atomicWriteJson(join(out, 'manifest.json'), merged);
  } catch (err) {
    rmSync(out, { recursive: true, force: true });
    throw err;
  }
  return { outDir: out, shards: count, pairs: N, files: files.length };
}
