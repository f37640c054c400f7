import { availableParallelism } from 'node:os';
import { assertFinite, type Matrix } from '../util/matrix';
import { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { BhTree } from './bhtree';
import { kernels } from './bhkernels';
import { ForcePool } from './bhpool';
import { knn, pairwiseSqDist } from './knn';
import { reduceForEmbedding } from './reduce';
import { runtime } from '../util/runtime';

/** Options of t-SNE; defaults follow scikit-learn 1.2's TSNE. */
export interface TsneOptions {
  /** Output dimensions, 2 or 3 (default 2). */
  dims?: number;
  /** Perplexity (default 30). */
  perplexity?: number;
  /** Early exaggeration factor applied to P during the exploration phase (default 12). */
  earlyExaggeration?: number;
  /** Iterations of the exploration phase (momentum 0.5, exaggerated P; default 250). */
  explorationIterations?: number;
  /** Total iterations including exploration (default 1000, as sklearn's n_iter; the study used 300). */
  iterations?: number;
  /** Learning rate, or 'auto' = max(n / earlyExaggeration / 4, 50) (default 'auto'). */
  learningRate?: number | 'auto';
  /** Initial layout: 'pca' (scaled to std 1e-4 on the first axis), 'random' (N(0, 1e-4²)) or a matrix (default 'pca'). */
  init?: 'pca' | 'random' | Matrix;
  /** 'exact' (O(n²) per iteration), 'barnes-hut', or 'auto' = exact for n ≤ 500 (default 'auto'). */
  method?: 'auto' | 'exact' | 'barnes-hut';
  /** Barnes–Hut accuracy/speed trade-off θ (default 0.5). */
  angle?: number;
  /**
   * Reduce the input with PCA to this many dimensions first when it has more columns (default 50, the usual
   * practice); false keeps the original space (neighbours are then searched in full dimension).
   */
  pcaDims?: number | false;
  /** Seed of the randomised PCA / random initialisation (default 0). */
  seed?: number;
  /** Stop when the gradient norm falls below this (default 1e-7). */
  minGradNorm?: number;
  /** Stop after this many iterations without KL improvement, checked every 50 (default 300). */
  iterationsWithoutProgress?: number;
  /** Show a progress bar over iterations (default false). */
  progress?: boolean;
  /**
   * Threads for the Barnes–Hut gradient: 1, or 2 (one helper worker thread; default when n ≥ 1000 and the
   * machine has more than one core, or $SYCO_THREADS). Results are deterministic for a given thread count.
   */
  threads?: number;
}

/** Result of a t-SNE run. */
export interface TsneResult {
  /** n×dims embedding. */
  embedding: Matrix;
  /** KL(P‖Q) at the last evaluated iteration (Barnes–Hut estimate for 'barnes-hut'). */
  kl: number;
  /** Index of the last iteration run (sklearn's n_iter_). */
  iterations: number;
  learningRate: number;
  method: 'exact' | 'barnes-hut';
  /** Threads used by the Barnes–Hut gradient. */
  threads: number;
  /** Dimensions after the PCA pre-reduction, or null when the input was used as is. */
  pcaDims: number | null;
  /** Neighbours per point used for P (Barnes–Hut), n − 1 for exact. */
  neighbors: number;
  /** Wall seconds per stage. */
  timings: { reduce: number; affinities: number; optimize: number };
}

/** A symmetric sparse matrix in CSR form (float64 values). */
export interface Csr {
  n: number;
  rowPtr: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

const MACHINE_EPSILON = 2.220446049250313e-16;

/**
 * Row-wise binary search for the Gaussian precision that gives each conditional distribution the requested
 * perplexity (sklearn's _binary_search_perplexity: 100 steps, entropy tolerance 1e-5, natural log).
 * dist2 is n×k squared distances (self excluded); returns conditional P, n×k.
 */
export function conditionalP(dist2: Float64Array, n: number, k: number, perplexity: number): Float64Array {
  const P = new Float64Array(n * k);
  const desired = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let betaMin = -Infinity, betaMax = Infinity, beta = 1;
    for (let step = 0; step < 100; step++) {
      let sumP = 0;
      for (let j = 0; j < k; j++) {
        const p = Math.exp(-dist2[o + j] * beta);
        P[o + j] = p;
        sumP += p;
      }
      if (sumP === 0) sumP = 1e-8;
      let sumDP = 0;
      for (let j = 0; j < k; j++) {
        P[o + j] /= sumP;
        sumDP += dist2[o + j] * P[o + j];
      }
      const entropy = Math.log(sumP) + beta * sumDP;
      const diff = entropy - desired;
      if (Math.abs(diff) <= 1e-5) break;
      if (diff > 0) {
        betaMin = beta;
        beta = betaMax === Infinity ? beta * 2 : (beta + betaMax) / 2;
      } else {
        betaMax = beta;
        beta = betaMin === -Infinity ? beta / 2 : (beta + betaMin) / 2;
      }
    }
  }
  return P;
}

/** Symmetrise kNN conditional probabilities into the joint P = (P + Pᵀ) / ΣP as CSR (sorted columns). */
export function jointPSparse(indices: Int32Array, condP: Float64Array, n: number, k: number): Csr {
  // count entries per row of P + Pᵀ (before merging duplicates)
  const cnt = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      cnt[i + 1]++;
      cnt[indices[i * k + t] + 1]++;
    }
  }
  for (let i = 0; i < n; i++) cnt[i + 1] += cnt[i];
  const fill = cnt.slice(0, n);
  const cols = new Int32Array(cnt[n]);
  const vals = new Float64Array(cnt[n]);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const j = indices[i * k + t], p = condP[i * k + t];
      cols[fill[i]] = j; vals[fill[i]++] = p;
      cols[fill[j]] = i; vals[fill[j]++] = p;
    }
  }
  // sort each row by column and merge duplicates
  const rowPtr = new Int32Array(n + 1);
  const outCol: number[] = [];
  const outVal: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const s = cnt[i], e = cnt[i + 1];
    const ord = Array.from({ length: e - s }, (_, t) => s + t).sort((a, b) => cols[a] - cols[b]);
    let last = -1;
    for (const t of ord) {
      if (cols[t] === last) outVal[outVal.length - 1] += vals[t];
      else {
        outCol.push(cols[t]);
        outVal.push(vals[t]);
        last = cols[t];
      }
      total += vals[t];
    }
    rowPtr[i + 1] = outCol.length;
  }
  const val = Float64Array.from(outVal);
  const norm = Math.max(total, MACHINE_EPSILON);
  for (let t = 0; t < val.length; t++) val[t] /= norm;
  return { n, rowPtr, col: Int32Array.from(outCol), val };
}

