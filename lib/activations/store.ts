import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { HookName } from '../model/types';
import type { ShardInfo } from './shards';
import { readNpyHeader } from '../util/npy';
import { assertFinite, type Matrix } from '../util/matrix';

/** Which side of a contrastive pair: pos = sycophantic (label 1), neg = not (label 0). */
export type PairSide = 'pos' | 'neg';

/** The manifest.json of an activation run (one folder per run). */
export interface ActivationManifest {
  /** Store format version. */
  format_version: 1;
  model: { id: string; file: string; sha256: string; dtype: string; family: string; num_layers: number; hidden_size: number };
  dataset: {
    source: string;
    format: string;
    pair_ids: string[];
    /** Subsets the pairs come from (e.g. political_typology_quiz). */
    subsets?: string[];
    /** SHA-256 over every pair's id and both texts, in order. */
    texts_sha256?: string;
    /** Pair indices that share a source row or an identical text (groups of two or more): splits keep each together. */
    groups?: number[][];
  };
  hooks: HookName[];
  layers: number[];
  /** The token position captured ('mean' = mean over tokens). */
  position: number | 'mean';
  /** The positions captured per text (one entry: `position`). */
  positions?: (number | 'mean')[];
  dtype: 'float32';
  hidden_size: number;
  /** done = pairs of the longest fully written prefix; batches = batches of the length-aware plan committed. */
  counts: { pairs: number; done: number; batches?: number };
  /** True once every pair has been written. */
  complete: boolean;
  /** Texts per forward pass used by the extraction. */
  batch_size?: number;
  /** Token budget per forward pass and sorting window (pairs) of a length-aware extraction. */
  batch_tokens?: number;
  sort_window?: number;
  /** Present in a shard's store (`--shard i/n`): its slice and the whole dataset's digests. */
  shard?: ShardInfo;
  /** Array files of the run, relative to its folder. */
  files?: string[];
  code_version: string;
  created: string;
  /** When the last pair was written. */
  finished?: string;
  [extra: string]: unknown;
}

/** File name of one (hook, layer, side) array inside a run folder. */
export function activationFileName(hook: HookName, layer: number, side: PairSide): string {
  return `${hook}.L${layer}.${side}.npy`;
}

/** Stacked activations of both sides with labels (pos rows first, then neg rows). */
export interface LabelledMatrix {
  X: Matrix;
  /** 1 = sycophantic, 0 = not; one per row. */
  y: Uint8Array;
  /** Pair index of each row (so splits can keep pairs together). */
  pair: Int32Array;
  /** Group of each row's pair (pairs sharing a source row or a text); present when the run records groups. */
  group?: Int32Array;
}

/** A read-only view of an activation run: loads one (hook, layer) at a time. */
export class ActivationStore {
  readonly dir: string;
  readonly manifest: ActivationManifest;

  constructor(dir: string) {
    this.dir = dir;
    const mpath = join(dir, 'manifest.json');
    if (!existsSync(mpath)) throw new Error(`${dir}: not an activation run (no manifest.json)`);
    let m: ActivationManifest;
    try {
      m = JSON.parse(readFileSync(mpath, 'utf8'));
    } catch (err) {
      throw new Error(`${mpath}: invalid JSON (${(err as Error).message})`);
    }
    for (const k of ['model', 'hooks', 'layers', 'hidden_size', 'counts'] as const) {
      if (m[k] === undefined) throw new Error(`${mpath}: missing field "${k}"`);
    }
    this.manifest = m;
  }

  get layers(): number[] { return this.manifest.layers; }
  get hooks(): HookName[] { return this.manifest.hooks; }
  get hiddenSize(): number { return this.manifest.hidden_size; }
  /** Number of pairs written (all of them once the run is complete). */
  get pairs(): number { return this.manifest.complete ? this.manifest.counts.pairs : this.manifest.counts.done; }
  /** True once every pair has been written. */
  get complete(): boolean { return Boolean(this.manifest.complete); }
  /** The captured position ('mean' = mean over tokens). */
  get position(): number | 'mean' { return this.manifest.position; }
  /** Ids of the pairs written so far, row order (row i = pair i). */
  get pairIds(): string[] { return (this.manifest.dataset?.pair_ids ?? []).slice(0, this.pairs); }

  private check(hook: HookName, layer: number): void {
    if (!this.hooks.includes(hook)) throw new Error(`${this.dir}: hook "${hook}" not captured (has ${this.hooks.join(', ')})`);
    if (!this.layers.includes(layer)) throw new Error(`${this.dir}: layer ${layer} not captured (has ${this.layers.join(', ')})`);
  }

