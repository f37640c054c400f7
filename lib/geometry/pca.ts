// Principal component analysis on float32 matrices: randomised SVD (Halko et al., as scikit-learn's
// svd_solver='randomized') or an exact eigen-decomposition of the covariance/Gram matrix, with GEMMs on ORT/MLAS.
import { assertFinite, type Matrix } from '../util/matrix';
import { Rng } from '../util/rng';
import { colSums, gemm, subtractRow, sumSquares } from '../linalg/gemm';
import { eighSym, lanczosTop, orthonormalizeSpan } from '../linalg/eigen';

/** PCA options: solver, seed of the random projection, oversampling and power iterations (randomised only). */
export interface PcaOptions {
  /** 'randomized' (default, fast) or 'full' (exact top-k: dense eigen-decomposition, or Lanczos to tol on big inputs). */
  method?: 'randomized' | 'full';
  seed?: number;
  /** Extra random directions beyond k (default 10, as scikit-learn). */
  oversamples?: number;
  /** Power iterations (default 7 when k < 0.1·min(n, d), else 4, as scikit-learn). */
  nIter?: number;
  /** 'full' only: largest min(n, d) solved by a dense eigen-decomposition; above it, Lanczos to 1e-9 (default 256). */
  denseLimit?: number;
}

/** A fitted PCA: k×d components (unit rows), variances, column mean, and a transform to k-D scores. */
export interface PcaResult {
  /** k×d, row i = i-th principal axis (sign fixed so the largest-|score| sample is positive, as scikit-learn). */
  components: Matrix;
  /** Variance along each component (eigenvalue of the covariance, ddof 1). */
  explainedVariance: Float64Array;
  /** explainedVariance / total variance. */
  explainedVarianceRatio: Float64Array;
  singularValues: Float64Array;
  /** Column means of the training data. */
  mean: Float64Array;
  /** Total variance (sum of per-column variances, ddof 1). */
  totalVariance: number;
  method: 'randomized' | 'full';
  /** Project rows of X (same column count) onto the components: (X − mean)·componentsᵀ. */
  transform(X: Matrix): Matrix;
}

/**
 * The centred data Xc = X − 1·μᵀ, either as an explicit float32 copy or implicitly (products on X with a rank-1
 * correction, no 4·n·d-byte copy). Implicit centring is used only when the mean is small next to the spread, so that
 * float32 cancellation cannot matter.
 */
class Centred {
  readonly n: number;
  readonly d: number;
  readonly mean: Float64Array;
  readonly ss: number;
  private X: Matrix;
  private explicit: boolean;

  constructor(X: Matrix, forceExplicit = false) {
    this.n = X.rows;
    this.d = X.cols;
    const mean = colSums(X);
    for (let j = 0; j < X.cols; j++) mean[j] /= X.rows;
    this.mean = mean;
    let mu2 = 0;
    for (let j = 0; j < X.cols; j++) mu2 += mean[j] * mean[j];
    const raw = sumSquares(X.data);
    const ssImplicit = raw - X.rows * mu2;
    this.explicit = forceExplicit || !(mu2 <= 4 * (ssImplicit / X.rows));
    if (this.explicit) {
      this.X = subtractRow(X, mean);
      this.ss = sumSquares(this.X.data);
    } else {
      this.X = X;
      this.ss = ssImplicit;
    }
  }

  /** The centred matrix itself (copies when implicit). */
  materialise(): Matrix {
    if (!this.explicit) {
      this.X = subtractRow(this.X, this.mean);
      this.explicit = true;
    }
    return this.X;
  }

  /** Xc·Bᵀ for B (l×d): n×l. */
  timesT(B: Matrix): Matrix {
    const Y = gemm(this.X, B, { transB: true });
    if (!this.explicit) {
      const l = B.rows;
      const c = new Float64Array(l);
      for (let i = 0; i < l; i++) {
        let s = 0;
        for (let j = 0; j < this.d; j++) s += B.data[i * this.d + j] * this.mean[j];
        c[i] = s;
      }
      for (let r = 0; r < this.n; r++) for (let i = 0; i < l; i++) Y.data[r * l + i] -= c[i];
    }
    return Y;
  }

