import { UMAP } from 'umap-js';
import { findABParams } from 'umap-js/dist/umap';
import { assertFinite, type Matrix } from '../util/matrix';
import { Rng } from '../util/rng';
import { knn } from './knn';
import { reduceForEmbedding } from './reduce';

/** Options of UMAP (umap-js underneath; defaults as umap-learn where umap-js exposes them). */
export interface UmapOptions {
  /** Output dimensions (default 2). */
  dims?: number;
  /** Neighbours per point including the point itself, as umap-learn (default 15). */
  neighbors?: number;
  /** Minimum distance between embedded points (default 0.1). */
  minDist?: number;
  /** Scale of embedded points (default 1). */
  spread?: number;
  /** Optimisation epochs (default: umap-js's choice by size: 500 up to 2,500 points … 200 above 10,000). */
  epochs?: number;
  /** PCA pre-reduction when the input has more columns (default 50; false = use the input as is). */
  pcaDims?: number | false;
  /** Seed of the PCA and of every random draw of the optimiser (default 0). */
  seed?: number;
  /**
   * 'typed' (default): our typed-array re-implementation of umap-js's fuzzy graph and layout epochs (same
   * arithmetic and random draws, much faster); 'umap-js': umap-js's own initializeFit() and step().
   */
  layout?: 'typed' | 'umap-js';
}

/** A UMAP embedding with the settings used. */
export interface UmapResult {
  embedding: Matrix;
  neighbors: number;
  epochs: number;
  pcaDims: number | null;
  timings: { reduce: number; knn: number; optimize: number };
}

/** The optimisation state of umap-js 1.4 (its private fields of the same names), as the layout loop reads it. */
interface OptimizationState {
  head: number[];
  tail: number[];
  headEmbedding: number[][];
  epochsPerSample: number[];
  epochsPerNegativeSample: number[];
  epochOfNextSample: number[];
  epochOfNextNegativeSample: number[];
  initialAlpha: number;
  gamma: number;
  a: number;
  b: number;
  dim: number;
  nEpochs: number;
  nVertices: number;
  moveOther: boolean;
  currentEpoch: number;
}

/**
 * umap-js 1.4's fuzzySimplicialSet + initializeSimplicialSetEmbedding + optimisation set-up on typed arrays, with the
 * same arithmetic: smooth k-NN distances (ρ, σ by 64-step bisection to log2 k), memberships exp(−(d − ρ)/σ),
 * fuzzy union A + Aᵀ − A∘Aᵀ, pruning below max/epochs, edges in row-major order, uniform [−10, 10) initial layout.
 */