  /** Path of one array file. */
  path(hook: HookName, layer: number, side: PairSide): string {
    return join(this.dir, activationFileName(hook, layer, side));
  }

  /** Activations of one side at one (hook, layer): [pairs, hidden]; only complete rows are returned. */
  read(hook: HookName, layer: number, side: PairSide): Matrix {
    return this.readRows(hook, layer, side, 0, this.pairs);
  }

  /**
   * Rows [start, start + count) of one side at one (hook, layer), read straight from disk into one
   * Float32Array (memory = the rows asked for; rows not yet written by a partial run are refused).
   */
  readRows(hook: HookName, layer: number, side: PairSide, start: number, count: number): Matrix {
    const data = new Float32Array(count * this.hiddenSize);
    this.readInto(hook, layer, side, start, count, data);
    return { rows: count, cols: this.hiddenSize, data };
  }

  /** Read rows [start, start + count) of one array file into `out` (length count × hidden). */
  private readInto(hook: HookName, layer: number, side: PairSide, start: number, count: number, out: Float32Array): void {
    this.check(hook, layer);
    const p = this.path(hook, layer, side);
    if (!existsSync(p)) throw new Error(`${p}: missing array file for ${hook} layer ${layer} (${side})`);
    const h = readNpyHeader(p);
    if (h.dtype !== '<f4' || h.shape.length !== 2 || h.shape[1] !== this.hiddenSize) {
      throw new Error(`${p}: expected float32 [pairs, ${this.hiddenSize}], found ${h.dtype} [${h.shape}]`);
    }
    const n = Math.min(this.pairs, h.shape[0]);
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > n) {
      throw new Error(`${p}: rows [${start}, ${start + count}) out of range: ${n} pairs written`);
    }
    const cols = h.shape[1];
    if (out.length !== count * cols) throw new Error(`${p}: output buffer holds ${out.length} values, need ${count * cols}`);
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const fd = openSync(p, 'r');
    try {
      let got = 0;
      const pos = h.offset + start * cols * 4;
      while (got < bytes.length) {
        const k = readSync(fd, bytes, got, bytes.length - got, pos + got);
        if (k === 0) throw new Error(`${p}: truncated .npy data (ends before row ${start + Math.floor(got / (cols * 4))})`);
        got += k;
      }
    } finally {
      closeSync(fd);
    }
    const ids = this.manifest.dataset?.pair_ids;
    assertFinite(p, out, cols, start, (r) => (ids?.[r] !== undefined ? `pair "${ids[r]}"` : `pair ${r}`));
  }

  /** Per-pair differences pos − neg at one (hook, layer): [pairs, hidden] (neg is streamed in blocks, so memory ≈ one side). */
  diff(hook: HookName, layer: number, opts: { blockRows?: number } = {}): Matrix {
    const pos = this.read(hook, layer, 'pos');
    const H = this.hiddenSize;
    const block = Math.max(1, Math.floor(opts.blockRows ?? (4 << 20) / (4 * Math.max(H, 1))));
    const buf = new Float32Array(Math.min(block, Math.max(pos.rows, 1)) * H);
    for (let start = 0; start < pos.rows; start += block) {
      const count = Math.min(block, pos.rows - start);
      const neg = buf.subarray(0, count * H);
      this.readInto(hook, layer, 'neg', start, count, neg);
      const d = pos.data.subarray(start * H, (start + count) * H);
      for (let i = 0; i < d.length; i++) d[i] -= neg[i];
    }
    return pos;
  }

  /** Both sides stacked with labels and pair indices at one (hook, layer): rows 0..n-1 pos (y = 1), n..2n-1 neg (y = 0). */
  labelled(hook: HookName, layer: number): LabelledMatrix {
    const n = this.pairs;
    const H = this.hiddenSize;
    const data = new Float32Array(2 * n * H);
    this.readInto(hook, layer, 'pos', 0, n, data.subarray(0, n * H));
    this.readInto(hook, layer, 'neg', 0, n, data.subarray(n * H));
    const y = new Uint8Array(2 * n);
    const pair = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      y[i] = 1;
      pair[i] = i;
      pair[n + i] = i;
    }
    const groups = this.manifest.dataset?.groups;
    if (!groups?.length) return { X: { rows: 2 * n, cols: H, data }, y, pair };
    const of = Int32Array.from({ length: n }, (_, i) => i);
    for (const g of groups) for (const i of g) if (i < n) of[i] = Math.min(...g);
    return { X: { rows: 2 * n, cols: H, data }, y, pair, group: Int32Array.from(pair, (p) => of[p]) };
  }
}

/** Open an activation run folder for reading. */
export function openActivationStore(dir: string): ActivationStore {
  return new ActivationStore(dir);
}