/** Dense joint P over all pairs (exact t-SNE): conditional P over every other point, symmetrised, floored at ε. */
export function jointPDense(X: Matrix, perplexity: number): Float64Array {
  const n = X.rows;
  const D = pairwiseSqDist(X);
  // pack off-diagonal distances per row
  const k = n - 1;
  const d2 = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let j = 0; j < n; j++) if (j !== i) d2[i * k + t++] = D[i * n + j];
  }
  const cp = conditionalP(d2, n, k, perplexity);
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let j = 0; j < n; j++) if (j !== i) P[i * n + j] = cp[i * k + t++];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = P[i * n + j] + P[j * n + i];
      P[i * n + j] = v;
      P[j * n + i] = v;
      sum += 2 * v;
    }
  }
  const norm = Math.max(sum, MACHINE_EPSILON);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) P[i * n + j] = i === j ? 0 : Math.max(P[i * n + j] / norm, MACHINE_EPSILON);
  }
  return P;
}

/**
 * Exact KL(P‖Q) and its gradient for a Student-t (1 d.o.f.) embedding Y (n×dims): sklearn's _kl_divergence.
 * P is dense n×n (symmetric, zero diagonal), scaled by `exaggeration`. Writes grad; returns the KL.
 */
export function klGradExact(P: Float64Array, Y: Float64Array, n: number, dims: number, grad: Float64Array, exaggeration = 1): number {
  const num = new Float64Array(n * n);
  let Z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let a = 0; a < dims; a++) {
        const e = Y[i * dims + a] - Y[j * dims + a];
        d2 += e * e;
      }
      const q = 1 / (1 + d2);
      num[i * n + j] = q;
      num[j * n + i] = q;
      Z += 2 * q;
    }
  }
  let kl = 0;
  grad.fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const q = num[i * n + j];
      const Q = Math.max(q / Z, MACHINE_EPSILON);
      const p = P[i * n + j] * exaggeration;
      kl += p * Math.log(Math.max(p, MACHINE_EPSILON) / Q);
      const m = 4 * (p - Q) * q;
      for (let a = 0; a < dims; a++) grad[i * dims + a] += m * (Y[i * dims + a] - Y[j * dims + a]);
    }
  }
  return kl;
}

