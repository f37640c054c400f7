// Symmetric eigen-decomposition (Householder tridiagonalisation + implicit QL, float64), thin QR, Lanczos with full
// re-orthogonalisation (top eigenpairs and pseudo-inverse application of a symmetric operator), and pseudo-inverses.
import { gemm64 } from './gemm';

/** Eigen-decomposition of a symmetric matrix: ascending eigenvalues; row k of `vectors` is the unit eigenvector of values[k]. */
export interface SymEig {
  n: number;
  values: Float64Array;
  /** n×n row-major; row k = eigenvector k. */
  vectors: Float64Array;
}

/** Householder reduction of symmetric A (n×n row-major, copied) to tridiagonal form; returns d, e and the transform V. */
function tred2(A: ArrayLike<number>, n: number): { d: Float64Array; e: Float64Array; V: Float64Array } {
  const V = Float64Array.from(A as ArrayLike<number>);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
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
          const vkj = V[k * n + j];
          g += vkj * d[k];
          e[k] += vkj * f;
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
  return { d, e, V };
}

/**
 * Implicit QL on a symmetric tridiagonal matrix (diagonal d, sub-diagonal e with e[i] between i−1 and i, e[0] unused),
 * accumulating rotations into the rows of W (W row k is the k-th basis vector; pass the identity for a bare
 * tridiagonal). On return d holds eigenvalues (ascending) and W's rows the matching eigenvectors. Arrays are modified.
 */
function tql2(d: Float64Array, e: Float64Array, W: Float64Array | null, n: number, m: number): void {
  // W: n rows of length m (m = dimension of the vectors)
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let mm = l;
    while (mm < n) {
      if (Math.abs(e[mm]) <= eps * tst1) break;
      mm++;
    }
    if (mm > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error(`eigen: QL iteration did not converge (eigenvalue ${l} of ${n})`);
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
        p = d[mm];
        let c = 1, c2 = 1, c3 = 1;
        const el1 = e[l + 1];
        let s = 0, s2 = 0;
        for (let i = mm - 1; i >= l; i--) {
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
          if (W) {
            const oi = i * m, oj = (i + 1) * m;
            for (let k = 0; k < m; k++) {
              const hk = W[oj + k];
              const wk = W[oi + k];
              W[oj + k] = s * wk + c * hk;
              W[oi + k] = c * wk - s * hk;
            }
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
  // selection sort ascending, swapping rows of W
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) if (d[j] < p) { k = j; p = d[j]; }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      if (W) {
        const oi = i * m, ok = k * m;
        for (let t = 0; t < m; t++) {
          const tmp = W[oi + t];
          W[oi + t] = W[ok + t];
          W[ok + t] = tmp;
        }
      }
    }
  }
}

/** Eigen-decomposition of a symmetric n×n matrix (row-major; only symmetry is assumed, not checked). O(n³), float64. */
export function eighSym(A: ArrayLike<number>, n: number): SymEig {
  if (A.length !== n * n) throw new Error(`eighSym: expected ${n}×${n} = ${n * n} values, got ${A.length}`);
  if (n === 0) return { n, values: new Float64Array(0), vectors: new Float64Array(0) };
  const { d, e, V } = tred2(A, n);
  // transpose V so that basis vectors are rows
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[j * n + i] = V[i * n + j];
  tql2(d, e, W, n, n);
  return { n, values: d, vectors: W };
}

/** Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `alpha` and off-diagonal `beta` (beta[i] couples i, i+1). */
export function eighTridiagonal(alpha: ArrayLike<number>, beta: ArrayLike<number>): SymEig {
  const n = alpha.length;
  const d = Float64Array.from(alpha);
  const e = new Float64Array(n);
  for (let i = 1; i < n; i++) e[i] = beta[i - 1];
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) W[i * n + i] = 1;
  tql2(d, e, W, n, n);
  return { n, values: d, vectors: W };
}

/** Thin QR by twice-repeated modified Gram–Schmidt (float64): returns Q (rows×cols, orthonormal columns) in place of a copy of A. */
export function orthonormalizeColumns(A: Float64Array, rows: number, cols: number): Float64Array {
  const Q = Float64Array.from(A);
  const col = new Float64Array(rows);
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) col[i] = Q[i * cols + j];
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += Q[i * cols + p] * col[i];
        for (let i = 0; i < rows; i++) col[i] -= dot * Q[i * cols + p];
      }
    }
    let nrm = 0;
    for (let i = 0; i < rows; i++) nrm += col[i] * col[i];
    nrm = Math.sqrt(nrm);
    const inv = nrm > 0 ? 1 / nrm : 0;
    for (let i = 0; i < rows; i++) Q[i * cols + j] = col[i] * inv;
  }
  return Q;
}

/** A symmetric linear operator: out = A·v (both length dim). */
export type SymOperator = (v: Float64Array, out: Float64Array) => void;

/** Options of the Lanczos routines. */
export interface LanczosOptions {
  /** Maximum Krylov dimension (default min(dim, 300)). */
  maxIter?: number;
  /** Relative convergence tolerance (default 1e-7). */
  tol?: number;
  /** Check convergence every this many steps (default 5). */
  checkEvery?: number;
}