function fuzzyState(
  idx: number[][], dist: number[][], dims: number, nEpochs: number, minDist: number, spread: number, random: () => number,
): OptimizationState {
  const n = idx.length, k = idx[0].length;
  const TOL = 1e-5, MIN_SCALE = 1e-3;
  const target = Math.log(k) / Math.log(2);
  const rho = new Float64Array(n), sigma = new Float64Array(n);
  let meanAll = -1;
  for (let i = 0; i < n; i++) {
    const di = dist[i];
    let firstNonZero = -1, maxNonZero = 0, count = 0;
    for (const d of di) if (d > 0) {
      if (firstNonZero < 0) firstNonZero = d;
      if (d > maxNonZero) maxNonZero = d;
      count++;
    }
    if (count >= 1) rho[i] = firstNonZero;
    else if (count > 0) rho[i] = maxNonZero;
    let lo = 0, hi = Infinity, mid = 1;
    for (let it = 0; it < 64; it++) {
      let psum = 0;
      for (let j = 1; j < k; j++) {
        const d = di[j] - rho[i];
        psum += d > 0 ? Math.exp(-(d / mid)) : 1;
      }
      if (Math.abs(psum - target) < TOL) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    sigma[i] = mid;
    const mean = (v: number[]): number => v.reduce((s, x) => s + x) / v.length;
    if (rho[i] > 0) {
      const m = mean(di);
      if (sigma[i] < MIN_SCALE * m) sigma[i] = MIN_SCALE * m;
    } else {
      if (meanAll < 0) meanAll = mean(dist.map(mean));
      if (sigma[i] < MIN_SCALE * meanAll) sigma[i] = MIN_SCALE * meanAll;
    }
  }
  // directed memberships, then the fuzzy union per row, columns ascending
  const rowsOut: { col: number; x: number; y: number }[][] = Array.from({ length: n }, () => []);
  const slot: Map<number, { col: number; x: number; y: number }>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const c = idx[i][j];
      if (c === -1) continue;
      const v = c === i ? 0 : dist[i][j] - rho[i] <= 0 ? 1 : Math.exp(-((dist[i][j] - rho[i]) / sigma[i]));
      let e = slot[i].get(c);
      if (!e) { e = { col: c, x: 0, y: 0 }; slot[i].set(c, e); rowsOut[i].push(e); }
      e.x = v;
      let f = slot[c].get(i);
      if (!f) { f = { col: i, x: 0, y: 0 }; slot[c].set(i, f); rowsOut[c].push(f); }
      f.y = v;
    }
  }
  let gmax = 0;
  const vals: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    rowsOut[i].sort((p, q) => p.col - q.col);
    const v = new Float64Array(rowsOut[i].length);
    rowsOut[i].forEach((e, t) => {
      v[t] = e.x + e.y - e.x * e.y;
      if (v[t] > gmax) gmax = v[t];
    });
    vals.push(v);
  }
  // initial layout: uniform in [−10, 10), row by row (umap-js draws it before building the edge list)
  const headEmbedding: number[][] = [];
  for (let i = 0; i < n; i++) {
    const r: number[] = [];
    for (let d = 0; d < dims; d++) r.push(random() * 20 + -10);
    headEmbedding.push(r);
  }
  const head: number[] = [], tail: number[] = [], weights: number[] = [];
  for (let i = 0; i < n; i++) {
    rowsOut[i].forEach((e, t) => {
      const w = vals[i][t] < gmax / nEpochs ? 0 : vals[i][t];
      if (w) {
        weights.push(w);
        tail.push(i);
        head.push(e.col);
      }
    });
  }
  let wmax = 0;
  for (const w of weights) wmax = w > wmax ? w : wmax;
  const epochsPerSample = weights.map((w) => {
    const ns = (w / wmax) * nEpochs;
    return ns > 0 ? nEpochs / ns : -1;
  });
  const epochsPerNegativeSample = epochsPerSample.map((e) => e / 5);
  const { a, b } = findABParams(spread, minDist);
  return {
    head, tail, headEmbedding, epochsPerSample, epochsPerNegativeSample,
    epochOfNextSample: [...epochsPerSample], epochOfNextNegativeSample: [...epochsPerNegativeSample],
    initialAlpha: 1, gamma: 1, a, b, dim: dims, nEpochs, nVertices: n, moveOther: true, currentEpoch: 0,
  };
}

/**
 * umap-js's optimizeLayoutStep over all epochs on typed arrays: the same edge order, arithmetic, clipping and
 * random draws (so the result equals umap-js's for the same generator), without nested-array overhead.
 */
function layoutEpochs(s: OptimizationState, random: () => number): Float64Array {
  const n = s.headEmbedding.length, dim = s.dim, m = s.epochsPerSample.length;
  const Y = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) Y[i * dim + d] = s.headEmbedding[i][d];
  const head = Int32Array.from(s.head), tail = Int32Array.from(s.tail);
  const eps = Float64Array.from(s.epochsPerSample);
  const epns = Float64Array.from(s.epochsPerNegativeSample);
  const next = Float64Array.from(s.epochOfNextSample);
  const nextNeg = Float64Array.from(s.epochOfNextNegativeSample);
  const { a, b, gamma, nEpochs, nVertices, initialAlpha } = s;
  const clip = (x: number): number => (x > 4 ? 4 : x < -4 ? -4 : x);
  let alpha = initialAlpha;
  for (let epoch = 0; epoch < nEpochs; epoch++) {
    for (let i = 0; i < m; i++) {
      if (next[i] > epoch) continue;
      const j = head[i], k = tail[i];
      const cj = j * dim, ck = k * dim;
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const e = Y[cj + d] - Y[ck + d];
        d2 += e * e; // Math.pow(e, 2) === e * e exactly in V8
      }
      let gc = 0;
      if (d2 > 0) {
        gc = -2 * a * b * Math.pow(d2, b - 1);
        gc /= a * Math.pow(d2, b) + 1;
      }
      for (let d = 0; d < dim; d++) {
        const g = clip(gc * (Y[cj + d] - Y[ck + d]));
        Y[cj + d] += g * alpha;
        Y[ck + d] += -g * alpha;
      }
      next[i] += eps[i];
      const nNeg = Math.floor((epoch - nextNeg[i]) / epns[i]);
      for (let p = 0; p < nNeg; p++) {
        const r = Math.floor(random() * nVertices);
        const cr = r * dim;
        let e2 = 0;
        for (let d = 0; d < dim; d++) {
          const e = Y[cj + d] - Y[cr + d];
          e2 += e * e;
        }
        let gn = 0;
        if (e2 > 0) {
          gn = 2 * gamma * b;
          gn /= (0.001 + e2) * (a * Math.pow(e2, b) + 1);
        } else if (j === r) continue;
        for (let d = 0; d < dim; d++) {
          let g = 4;
          if (gn > 0) g = clip(gn * (Y[cj + d] - Y[cr + d]));
          Y[cj + d] += g * alpha;
        }
      }
      nextNeg[i] += nNeg * epns[i];
    }
    alpha = initialAlpha * (1 - epoch / nEpochs);
  }
  return Y;
}