  /** Qᵀ·Xc for Q (n×l): l×d. */
  tTimes(Q: Matrix): Matrix {
    const Z = gemm(Q, this.X, { transA: true });
    if (!this.explicit) {
      const l = Q.cols;
      for (let i = 0; i < l; i++) {
        let s = 0;
        for (let r = 0; r < this.n; r++) s += Q.data[r * l + i];
        for (let j = 0; j < this.d; j++) Z.data[i * this.d + j] -= s * this.mean[j];
      }
    }
    return Z;
  }
}

/** Project rows of X onto a fitted PCA: (X − mean)·componentsᵀ (float32 n×k). */
export function pcaTransform(p: Pick<PcaResult, 'components' | 'mean'>, X: Matrix): Matrix {
  const { components: C, mean } = p;
  if (X.cols !== C.cols) throw new Error(`pca transform: X has ${X.cols} columns, the PCA was fitted on ${C.cols}`);
  const Y = gemm(X, C, { transB: true });
  const k = C.rows;
  const shift = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < C.cols; j++) s += C.data[i * C.cols + j] * mean[j];
    shift[i] = s;
  }
  for (let r = 0; r < Y.rows; r++) for (let i = 0; i < k; i++) Y.data[r * k + i] -= shift[i];
  return Y;
}

function toF64(m: Matrix): Float64Array {
  return Float64Array.from(m.data);
}

/** Orthonormal basis (float32) of the row span of an r×c matrix (r small): via the transpose's column span. */
function orthRows(M: Matrix, passes = 2): Matrix {
  const { rows: r, cols: c } = M;
  const T = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) T[j * r + i] = M.data[i * c + j];
  const Q = orthonormalizeSpan(T, c, r, passes);
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = Q[j * r + i];
  return { rows: r, cols: c, data: out };
}

/** Orthonormal basis (float32) of the column span of a tall n×l matrix. */
function orthCols(M: Matrix, passes = 2): Matrix {
  return { rows: M.rows, cols: M.cols, data: Float32Array.from(orthonormalizeSpan(M.data, M.rows, M.cols, passes)) };
}

