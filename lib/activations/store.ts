import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookName } from '../model/types';
import { readNpyHeader, readNpyMatrix } from '../util/npy';
import { subtract, vstack, type Matrix } from '../util/matrix';

/** Which side of a contrastive pair: pos = sycophantic (label 1), neg = not (label 0). */
export type PairSide = 'pos' | 'neg';

/** The manifest.json of an activation run (one folder per run). */
export interface ActivationManifest {
  /** Store format version. */
  format_version: 1;
  model: { id: string; file: string; sha256: string; dtype: string; family: string; num_layers: number; hidden_size: number };
  dataset: { source: string; format: string; pair_ids: string[] };
  hooks: HookName[];
  layers: number[];
  /** The token position captured ('mean' = mean over tokens). */
  position: number | 'mean';
  dtype: 'float32';
  hidden_size: number;
  counts: { pairs: number; done: number };
  /** True once every pair has been written. */
  complete: boolean;
  code_version: string;
  created: string;
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
    this.check(hook, layer);
    const p = this.path(hook, layer, side);
    if (!existsSync(p)) throw new Error(`${p}: missing array file for ${hook} layer ${layer} (${side})`);
    const h = readNpyHeader(p);
    if (h.dtype !== '<f4' || h.shape.length !== 2 || h.shape[1] !== this.hiddenSize) {
      throw new Error(`${p}: expected float32 [pairs, ${this.hiddenSize}], found ${h.dtype} [${h.shape}]`);
    }
    const m = readNpyMatrix(p);
    const n = this.pairs;
    return n < m.rows ? { rows: n, cols: m.cols, data: m.data.subarray(0, n * m.cols) } : m;
  }

  /** Per-pair differences pos − neg at one (hook, layer): [pairs, hidden]. */
  diff(hook: HookName, layer: number): Matrix {
    return subtract(this.read(hook, layer, 'pos'), this.read(hook, layer, 'neg'));
  }

  /** Both sides stacked with labels and pair indices at one (hook, layer). */
  labelled(hook: HookName, layer: number): LabelledMatrix {
    const pos = this.read(hook, layer, 'pos');
    const neg = this.read(hook, layer, 'neg');
    const n = pos.rows;
    const y = new Uint8Array(2 * n);
    const pair = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      y[i] = 1;
      pair[i] = i;
      pair[n + i] = i;
    }
    return { X: vstack([pos, neg]), y, pair };
  }
}

/** Open an activation run folder for reading. */
export function openActivationStore(dir: string): ActivationStore {
  return new ActivationStore(dir);
}
