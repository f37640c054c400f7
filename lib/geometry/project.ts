import type { ActivationStore } from '../activations/store';
import type { HookName } from '../model/types';
import type { Matrix } from '../util/matrix';
import { Progress } from '../util/progress';
import { lle, spectralEmbedding } from './manifold';
import { pca } from './pca';
import { tsne } from './tsne';
import { umap } from './umap';

import { PROJECTION_METHODS, type ProjectionMethod } from './methods';

export { PROJECTION_METHODS, type ProjectionMethod } from './methods';

/** Options of embed(): the method plus the knobs each method understands (others are ignored). */
export interface EmbedOptions {
  method: ProjectionMethod;
  /** Output dimensions, 2 or 3 (default 2). */
  dims?: number;
  /** Seed (default 0). */
  seed?: number;
  /** t-SNE perplexity (default 30). */
  perplexity?: number;
  /** t-SNE iterations (default 1000). */
  iterations?: number;
  /** Neighbours for UMAP (15), LLE (5) and spectral (n/10). */
  neighbors?: number;
  /** PCA pre-reduction for the neighbour-based methods (default 50; false = none). */
  pcaDims?: number | false;
  /** Threads for the t-SNE gradient (default: automatic). */
  threads?: number;
  /** Show per-iteration progress inside a method (default false). */
  progress?: boolean;
}

/** An embedding plus method-specific details (settings used, KL, explained variance, eigenvalues, timings). */
export interface Embedding {
  coords: Matrix;
  info: Record<string, unknown>;
}

/** A projection strategy: embeds the rows of X in `dims` dimensions, returning coordinates and its details (without timing). */
export type ProjectFn = (X: Matrix, opts: EmbedOptions, dims: 2 | 3, seed: number) => Embedding;

function manifoldEmbedding(f: typeof lle): ProjectFn {
  return (X, opts, dims, seed) => {
    const r = f(X, { dims, seed, neighbors: opts.neighbors, pcaDims: opts.pcaDims });
    return {
      coords: r.embedding,
      info: { neighbors: r.neighbors, eigenvalues: r.eigenvalues, solver: r.solver, solver_iterations: r.iterations, pca_dims: r.pcaDims },
    };
  };
}

/** The implementation of every projection method (a method added to PROJECTIONS makes the compiler ask for it here). */
export const PROJECTORS: Record<ProjectionMethod, ProjectFn> = {
  pca: (X, _opts, dims, seed) => {
    const p = pca(X, dims, { seed });
    return { coords: p.transform(X), info: { explained_variance_ratio: Array.from(p.explainedVarianceRatio) } };
  },
  tsne: (X, opts, dims, seed) => {
    const r = tsne(X, {
      dims, seed, perplexity: opts.perplexity, iterations: opts.iterations, pcaDims: opts.pcaDims,
      threads: opts.threads, progress: opts.progress,
    });
    return {
      coords: r.embedding,
      info: {
        kl: r.kl, iterations: r.iterations + 1, learning_rate: r.learningRate, method: r.method,
        perplexity: opts.perplexity ?? 30, pca_dims: r.pcaDims, neighbors: r.neighbors,
      },
    };
  },
  umap: (X, opts, dims, seed) => {
    const r = umap(X, { dims, seed, neighbors: opts.neighbors, pcaDims: opts.pcaDims });
    return { coords: r.embedding, info: { neighbors: r.neighbors, epochs: r.epochs, pca_dims: r.pcaDims } };
  },
  lle: manifoldEmbedding(lle),
  spectral: manifoldEmbedding(spectralEmbedding),
};

/** Embed the rows of X with one method; deterministic for a seed. */
export function embed(X: Matrix, opts: EmbedOptions): Embedding {
  const dims = opts.dims ?? 2;
  const seed = opts.seed ?? 0;
  if (dims !== 2 && dims !== 3) throw new Error(`embed: dims must be 2 or 3, got ${dims}`);
  const project = Object.hasOwn(PROJECTORS, opts.method) ? PROJECTORS[opts.method] : undefined;
  if (!project) throw new Error(`embed: unknown method "${String((opts as { method: unknown }).method)}" (use ${PROJECTION_METHODS.join(', ')})`);
  const t0 = performance.now();
  const e = project(X, opts, dims, seed);
  return { coords: e.coords, info: { ...e.info, seconds: (performance.now() - t0) / 1000 } };
}

/** Options of projectLayers. */
export interface ProjectLayersOptions extends EmbedOptions {
  /** Hook to read (default 'resid'). */
  hook?: HookName;
  /** Layers to project (default: every captured layer). */
  layers?: number[] | 'all';
  /** 'both' = pos and neg rows stacked with labels 1/0; 'diff' = one row per pair, pos − neg (default 'both'). */
  of?: 'both' | 'diff';
  /** Called after each layer (e.g. to save partial results). */
  onLayer?: (p: LayerProjection) => void;
}

/** The projection of one layer: coordinates with the label and pair index of every row. */
export interface LayerProjection {
  layer: number;
  hook: HookName;
  method: ProjectionMethod;
  of: 'both' | 'diff';
  /** rows×dims coordinates. */
  coords: Matrix;
  /** 1 = sycophantic, 0 = not; for 'diff' every row is a pos − neg difference and carries 1. */
  labels: Uint8Array;
  /** Pair index of each row. */
  pair: Int32Array;
  info: Record<string, unknown>;
}

/** Project every requested layer of an activation store with one method, one layer in memory at a time. */
export function projectLayers(store: ActivationStore, opts: ProjectLayersOptions): LayerProjection[] {
  const hook = opts.hook ?? 'resid';
  const of = opts.of ?? 'both';
  if (!store.hooks.includes(hook)) throw new Error(`${store.dir}: hook "${hook}" not captured (has ${store.hooks.join(', ')})`);
  const layers = opts.layers === undefined || opts.layers === 'all' ? store.layers : opts.layers;
  for (const l of layers) {
    if (!store.layers.includes(l)) throw new Error(`${store.dir}: layer ${l} not captured (has ${store.layers.join(', ')})`);
  }
  if (of !== 'both' && of !== 'diff') throw new Error(`projectLayers: of must be 'both' or 'diff', got "${String(of)}"`);
  const progress = new Progress({ label: `${opts.method} ${hook} layers`, total: layers.length });
  const out: LayerProjection[] = [];
  for (const layer of layers) {
    let X: Matrix, labels: Uint8Array, pair: Int32Array;
    if (of === 'both') {
      const lm = store.labelled(hook, layer);
      X = lm.X;
      labels = lm.y;
      pair = lm.pair;
    } else {
      X = store.diff(hook, layer);
      labels = new Uint8Array(X.rows).fill(1);
      pair = Int32Array.from({ length: X.rows }, (_, i) => i);
    }
    let e: Embedding;
    try {
      e = embed(X, opts);
    } catch (err) {
      throw new Error(`${store.dir}: ${opts.method} of ${hook} layer ${layer} (${X.rows}×${X.cols}) failed: ${(err as Error).message}`);
    }
    const p: LayerProjection = { layer, hook, method: opts.method, of, coords: e.coords, labels, pair, info: e.info };
    out.push(p);
    opts.onLayer?.(p);
    progress.tick();
  }
  progress.finish();
  return out;
}