/** Fit PCA with k components on the rows of X (n×d float32). */
export function pca(X: Matrix, k: number, opts: PcaOptions = {}): PcaResult {
  const { rows: n, cols: d } = X;
  if (!Number.isInteger(k) || k < 1) throw new Error(`pca: k must be a positive integer, got ${k}`);
  if (n < 2) throw new Error(`pca: need at least 2 rows, got ${n}`);
  if (k > Math.min(n, d)) throw new Error(`pca: k=${k} exceeds min(rows, cols) = ${Math.min(n, d)} of the ${n}×${d} input`);
  assertFinite('pca: input', X.data, d);
  const C = new Centred(X, opts.method === 'full');
  const mean = C.mean;
  const totalVariance = C.ss / (n - 1);
  let method = opts.method ?? 'randomized';
  const l = k + (opts.oversamples ?? 10);
  if (method === 'randomized' && l >= Math.min(n, d)) method = 'full';

  let V: Float64Array; // k×d rows
  let S: Float64Array; // singular values
  let scores: Matrix | null = null; // n×k scores Xc·Vᵀ when known without another pass
  if (method === 'randomized') {
    const nIter = opts.nIter ?? (k < 0.1 * Math.min(n, d) ? 7 : 4);
    const rng = new Rng(opts.seed ?? 0);
    const omega = new Float32Array(l * d);
    for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();
    // Y = Xc·Ωᵀ (n×l), Ω stored l×d
    // intermediate blocks only need conditioning (one Gram pass, like scikit-learn's LU steps); the last is exact
    let Q = orthCols(C.timesT({ rows: l, cols: d, data: omega }), nIter ? 1 : 2);
    for (let it = 0; it < nIter; it++) {
      const Z = orthRows(C.tTimes(Q), 1); // l×d
      Q = orthCols(C.timesT(Z), it === nIter - 1 ? 2 : 1); // n×l
    }
    const B = C.tTimes(Q); // l×d
    const Bd = toF64(B);
    const G = new Float64Array(l * l);
    for (let i = 0; i < l; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        const oi = i * d, oj = j * d;
        for (let t = 0; t < d; t++) s += Bd[oi + t] * Bd[oj + t];
        G[i * l + j] = s;
        G[j * l + i] = s;
      }
    }
    const eg = eighSym(G, l);
    V = new Float64Array(k * d);
    S = new Float64Array(k);
    // scores U·S = Q·u·s: B = Qᵀ Xc = u s vᵀ, so Xc·v ≈ Q·Qᵀ·Xc·v = Q·u·s
    const sc = new Float32Array(n * k);
    for (let c = 0; c < k; c++) {
      const row = l - 1 - c;
      const s = Math.sqrt(Math.max(eg.values[row], 0));
      S[c] = s;
      const u = eg.vectors.subarray(row * l, row * l + l);
      for (let r = 0; r < n; r++) {
        let t = 0;
        for (let i = 0; i < l; i++) t += Q.data[r * l + i] * u[i];
        sc[r * k + c] = t * s;
      }
      for (let i = 0; i < l; i++) {
        const a = u[i] / (s || 1);
        const o = i * d;
        for (let t = 0; t < d; t++) V[c * d + t] += a * Bd[o + t];
      }
    }
    scores = { rows: n, cols: k, data: sc };
  } else if (Math.min(n, d) <= (opts.denseLimit ?? 256)) {
    // exact: eigen-decomposition of the smaller of XcᵀXc (d×d) and XcXcᵀ (n×n)
    const Xc = C.materialise();
    const useCov = d <= n;
    const m = useCov ? d : n;
    const G = gemm(Xc, Xc, useCov ? { transA: true } : { transB: true });
    const Gd = toF64(G);
    for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) Gd[i * m + j] = Gd[j * m + i] = 0.5 * (Gd[i * m + j] + Gd[j * m + i]);
    const eg = eighSym(Gd, m);
    V = new Float64Array(k * d);
    S = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const row = m - 1 - c;
      const s = Math.sqrt(Math.max(eg.values[row], 0));
      S[c] = s;
      const vec = eg.vectors.subarray(row * m, row * m + m);
      if (useCov) V.set(vec, c * d);
      else {
        // v = Xcᵀ u / s
        const u32 = { rows: 1, cols: n, data: Float32Array.from(vec) };
        const v = gemm(u32, Xc);
        for (let t = 0; t < d; t++) V[c * d + t] = v.data[t] / (s || 1);
      }
    }
  } else {
    // exact top-k of the covariance by Lanczos (tolerance 1e-9)
    const Xc = C.materialise();
    const x32 = new Float32Array(d);
    const op = (v: Float64Array, out: Float64Array) => {
      x32.set(v);
      const t = gemm(Xc, { rows: d, cols: 1, data: x32 });
      const r = gemm(t, Xc, { transA: true });
      for (let j = 0; j < d; j++) out[j] = r.data[j];
    };
    const rng = new Rng(opts.seed ?? 0);
    const start = new Float64Array(d);
    for (let j = 0; j < d; j++) start[j] = rng.normal();
    const res = lanczosTop(op, d, k, start, { tol: 1e-9, maxIter: Math.min(d, 1000) });
    V = new Float64Array(k * d);
    S = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      V.set(res.vectors[c], c * d);
      S[c] = Math.sqrt(Math.max(res.values[c], 0));
    }
  }
  // sign convention (scikit-learn's svd_flip on U): the sample with the largest |score| gets a positive score
  const comp = { rows: k, cols: d, data: Float32Array.from(V) };
  scores ??= C.timesT(comp);
  for (let c = 0; c < k; c++) {
    let best = 0, arg = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(scores.data[i * k + c]);
      if (a > best) { best = a; arg = i; }
    }
    if (scores.data[arg * k + c] < 0) for (let t = 0; t < d; t++) comp.data[c * d + t] = -comp.data[c * d + t];
  }
  const explainedVariance = new Float64Array(k);
  const explainedVarianceRatio = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    explainedVariance[c] = (S[c] * S[c]) / (n - 1);
    explainedVarianceRatio[c] = totalVariance > 0 ? explainedVariance[c] / totalVariance : 0;
  }
  const result: PcaResult = {
    components: comp,
    explainedVariance,
    explainedVarianceRatio,
    singularValues: S,
    mean,
    totalVariance,
    method,
    transform: (Z: Matrix) => pcaTransform(result, Z),
  };
  return result;
}

/** Fit PCA and project the same rows: returns the fit and the n×k scores. */
export function pcaFitTransform(X: Matrix, k: number, opts: PcaOptions = {}): { pca: PcaResult; Y: Matrix } {
  const p = pca(X, k, opts);
  return { pca: p, Y: p.transform(X) };
}