class LanczosBasis {
  readonly Q: Float64Array[] = [];
  readonly alpha: number[] = [];
  readonly beta: number[] = [];
  private w: Float64Array;
  exhausted = false;

  constructor(private op: SymOperator, private dim: number, start: Float64Array) {
    this.w = new Float64Array(dim);
    let nrm = 0;
    for (let i = 0; i < dim; i++) nrm += start[i] * start[i];
    nrm = Math.sqrt(nrm);
    if (!(nrm > 0)) throw new Error('lanczos: start vector is zero');
    const q = new Float64Array(dim);
    for (let i = 0; i < dim; i++) q[i] = start[i] / nrm;
    this.Q.push(q);
  }

  /** Extend by one step; returns false when the Krylov space became invariant. */
  step(): boolean {
    if (this.exhausted) return false;
    const j = this.alpha.length;
    const q = this.Q[j];
    const w = this.w;
    this.op(q, w);
    let a = 0;
    for (let i = 0; i < this.dim; i++) a += q[i] * w[i];
    this.alpha.push(a);
    // full re-orthogonalisation (twice) against every basis vector
    for (let pass = 0; pass < 2; pass++) {
      for (const p of this.Q) {
        let dot = 0;
        for (let i = 0; i < this.dim; i++) dot += p[i] * w[i];
        for (let i = 0; i < this.dim; i++) w[i] -= dot * p[i];
      }
    }
    let b = 0;
    for (let i = 0; i < this.dim; i++) b += w[i] * w[i];
    b = Math.sqrt(b);
    const scale = Math.max(Math.abs(a), ...this.beta.map(Math.abs), 1e-300);
    if (b <= 1e-10 * scale || this.Q.length >= this.dim) {
      this.exhausted = true;
      return false;
    }
    this.beta.push(b);
    const qn = new Float64Array(this.dim);
    for (let i = 0; i < this.dim; i++) qn[i] = w[i] / b;
    this.Q.push(qn);
    return true;
  }

  /** Ritz decomposition of the current tridiagonal T_m. */
  ritz(): SymEig {
    const m = this.alpha.length;
    return eighTridiagonal(this.alpha, this.beta.slice(0, m - 1));
  }

  /** Combine basis vectors: out = Σ_j Q_j · c_j over the first c.length vectors. */
  combine(c: ArrayLike<number>, out: Float64Array): Float64Array {
    out.fill(0);
    for (let j = 0; j < c.length; j++) {
      const cj = c[j];
      if (cj === 0) continue;
      const q = this.Q[j];
      for (let i = 0; i < this.dim; i++) out[i] += cj * q[i];
    }
    return out;
  }
}

/** Largest k eigenpairs of a symmetric (e.g. PSD covariance) operator by Lanczos with full re-orthogonalisation. */
export function lanczosTop(op: SymOperator, dim: number, k: number, start: Float64Array, opts: LanczosOptions = {}): { values: Float64Array; vectors: Float64Array[]; iterations: number } {
  const maxIter = Math.min(dim, opts.maxIter ?? 300);
  const tol = opts.tol ?? 1e-7;
  const every = opts.checkEvery ?? 5;
  const L = new LanczosBasis(op, dim, start);
  let prev: number[] | null = null;
  for (;;) {
    const more = L.step();
    const m = L.alpha.length;
    const done = !more || m >= maxIter;
    if (m >= k && (done || m % every === 0)) {
      const r = L.ritz();
      const top = Array.from(r.values.slice(m - k)).reverse();
      // residual bound of Ritz pair i: |beta_m · last component of its eigenvector|
      const bm = L.beta[m - 1] ?? 0;
      let ok = true;
      for (let t = 0; t < k; t++) {
        const row = m - 1 - t;
        const res = Math.abs(bm * r.vectors[row * m + (m - 1)]);
        if (res > tol * Math.max(Math.abs(top[0]), 1e-300)) ok = false;
      }
      if (prev && ok || done) {
        const vectors: Float64Array[] = [];
        for (let t = 0; t < k; t++) {
          const row = m - 1 - t;
          vectors.push(L.combine(r.vectors.subarray(row * m, row * m + m), new Float64Array(dim)));
        }
        return { values: Float64Array.from(top), vectors, iterations: m };
      }
      prev = top;
    }
  }
}

/** Pseudo-inverse cut-off rule: singular/eigen values with |λ| ≤ max(atol, rtol·max|λ|) are treated as zero. */
export interface PinvOptions {
  atol?: number;
  /** Relative tolerance; default 1e-15 when atol is 0 (numpy's rcond), else 0 (torch's rule). */
  rtol?: number;
}

function cutoff(maxAbs: number, o: PinvOptions): number {
  const atol = o.atol ?? 0;
  const rtol = o.rtol ?? (atol > 0 ? 0 : 1e-15);
  return Math.max(atol, rtol * maxAbs);
}