/** Points per work chunk of the threaded Barnes–Hut gradient. */
const CHUNK = 64;

/** Allocate a Float64Array, on shared memory when a worker will read it. */
function f64(n: number, shared: boolean): Float64Array {
  return new Float64Array(shared ? new SharedArrayBuffer(8 * n) : new ArrayBuffer(8 * n));
}

/**
 * Barnes–Hut KL gradient (sklearn's _barnes_hut_tsne.gradient, 1 d.o.f.): attractive forces over the sparse P,
 * repulsive forces through a space-partitioning tree with angle θ, optionally split with one helper thread.
 */
export class BhGradient {
  readonly tree: BhTree;
  private neg: Float64Array;
  private pos: Float64Array;
  private P: Csr;
  private pool: ForcePool | null;
  private generation = -1;
  private out = new Float64Array(2);
  private partial: Float64Array | null = null;

  /** Set up for n = P.n points in `dims` dimensions; threads = 2 starts one helper thread. */
  constructor(P: Csr, readonly dims: number, readonly angle: number, threads = 1) {
    const n = P.n;
    const shared = threads > 1;
    this.tree = new BhTree(n, dims, shared);
    this.neg = f64(n * dims, shared);
    this.pos = f64(n * dims, shared);
    if (shared) {
      const cp = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as { new(buf: SharedArrayBuffer): T })(new SharedArrayBuffer(a.byteLength));
        b.set(a);
        return b;
      };
      this.P = { n, rowPtr: cp(P.rowPtr), col: cp(P.col), val: cp(P.val) };
      this.pool = new ForcePool();
      this.partial = f64(3 * Math.ceil(n / CHUNK), true);
    } else {
      this.P = P;
      this.pool = null;
    }
  }

  /**
   * Gradient of KL(P·exaggeration ‖ Q) at Y (n×dims; must be on shared memory when threaded), written into grad
   * (×4 as sklearn); returns the KL estimate when computeError (else 0).
   */
  compute(Y: Float64Array, grad: Float64Array, exaggeration: number, computeError: boolean): number {
    const { n, rowPtr, col, val } = this.P;
    const dims = this.dims, tree = this.tree, neg = this.neg, pos = this.pos;
    tree.build(Y, n);
    const k = kernels();
    const th2 = this.angle * this.angle;
    this.out[0] = 0;
    this.out[1] = 0;
    let sumQ: number;
    if (this.pool) {
      if (tree.generation !== this.generation) {
        this.pool.setBuffers({ Y, nf: tree.nf, ni: tree.ni, perm: tree.perm, neg, pos, rowPtr, col, val, partial: this.partial! });
        this.generation = tree.generation;
      }
      const w = this.pool.run({ dims, th2, exaggeration, computeError, n, chunk: CHUNK });
      sumQ = w.sumQ;
      this.out[0] = w.C;
      this.out[1] = w.S;
    } else {
      sumQ = k.repulsion(dims, Y, tree.nf, tree.ni, tree.perm, this.stack, th2, neg, 0, n);
      k.attraction(dims, Y, rowPtr, col, val, exaggeration, pos, 0, n, computeError, this.out);
    }
    const invQ = 1 / sumQ;
    for (let t = 0; t < n * dims; t++) grad[t] = 4 * (pos[t] - neg[t] * invQ);
    // Σ p·log(p / (q/Z)) = Σ p·log(p/q) + log(Z)·Σ p
    return computeError ? this.out[0] + Math.log(sumQ) * this.out[1] : 0;
  }

  private stack = new Int32Array(1024);

  /** Stop the helper thread, if any. */
  close(): void {
    this.pool?.close();
    this.pool = null;
  }
}