/**
 * UMAP embedding, deterministic for a seed: exact k-NN from our blocked GEMM search (in place of umap-js's
 * approximate NN-descent, which dominates its run time), then umap-js's fuzzy simplicial set and layout
 * optimisation driven by a seeded generator.
 */
export function umap(X: Matrix, opts: UmapOptions = {}): UmapResult {
  const n = X.rows;
  const dims = opts.dims ?? 2;
  const k = opts.neighbors ?? 15;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`umap: dims must be a positive integer, got ${dims}`);
  if (!Number.isInteger(k) || k < 2 || k >= n) throw new Error(`umap: neighbors = ${k} must be an integer in [2, ${n - 1}] for ${n} points`);
  assertFinite('umap: input', X.data, X.cols);
  const t0 = performance.now();
  const pcaDims = opts.pcaDims === undefined ? 50 : opts.pcaDims;
  const red = reduceForEmbedding(X, pcaDims === false ? null : pcaDims, 0, seed);
  const Xr = red.X;
  const t1 = performance.now();
  // umap-learn's k-NN lists include the point itself first (distance 0); distances are Euclidean
  const nn = knn(Xr, k - 1);
  const knnIndices: number[][] = [];
  const knnDistances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const idx = [i], dist = [0];
    for (let a = 0; a < k - 1; a++) {
      idx.push(nn.indices[i * (k - 1) + a]);
      dist.push(Math.sqrt(nn.dist2[i * (k - 1) + a]));
    }
    knnIndices.push(idx);
    knnDistances.push(dist);
  }
  const t2 = performance.now();
  const rng = new Rng(seed);
  const minDist = opts.minDist ?? 0.1, spread = opts.spread ?? 1;
  const out = new Float32Array(n * dims);
  let epochs: number;
  if ((opts.layout ?? 'typed') === 'typed') {
    epochs = opts.epochs && opts.epochs > 0 ? opts.epochs : n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
    const state = fuzzyState(knnIndices, knnDistances, dims, epochs, minDist, spread, () => rng.next());
    const Y = layoutEpochs(state, () => rng.next());
    for (let t = 0; t < n * dims; t++) out[t] = Y[t];
  } else {
    const u = new UMAP({ nComponents: dims, nNeighbors: k, minDist, spread, nEpochs: opts.epochs, random: () => rng.next() });
    u.setPrecomputedKNN(knnIndices, knnDistances);
    // with k-NN given, umap-js reads X only for its size (and for transform(), which we do not expose)
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(Xr.data.subarray(i * Xr.cols, (i + 1) * Xr.cols)));
    epochs = u.initializeFit(rows);
    for (let e = 0; e < epochs; e++) u.step();
    const emb = u.getEmbedding();
    for (let i = 0; i < n; i++) for (let a = 0; a < dims; a++) out[i * dims + a] = emb[i][a];
  }
  const t3 = performance.now();
  return {
    embedding: { rows: n, cols: dims, data: out },
    neighbors: k,
    epochs,
    pcaDims: red.reducedTo,
    timings: { reduce: (t1 - t0) / 1000, knn: (t2 - t1) / 1000, optimize: (t3 - t2) / 1000 },
  };
}
