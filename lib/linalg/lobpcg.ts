// LOBPCG: the smallest eigenpairs of a large symmetric operator (the sparse spectral/LLE problems of the geometry stage).
import { Rng } from '../util/rng';
import { eighSym, type SymOperator } from './eigen';

/** Options of the iterative smallest-eigenpair solver. */
export interface LobpcgOptions {
  /** Extra block vectors beyond k, to speed convergence (default max(4, k)). */
  extra?: number;
  /** Convergence: residual norm ≤ tol · scale, scale = max |Ritz value| seen (default 1e-8). */
  tol?: number;
  /** Iteration cap (default 5000). */
  maxIter?: number;
  /** Seed of the random starting block (default 0). */
  seed?: number;
  /** Orthonormal vectors the solution must be orthogonal to (known eigenvectors, e.g. the constant vector). */
  constraints?: Float64Array[];
  /** Optional preconditioner applied to residuals in place. */
  precondition?: (r: Float64Array) => void;
}

/** Result of the iterative solver: k smallest eigenvalues ascending and their unit eigenvectors. */
export interface IterEig {
  values: Float64Array;
  vectors: Float64Array[];
  iterations: number;
  /** Largest final residual norm among the k wanted pairs. */
  residual: number;
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += alpha * x[i];
}

/** Remove the components along orthonormal `basis` from v (modified Gram–Schmidt). */
function projectOut(v: Float64Array, basis: Float64Array[]): void {
  for (const b of basis) axpy(-dot(v, b), b, v);
}

/**
 * The k smallest eigenpairs of a symmetric operator by LOBPCG (locally optimal block preconditioned conjugate
 * gradient) with a fully re-orthonormalised Rayleigh–Ritz basis [X, W, P] each iteration, for large sparse problems.
 */
export function lobpcgSmallest(op: SymOperator, n: number, k: number, opts: LobpcgOptions = {}): IterEig {
  const cons = opts.constraints ?? [];
  const m = Math.min(n - cons.length, k + (opts.extra ?? Math.max(4, k)));
  if (k < 1 || m < k) throw new Error(`lobpcgSmallest: cannot find ${k} eigenpairs of a ${n}-dimensional operator with ${cons.length} constraints`);
  const tol = opts.tol ?? 1e-8;
  const maxIter = opts.maxIter ?? 5000;
  const rng = new Rng(opts.seed ?? 0);
  const orthonormalize = (vs: Float64Array[], against: Float64Array[]): Float64Array[] => {
    const out: Float64Array[] = [];
    for (const v0 of vs) {
      const v = Float64Array.from(v0);
      const n0 = Math.sqrt(dot(v, v));
      if (n0 === 0) continue;
      for (let pass = 0; pass < 2; pass++) {
        projectOut(v, cons);
        projectOut(v, against);
        projectOut(v, out);
      }
      const nv = Math.sqrt(dot(v, v));
      if (nv <= 1e-10 * n0) continue;
      for (let i = 0; i < n; i++) v[i] /= nv;
      out.push(v);
    }
    return out;
  };
  const apply = (v: Float64Array): Float64Array => {
    const y = new Float64Array(n);
    op(v, y);
    return y;
  };
  let X: Float64Array[] = [];
  for (let j = 0; j < m; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    X.push(v);
  }
  X = orthonormalize(X, []);
  let AX = X.map(apply);
  let P: Float64Array[] = [];
  let lambda = new Float64Array(m);
  let scale = 0;
  let residual = Infinity;
  let it = 0;
  // initial Rayleigh–Ritz on X
  const rayleighRitz = (S: Float64Array[], AS: Float64Array[]): { vals: Float64Array; C: Float64Array; s: number } => {
    const s = S.length;
    const G = new Float64Array(s * s);
    for (let a = 0; a < s; a++) {
      for (let b = a; b < s; b++) {
        const v = 0.5 * (dot(S[a], AS[b]) + dot(S[b], AS[a]));
        G[a * s + b] = v;
        G[b * s + a] = v;
      }
    }
    const { values, vectors } = eighSym(G, s);
    return { vals: values, C: vectors, s };
  };
  const combine = (S: Float64Array[], C: Float64Array, s: number, cols: number, from = 0): Float64Array[] => {
    const out: Float64Array[] = [];
    for (let j = 0; j < cols; j++) {
      const v = new Float64Array(n);
      for (let a = from; a < s; a++) {
        const c = C[j * s + a];
        if (c !== 0) axpy(c, S[a], v);
      }
      out.push(v);
    }
    return out;
  };
  {
    const { vals, C, s } = rayleighRitz(X, AX);
    const mm = Math.min(m, s);
    X = combine(X, C, s, mm);
    AX = combine(AX, C, s, mm);
    lambda = vals.slice(0, mm);
  }
  for (it = 0; it < maxIter; it++) {
    for (const v of lambda) scale = Math.max(scale, Math.abs(v));
    // residuals
    const R: Float64Array[] = [];
    residual = 0;
    let active = false;
    for (let j = 0; j < X.length; j++) {
      const r = Float64Array.from(AX[j]);
      axpy(-lambda[j], X[j], r);
      const rn = Math.sqrt(dot(r, r));
      if (j < k) {
        residual = Math.max(residual, rn);
        if (rn > tol * Math.max(scale, 1e-300)) active = true;
      }
      if (opts.precondition) opts.precondition(r);
      R.push(r);
    }
    if (!active) break;
    // basis [X, W, P]; X is orthonormal so it stays first and unchanged
    const W = orthonormalize(R, X);
    const Pn = orthonormalize(P, [...X, ...W]);
    const AW = W.map(apply);
    const APn = Pn.map(apply);
    const S = [...X, ...W, ...Pn];
    const AS = [...AX, ...AW, ...APn];
    const { vals, C, s } = rayleighRitz(S, AS);
    const mm = Math.min(m, s);
    const nx = X.length;
    // new search directions: the part of the new X outside the old X block
    P = combine(S, C, s, mm, nx);
    X = combine(S, C, s, mm);
    AX = combine(AS, C, s, mm);
    lambda = vals.slice(0, mm);
  }
  return {
    values: lambda.slice(0, k),
    vectors: X.slice(0, k),
    iterations: it,
    residual,
    converged: it < maxIter,
  };
}