/** Population standard deviation of column c of an n×dims array. */
function colStd(Y: ArrayLike<number>, n: number, dims: number, c: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m += Y[i * dims + c];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (Y[i * dims + c] - m) ** 2;
  return Math.sqrt(v / n);
}

/** The gradient-descent loop with momentum and per-parameter gains (sklearn's _gradient_descent). */
function gradientDescent(
  objective: (p: Float64Array, grad: Float64Array, computeError: boolean) => number,
  p: Float64Array, it: number, nIter: number, momentum: number, learningRate: number,
  minGradNorm: number, nIterWithoutProgress: number, progress: Progress | null,
): { error: number; it: number } {
  const m = p.length;
  const update = new Float64Array(m);
  const gains = new Float64Array(m).fill(1);
  const grad = new Float64Array(m);
  let error = Number.MAX_VALUE, bestError = Number.MAX_VALUE, bestIter = it;
  let i = it;
  for (; i < nIter; i++) {
    const check = (i + 1) % 50 === 0;
    error = objective(p, grad, check || i === nIter - 1);
    let gnorm = 0;
    for (let t = 0; t < m; t++) {
      const g = grad[t];
      let gain = gains[t];
      if (update[t] * g < 0) gain += 0.2;
      else gain *= 0.8;
      if (gain < 0.01) gain = 0.01;
      gains[t] = gain;
      const gg = g * gain;
      gnorm += gg * gg;
      update[t] = momentum * update[t] - learningRate * gg;
      p[t] += update[t];
    }
    progress?.tick();
    if (check) {
      if (error < bestError) {
        bestError = error;
        bestIter = i;
      } else if (i - bestIter > nIterWithoutProgress) break;
      if (Math.sqrt(gnorm) <= minGradNorm) break;
    }
  }
  return { error, it: Math.min(i, nIter - 1) };
}

/** Helper threads to use by default: 2 when the machine has more than one core (or runtime().threads, at most 2), else 1. */
function defaultThreads(): number {
  const t = runtime().threads;
  return Math.min(2, t ?? availableParallelism());
}

