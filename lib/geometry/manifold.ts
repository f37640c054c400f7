import { assertFinite, type Matrix } from '../util/matrix';
import { eighSym } from '../linalg/eigen';
import { lobpcgSmallest } from '../linalg/lobpcg';
import { choleskyInPlace, choleskySolveInPlace } from '../linalg/cholesky';
import { knn } from './knn';
import { smallestEigsShiftInvert } from './dense';
import { lanczosTop } from '../linalg/eigen';
import { Rng } from '../util/rng';
import { reduceForEmbedding } from './reduce';

/**
 * Eigen solver of an embedding: 'dense' (full decomposition, small n), 'lanczos' (sparse; spectral's default for
 * large n: top eigenvalues of I + D^{-½}AD^{-½}), 'lobpcg' (sparse block iteration), 'shift-invert' (dense Cholesky of M + σI on GEMMs + Lanczos; LLE's default for large n,
 * as sklearn's ARPACK with sigma = 0, since M's smallest eigenvalues are far too clustered for plain iterations).
 */
export type EigenSolver = 'auto' | 'dense' | 'lobpcg' | 'shift-invert' | 'lanczos';

/** Options shared by LLE and spectral embedding. */
export interface ManifoldOptions {
  /** Output dimensions (default 2). */
  dims?: number;
  /** Neighbours per point (LLE default 5 as sklearn; spectral default max(floor(n/10), 1) as sklearn). */
  neighbors?: number;
  /** 'auto' (default): 'dense' for n ≤ 500, else 'shift-invert' (LLE) or 'lanczos' (spectral). */
  eigenSolver?: EigenSolver;
  /** PCA pre-reduction when the input has more columns (default 50; false = use the input as is). */
  pcaDims?: number | false;
  /** Seed of the randomised PCA and of the iterative solver's start block (default 0). */
  seed?: number;
  /** LOBPCG residual tolerance relative to the largest Ritz value (default 1e-9). */
  tol?: number;
  /** Iteration cap: LOBPCG steps (default 20000) or Lanczos dimension for shift-invert (default 300). */
  maxIter?: number;
}

/** An embedding from an eigen-problem, with diagnostics. */
export interface ManifoldResult {
  embedding: Matrix;
  /** Eigenvalues of the kept eigenvectors (ascending). */
  eigenvalues: number[];
  solver: 'dense' | 'lobpcg' | 'shift-invert' | 'lanczos';
  /** Iterations of the iterative solver (LOBPCG steps or Lanczos dimension; 0 for dense). */
  iterations: number;
  neighbors: number;
  pcaDims: number | null;
}

/**
 * Barycentric reconstruction weights of standard LLE (sklearn's barycenter_weights): for each point, weights over
 * its neighbours that sum to 1 and best reconstruct it, with Tikhonov regularisation reg·trace(G).
 */
export function barycenterWeights(X: Matrix, indices: Int32Array, k: number, reg = 1e-3): Float64Array {
  const n = X.rows, d = X.cols, x = X.data;
  const W = new Float64Array(n * k);
  const Z = new Float64Array(k * d);
  const G = new Float64Array(k * k);
  const ones = new Float64Array(k).fill(1);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < k; a++) {
      const j = indices[i * k + a];
      for (let t = 0; t < d; t++) Z[a * d + t] = x[j * d + t] - x[i * d + t];
    }
    let trace = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a; b < k; b++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += Z[a * d + t] * Z[b * d + t];
        G[a * k + b] = s;
        G[b * k + a] = s;
      }
      trace += G[a * k + a];
    }
    const R = trace > 0 ? reg * trace : reg;
    for (let a = 0; a < k; a++) G[a * k + a] += R;
    const w = Float64Array.from(ones);
    try {
      choleskyInPlace(G, k);
    } catch {
      throw new Error('LLE: local Gram matrix is not positive definite (increase reg)');
    }
    choleskySolveInPlace(G, k, w);
    let sum = 0;
    for (let a = 0; a < k; a++) sum += w[a];
    for (let a = 0; a < k; a++) W[i * k + a] = w[a] / sum;
  }
  return W;
}

