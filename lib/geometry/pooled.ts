// One embedding of every layer's points together (the study's "t-SNE over all layers pooled"): rows of all layers
// stacked, each keeping its layer, label and pair, with the same seeded subsample of pairs at every layer.
import type { ActivationStore } from '../activations/store';
import type { HookName } from '../model/types';
import { matrix, type Matrix } from '../util/matrix';
import { Rng } from '../util/rng';
import { embed, type EmbedOptions, type ProjectionMethod } from './project';

/** Options of projectPooled. */
export interface PooledOptions extends EmbedOptions {
  /** Hook to read (default 'resid'). */
  hook?: HookName;
  /** Layers pooled (default: every captured layer). */
  layers?: number[];
  /** At most this many points in all (default 3000): beyond it the same seeded subset of pairs is taken at every layer. */
  maxPoints?: number;
}

/** A pooled embedding: one row per (layer, text), with its layer, label (1 = sycophantic) and pair index. */
export interface PooledProjection {
  method: ProjectionMethod;
  hook: HookName;
  coords: Matrix;
  layer: Int32Array;
  labels: Uint8Array;
  pair: Int32Array;
  /** Pairs used per layer (all of the store's, or the subsample). */
  pairsUsed: number;
  info: Record<string, unknown>;
}

/** Embed the points of every chosen layer together with one method (default t-SNE); deterministic for a seed. */
export function projectPooled(store: ActivationStore, opts: Partial<PooledOptions> = {}): PooledProjection {
  const hook = opts.hook ?? 'resid';
  const method = opts.method ?? 'tsne';
  const layers = opts.layers ?? store.layers;
  if (!store.hooks.includes(hook)) throw new Error(`${store.dir}: hook "${hook}" not captured (has ${store.hooks.join(', ')})`);
  for (const l of layers) if (!store.layers.includes(l)) throw new Error(`${store.dir}: layer ${l} not captured (has ${store.layers.join(', ')})`);
  if (!layers.length) throw new Error('projectPooled: no layers given');
  const maxPoints = opts.maxPoints ?? 3000;
  const keepPairs = Math.max(2, Math.min(store.pairs, Math.floor(maxPoints / (2 * layers.length))));
  const chosen = new Set(keepPairs < store.pairs ? new Rng(opts.seed ?? 0).permutation(store.pairs).slice(0, keepPairs) : Array.from({ length: store.pairs }, (_, i) => i));
  const parts: { X: Matrix; rows: number[] }[] = [];
  const layerOf: number[] = [], label: number[] = [], pairOf: number[] = [];
  for (const l of layers) {
    const lm = store.labelled(hook, l);
    const rows: number[] = [];
    for (let i = 0; i < lm.pair.length; i++) {
      if (!chosen.has(lm.pair[i])) continue;
      rows.push(i);
      layerOf.push(l);
      label.push(lm.y[i]);
      pairOf.push(lm.pair[i]);
    }
    parts.push({ X: lm.X, rows });
  }
  const cols = parts[0].X.cols;
  const X = matrix(layerOf.length, cols, new Float32Array(layerOf.length * cols));
  let r = 0;
  for (const { X: src, rows } of parts) {
    for (const i of rows) X.data.set(src.data.subarray(i * cols, (i + 1) * cols), (r++) * cols);
  }
  let e;
  try {
    e = embed(X, { ...opts, method, dims: 2 });
  } catch (err) {
    throw new Error(`${store.dir}: pooled ${method} of ${hook} layers ${layers.join(',')} (${X.rows}×${X.cols}) failed: ${(err as Error).message}`);
  }
  return {
    method, hook, coords: e.coords, layer: Int32Array.from(layerOf), labels: Uint8Array.from(label), pair: Int32Array.from(pairOf),
    pairsUsed: chosen.size, info: { ...e.info, layers, points: X.rows },
  };
}

/** A PooledProjection as plain JSON. */
export interface SavedPooled {
  method: ProjectionMethod;
  hook: HookName;
  rows: number;
  coords: number[];
  layer: number[];
  labels: number[];
  pair: number[];
  pairsUsed: number;
  info: Record<string, unknown>;
}

/** Plain-JSON form of a pooled projection (for the run folder). */
export function savePooled(p: PooledProjection): SavedPooled {
  return { method: p.method, hook: p.hook, rows: p.coords.rows, coords: Array.from(p.coords.data), layer: Array.from(p.layer), labels: Array.from(p.labels), pair: Array.from(p.pair), pairsUsed: p.pairsUsed, info: p.info };
}

/** A pooled projection back from its plain-JSON form. */
export function loadPooled(s: SavedPooled): PooledProjection {
  return {
    method: s.method, hook: s.hook, coords: matrix(s.rows, 2, Float32Array.from(s.coords)), layer: Int32Array.from(s.layer),
    labels: Uint8Array.from(s.labels), pair: Int32Array.from(s.pair), pairsUsed: s.pairsUsed, info: s.info,
  };
}
