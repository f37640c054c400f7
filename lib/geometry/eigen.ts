import { Rng } from '../util/rng';

/** Eigen-decomposition of a symmetric matrix: values ascending, eigenvector i in row i of `vectors` (n×n). */
export interface SymEig {
  values: Float64Array;
  /** Row i is the unit eigenvector of values[i]. */
  vectors: Float64Array;
}

/**
 * All eigenvalues/eigenvectors of a dense symmetric n×n matrix (row-major, float64): Householder tridiagonal
 * reduction followed by the implicit QL algorithm (the EISPACK tred2/tql2 pair as in JAMA). O(n³).
 */
export function symEig(A: ArrayLike<number>, n: number): SymEig {
  if (A.length !== n * n) throw new Error(`symEig: expected ${n}×${n} = ${n * n} values, got ${A.length}`);
  const V = Float64Array.from(A);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: V };
  // ---- tred2 (V row-major, V[i*n+j] = V[i][j])
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0, h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
  // ---- transpose so that eigenvector columns become contiguous rows: U[i*n+k] = V[k][i]
  const U = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) U[i * n + k] = V[k * n + i];
  // ---- tql2
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0, tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symEig: QL iteration did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = c, c3 = c;
        const el1 = e[l + 1];
        let s = 0, s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const oi = i * n, oj = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const hk = U[oj + k];
            U[oj + k] = s * U[oi + k] + c * hk;
            U[oi + k] = c * U[oi + k] - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  // sort ascending
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a] - d[b]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let t = 0; t < n; t++) {
    values[t] = d[order[t]];
    vectors.set(U.subarray(order[t] * n, order[t] * n + n), t * n);
  }
  return { values, vectors };
}

/** A symmetric linear operator y = A·x on vectors of length n. */
export type SymOperator = (x: Float64Array, y: Float64Array) => void;

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
    const { values, vectors } = symEig(G, s);
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