function resolveSolver(s: EigenSolver | undefined, n: number, large: 'lanczos' | 'shift-invert'): 'dense' | 'lobpcg' | 'shift-invert' | 'lanczos' {
  return s === undefined || s === 'auto' ? (n <= 500 ? 'dense' : large) : s;
}

function checkInput(name: string, X: Matrix, dims: number, neighbors: number): void {
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`${name}: dims must be a positive integer, got ${dims}`);
  if (!Number.isInteger(neighbors) || neighbors < 1 || neighbors >= X.rows) {
    throw new Error(`${name}: neighbors = ${neighbors} must be an integer in [1, ${X.rows - 1}] for ${X.rows} points`);
  }
  if (X.rows <= dims + 1) throw new Error(`${name}: need more than ${dims + 1} points, got ${X.rows}`);
  assertFinite(`${name}: input`, X.data, X.cols);
}

/**
 * Standard locally linear embedding (sklearn's LocallyLinearEmbedding, method 'standard'): barycentric weights W
 * over k neighbours (reg 1e-3), then the bottom non-constant eigenvectors of M = (I − W)ᵀ(I − W).
 */
export function lle(X: Matrix, opts: ManifoldOptions & { reg?: number } = {}): ManifoldResult {
  const dims = opts.dims ?? 2;
  const k = opts.neighbors ?? 5;
  checkInput('lle', X, dims, k);
  const seed = opts.seed ?? 0;
  const pcaDims = opts.pcaDims === undefined ? 50 : opts.pcaDims;
  const red = reduceForEmbedding(X, pcaDims === false ? null : pcaDims, 0, seed);
  const Xr = red.X;
  const n = Xr.rows;
  const nn = knn(Xr, k);
  const W = barycenterWeights(Xr, nn.indices, k, opts.reg ?? 1e-3);
  const solver = resolveSolver(opts.eigenSolver, n, 'shift-invert');
  const out = new Float32Array(n * dims);
  let values: number[];
  let iterations = 0;
  if (solver === 'shift-invert') {
    // M = (I − W)ᵀ(I − W) = Σ_r b_r b_rᵀ over the rows b_r of I − W (k + 1 non-zeros each)
    const M = new Float64Array(n * n);
    const ids = new Int32Array(k + 1);
    const vs = new Float64Array(k + 1);
    for (let r = 0; r < n; r++) {
      ids[0] = r;
      vs[0] = 1;
      for (let a = 0; a < k; a++) {
        ids[a + 1] = nn.indices[r * k + a];
        vs[a + 1] = -W[r * k + a];
      }
      for (let a = 0; a <= k; a++) {
        const o = ids[a] * n;
        for (let b = 0; b <= k; b++) M[o + ids[b]] += vs[a] * vs[b];
      }
    }
    const c = new Float64Array(n).fill(1 / Math.sqrt(n));
    const res = smallestEigsShiftInvert(M, n, dims, { constraints: [c], seed, maxIter: opts.maxIter });
    values = Array.from(res.values);
    iterations = res.iterations;
    for (let cc = 0; cc < dims; cc++) for (let i = 0; i < n; i++) out[i * dims + cc] = res.vectors[cc][i];
  } else if (solver === 'dense') {
    // M = (I − W)ᵀ(I − W) densely
    const IW = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      IW[i * n + i] += 1;
      for (let a = 0; a < k; a++) IW[i * n + nn.indices[i * k + a]] -= W[i * k + a];
    }
    const M = new Float64Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < n; i++) {
        const v = IW[r * n + i];
        if (v === 0) continue;
        for (let j = 0; j < n; j++) M[i * n + j] += v * IW[r * n + j];
      }
    }
    const eig = eighSym(M, n);
    values = [];
    for (let c = 0; c < dims; c++) {
      values.push(eig.values[c + 1]);
      for (let i = 0; i < n; i++) out[i * dims + c] = eig.vectors[(c + 1) * n + i];
    }
  } else {
    const idx = nn.indices;
    const u = new Float64Array(n);
    const op = (x: Float64Array, y: Float64Array): void => {
      // u = (I − W) x ; y = (I − W)ᵀ u
      for (let i = 0; i < n; i++) {
        let s = x[i];
        for (let a = 0; a < k; a++) s -= W[i * k + a] * x[idx[i * k + a]];
        u[i] = s;
      }
      y.set(u);
      for (let i = 0; i < n; i++) {
        const ui = u[i];
        for (let a = 0; a < k; a++) y[idx[i * k + a]] -= W[i * k + a] * ui;
      }
    };
    const c = new Float64Array(n).fill(1 / Math.sqrt(n));
    const res = lobpcgSmallest(op, n, dims, { constraints: [c], seed, tol: opts.tol ?? 1e-9, maxIter: opts.maxIter ?? 20000 });
    if (!res.converged) throw new Error(`lle: LOBPCG did not converge in ${res.iterations} iterations (residual ${res.residual.toExponential(2)}); try eigenSolver 'dense' or more neighbors`);
    values = Array.from(res.values);
    iterations = res.iterations;
    for (let cc = 0; cc < dims; cc++) for (let i = 0; i < n; i++) out[i * dims + cc] = res.vectors[cc][i];
  }
  return { embedding: { rows: n, cols: dims, data: out }, eigenvalues: values, solver, iterations, neighbors: k, pcaDims: red.reducedTo };
}