/** t-SNE embedding of the rows of X (exact or Barnes–Hut), deterministic for a seed; sklearn 1.2 defaults. */
export function tsne(X: Matrix, opts: TsneOptions = {}): TsneResult {
  const n = X.rows;
  const dims = opts.dims ?? 2;
  const perplexity = opts.perplexity ?? 30;
  const ee = opts.earlyExaggeration ?? 12;
  const nExplore = opts.explorationIterations ?? 250;
  const nIter = opts.iterations ?? 1000;
  const angle = opts.angle ?? 0.5;
  const seed = opts.seed ?? 0;
  const minGradNorm = opts.minGradNorm ?? 1e-7;
  const nNoProgress = opts.iterationsWithoutProgress ?? 300;
  if (dims !== 2 && dims !== 3) throw new Error(`tsne: dims must be 2 or 3, got ${dims}`);
  if (n < 3) throw new Error(`tsne: need at least 3 points, got ${n}`);
  if (!(perplexity > 0) || perplexity >= n) throw new Error(`tsne: perplexity ${perplexity} must be in (0, n = ${n})`);
  if (nIter < nExplore) throw new Error(`tsne: iterations (${nIter}) must be ≥ explorationIterations (${nExplore})`);
  assertFinite('tsne: input', X.data, X.cols);
  const method = opts.method === undefined || opts.method === 'auto' ? (n <= 500 ? 'exact' : 'barnes-hut') : opts.method;
  const lr = opts.learningRate === undefined || opts.learningRate === 'auto' ? Math.max(n / ee / 4, 50) : opts.learningRate;

  // 1. optional PCA pre-reduction (and the PCA initialisation from the same decomposition)
  const t0 = performance.now();
  const pcaDims = opts.pcaDims === undefined ? 50 : opts.pcaDims;
  const initMode = opts.init ?? 'pca';
  const red = reduceForEmbedding(X, pcaDims === false ? null : pcaDims, initMode === 'pca' ? dims : 0, seed);
  const Xr = red.X;
  const t1 = performance.now();

  // 2. affinities
  let Pdense: Float64Array | null = null;
  let Psparse: Csr | null = null;
  let k = n - 1;
  if (method === 'exact') Pdense = jointPDense(Xr, perplexity);
  else {
    k = Math.min(n - 1, Math.floor(3 * perplexity + 1));
    const nn = knn(Xr, k);
    const cp = conditionalP(nn.dist2, n, k, perplexity);
    Psparse = jointPSparse(nn.indices, cp, n, k);
  }
  const t2 = performance.now();

  // 3. initial layout
  const threads = method === 'barnes-hut' ? (opts.threads ?? (n >= 1000 ? defaultThreads() : 1)) : 1;
  const Y = f64(n * dims, threads > 1);
  if (initMode === 'pca') {
    const init = red.init!;
    const s = colStd(init, n, dims, 0);
    for (let t = 0; t < n * dims; t++) Y[t] = s > 0 ? (Math.fround(init[t]) / s) * 1e-4 : 0;
  } else if (initMode === 'random') {
    const rng = new Rng(seed);
    for (let t = 0; t < n * dims; t++) Y[t] = 1e-4 * rng.normal();
  } else {
    if (initMode.rows !== n || initMode.cols !== dims) {
      throw new Error(`tsne: init matrix is ${initMode.rows}×${initMode.cols}, expected ${n}×${dims}`);
    }
    for (let t = 0; t < n * dims; t++) Y[t] = initMode.data[t];
  }

  // 4. optimisation: exploration with exaggerated P and momentum 0.5, then momentum 0.8
  const bh = method === 'barnes-hut' ? new BhGradient(Psparse!, dims, angle, threads) : null;
  let exaggeration = ee;
  const objective = (p: Float64Array, grad: Float64Array, computeError: boolean): number =>
    method === 'exact'
      ? klGradExact(Pdense!, p, n, dims, grad, exaggeration)
      : bh!.compute(p, grad, exaggeration, computeError);
  const progress = opts.progress ? new Progress({ label: `t-SNE ${n}×${X.cols}`, total: nIter }) : null;
  let res: { error: number; it: number };
  try {
    res = gradientDescent(objective, Y, 0, nExplore, 0.5, lr, minGradNorm, nExplore, progress);
    exaggeration = 1;
    if (res.it < nExplore || nIter - nExplore > 0) {
      res = gradientDescent(objective, Y, res.it + 1, nIter, 0.8, lr, minGradNorm, nNoProgress, progress);
    }
  } finally {
    bh?.close();
  }
  progress?.finish();
  const t3 = performance.now();
  return {
    embedding: { rows: n, cols: dims, data: Float32Array.from(Y) },
    kl: res.error,
    iterations: res.it,
    learningRate: lr,
    method,
    threads,
    pcaDims: red.reducedTo,
    neighbors: k,
    timings: { reduce: (t1 - t0) / 1000, affinities: (t2 - t1) / 1000, optimize: (t3 - t2) / 1000 },
  };
}