/** Pseudo-inverse of a symmetric n×n matrix via its eigen-decomposition (float64 result, row-major). */
export function pinvSym(A: ArrayLike<number>, n: number, opts: PinvOptions = {}): Float64Array {
  const { values, vectors } = eighSym(A, n);
  let mx = 0;
  for (const v of values) mx = Math.max(mx, Math.abs(v));
  const cut = cutoff(mx, opts);
  const P = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const lam = values[k];
    if (!(Math.abs(lam) > cut)) continue;
    const inv = 1 / lam;
    const v = vectors.subarray(k * n, k * n + n);
    for (let i = 0; i < n; i++) {
      const a = v[i] * inv;
      if (a === 0) continue;
      const o = i * n;
      for (let j = 0; j < n; j++) P[o + j] += a * v[j];
    }
  }
  return P;
}

/**
 * x = pinv(A)·b for a symmetric operator A, by Lanczos on the Krylov space of b: x ≈ ‖b‖·Q·f(T)·e₁ with
 * f(λ) = 1/λ above the cut-off and 0 below it (the eigen-decomposition of A restricted to the Krylov space).
 * Exact when the space becomes invariant; otherwise stops when x changes by less than tol (relative).
 */
export function pinvApplyLanczos(op: SymOperator, b: Float64Array, opts: PinvOptions & LanczosOptions = {}): { x: Float64Array; iterations: number; converged: boolean; minRitz: number; maxRitz: number } {
  const dim = b.length;
  const maxIter = Math.min(dim, opts.maxIter ?? 400);
  const tol = opts.tol ?? 1e-7;
  const every = opts.checkEvery ?? 5;
  let bn = 0;
  for (let i = 0; i < dim; i++) bn += b[i] * b[i];
  bn = Math.sqrt(bn);
  if (bn === 0) return { x: new Float64Array(dim), iterations: 0, converged: true, minRitz: 0, maxRitz: 0 };
  const L = new LanczosBasis(op, dim, b);
  let prev: Float64Array | null = null;
  let prevNorm = 0;
  for (;;) {
    const more = L.step();
    const m = L.alpha.length;
    const done = !more || m >= maxIter;
    if (done || m % every === 0) {
      const r = L.ritz();
      let mx = 0;
      for (const v of r.values) mx = Math.max(mx, Math.abs(v));
      const cut = cutoff(mx, opts);
      // c = S f(Θ) Sᵀ e1 · ‖b‖
      const c = new Float64Array(m);
      for (let t = 0; t < m; t++) {
        const lam = r.values[t];
        if (!(Math.abs(lam) > cut)) continue;
        const s0 = r.vectors[t * m];
        const coef = (bn * s0) / lam;
        for (let j = 0; j < m; j++) c[j] += coef * r.vectors[t * m + j];
      }
      // change of the solution in the Krylov basis (earlier basis vectors are shared)
      let diff = 0, nrm = 0;
      for (let j = 0; j < m; j++) {
        const pj = prev && j < prev.length ? prev[j] : 0;
        diff += (c[j] - pj) ** 2;
        nrm += c[j] * c[j];
      }
      const converged = !more || (prev !== null && Math.sqrt(diff) <= tol * Math.sqrt(nrm) && Math.abs(Math.sqrt(nrm) - prevNorm) <= tol * Math.sqrt(nrm));
      if (converged || done) {
        return { x: L.combine(c, new Float64Array(dim)), iterations: m, converged, minRitz: r.values[0], maxRitz: r.values[m - 1] };
      }
      prev = c;
      prevNorm = Math.sqrt(nrm);
    }
  }
}

/**
 * Orthonormal basis of the column span of a row-major rows×cols matrix (cols small), via the float64 Gram matrix:
 * Q = A·V·Λ^(−1/2) with AᵀA = VΛVᵀ, applied `passes` times (default twice, for orthonormality to rounding). Columns are not nested like QR's (only the span is
 * kept); directions with eigenvalue below 1e-13·max come out as zero columns. Row-major loops only (fast for tall A).
 */
export function orthonormalizeSpan(A: ArrayLike<number>, rows: number, cols: number, passes = 2): Float64Array {
  let Q: Float64Array = Float64Array.from(A);
  const T = new Float64Array(cols * cols);
  for (let pass = 0; pass < passes; pass++) {
    const G = gemm64(Q, [rows, cols], Q, [rows, cols], { transA: true }).data;
    for (let a = 0; a < cols; a++) for (let b = 0; b < a; b++) G[a * cols + b] = G[b * cols + a] = 0.5 * (G[a * cols + b] + G[b * cols + a]);
    const e = eighSym(G, cols);
    let mx = 0;
    for (const v of e.values) mx = Math.max(mx, Math.abs(v));
    // T = V Λ^{-1/2} (cols×cols), with V's columns = e.vectors rows
    for (let k = 0; k < cols; k++) {
      const lam = e.values[k];
      const s = lam > 1e-13 * mx && lam > 0 ? 1 / Math.sqrt(lam) : 0;
      for (let a = 0; a < cols; a++) T[a * cols + k] = e.vectors[k * cols + a] * s;
    }
    Q = gemm64(Q, [rows, cols], T, [cols, cols]).data;
  }
  return Q;
}