/**
 * Spectral embedding (sklearn's SpectralEmbedding, affinity 'nearest_neighbors'): symmetrised 0/1 kNN graph
 * ½(A + Aᵀ), normalised Laplacian L = I − D^{-½} A D^{-½} (self-loops ignored), the eigenvectors of its smallest
 * eigenvalues divided by √degree, signs fixed so each vector's largest-magnitude entry is positive, the first dropped.
 */
export function spectralEmbedding(X: Matrix, opts: ManifoldOptions = {}): ManifoldResult {
  const dims = opts.dims ?? 2;
  const nNeighbors = opts.neighbors ?? Math.max(Math.floor(X.rows / 10), 1);
  checkInput('spectralEmbedding', X, dims, nNeighbors);
  const seed = opts.seed ?? 0;
  const pcaDims = opts.pcaDims === undefined ? 50 : opts.pcaDims;
  const red = reduceForEmbedding(X, pcaDims === false ? null : pcaDims, 0, seed);
  const Xr = red.X;
  const n = Xr.rows;
  // include_self=True: the point itself is one of its n_neighbors, so n_neighbors − 1 others
  const k = nNeighbors - 1;
  // off-diagonal affinity ½(A + Aᵀ) as CSR
  const rowPtr = new Int32Array(n + 1);
  let col: Int32Array, val: Float64Array;
  if (k > 0) {
    const nn = knn(Xr, k);
    const cnt = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) {
      cnt[i + 1]++;
      cnt[nn.indices[i * k + a] + 1]++;
    }
    for (let i = 0; i < n; i++) cnt[i + 1] += cnt[i];
    const fill = cnt.slice(0, n);
    const c0 = new Int32Array(cnt[n]);
    for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) {
      const j = nn.indices[i * k + a];
      c0[fill[i]++] = j;
      c0[fill[j]++] = i;
    }
    const cols: number[] = [], vals: number[] = [];
    for (let i = 0; i < n; i++) {
      const seg = Array.from(c0.subarray(cnt[i], cnt[i + 1])).sort((a, b) => a - b);
      for (let t = 0; t < seg.length; t++) {
        if (t > 0 && seg[t] === seg[t - 1]) vals[vals.length - 1] += 0.5;
        else {
          cols.push(seg[t]);
          vals.push(0.5);
        }
      }
      rowPtr[i + 1] = cols.length;
    }
    col = Int32Array.from(cols);
    val = Float64Array.from(vals);
  } else {
    col = new Int32Array(0);
    val = new Float64Array(0);
  }
  // degrees without self loops; isolated nodes get dd = 1 (as scipy's csgraph.laplacian)
  const dd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = rowPtr[i]; t < rowPtr[i + 1]; t++) s += val[t];
    dd[i] = s === 0 ? 1 : Math.sqrt(s);
  }
  const nv = dims + 1;
  const solver = resolveSolver(opts.eigenSolver, n, 'lanczos');
  if (solver === 'shift-invert') throw new Error(`spectralEmbedding: eigenSolver 'shift-invert' is for LLE; use 'dense', 'lanczos' or 'lobpcg'`);
  const vecs: Float64Array[] = [];
  const values: number[] = [];
  let iterations = 0;
  if (solver === 'dense') {
    const L = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      L[i * n + i] = 1; // sklearn sets the whole diagonal to 1
      for (let t = rowPtr[i]; t < rowPtr[i + 1]; t++) L[i * n + col[t]] -= val[t] / (dd[i] * dd[col[t]]);
    }
    const eig = eighSym(L, n);
    for (let c = 0; c < nv; c++) {
      vecs.push(eig.vectors.slice(c * n, (c + 1) * n));
      values.push(eig.values[c]);
    }
  } else {
    // normalised affinities S = D^{-½}·A·D^{-½}; L = I − S
    const sv = new Float64Array(val.length);
    for (let i = 0; i < n; i++) for (let t = rowPtr[i]; t < rowPtr[i + 1]; t++) sv[t] = val[t] / (dd[i] * dd[col[t]]);
    const applyS = (x: Float64Array, y: Float64Array): void => {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let t = rowPtr[i]; t < rowPtr[i + 1]; t++) s += sv[t] * x[col[t]];
        y[i] = s;
      }
    };
    if (solver === 'lobpcg') {
      const op = (x: Float64Array, y: Float64Array): void => {
        applyS(x, y);
        for (let i = 0; i < n; i++) y[i] = x[i] - y[i];
      };
      const res = lobpcgSmallest(op, n, nv, { seed, tol: opts.tol ?? 1e-9, maxIter: opts.maxIter ?? 20000 });
      if (!res.converged) throw new Error(`spectralEmbedding: LOBPCG did not converge in ${res.iterations} iterations (residual ${res.residual.toExponential(2)})`);
      iterations = res.iterations;
      for (let c = 0; c < nv; c++) {
        vecs.push(res.vectors[c]);
        values.push(res.values[c]);
      }
    } else {
      // Lanczos for the largest eigenvalues of I + S (spectrum in [0, 2]) = the smallest of L
      const op = (x: Float64Array, y: Float64Array): void => {
        applyS(x, y);
        for (let i = 0; i < n; i++) y[i] += x[i];
      };
      const rng = new Rng(seed);
      const start = new Float64Array(n);
      for (let i = 0; i < n; i++) start[i] = rng.normal();
      const res = lanczosTop(op, n, nv, start, { tol: opts.tol ?? 1e-9, maxIter: opts.maxIter ?? 400 });
      iterations = res.iterations;
      const y = new Float64Array(n);
      let worst = 0;
      for (let c = 0; c < nv; c++) {
        const v = res.vectors[c];
        op(v, y);
        let r = 0;
        for (let i = 0; i < n; i++) r += (y[i] - res.values[c] * v[i]) ** 2;
        worst = Math.max(worst, Math.sqrt(r));
        vecs.push(v);
        values.push(Math.max(0, 2 - res.values[c]));
      }
      if (worst > 1e-4) throw new Error(`spectralEmbedding: Lanczos did not converge in ${iterations} steps (residual ${worst.toExponential(2)}); try eigenSolver 'lobpcg' or 'dense'`);
    }
  }
  const out = new Float32Array(n * dims);
  for (let c = 0; c < nv; c++) {
    const v = vecs[c];
    for (let i = 0; i < n; i++) v[i] /= dd[i];
    // deterministic sign: the largest-magnitude entry positive
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(v[i]) > Math.abs(v[best])) best = i;
    const sgn = v[best] < 0 ? -1 : 1;
    if (c === 0) continue;
    for (let i = 0; i < n; i++) out[i * dims + c - 1] = sgn * v[i];
  }
  return { embedding: { rows: n, cols: dims, data: out }, eigenvalues: values.slice(1), solver, iterations, neighbors: nNeighbors, pcaDims: red.reducedTo };
}
