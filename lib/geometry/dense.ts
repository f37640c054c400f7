import { gemm64 } from '../linalg/gemm';
import { lanczosTop } from '../linalg/eigen';
import { Rng } from '../util/rng';

const BASE = 64;

/**
 * In-place lower Cholesky factorisation of a symmetric positive-definite n×n matrix (row-major float64; only the
 * lower triangle is read, the strict upper triangle is left untouched): recursive blocking so that almost all
 * work is float64 GEMM on ONNX Runtime. Throws when a pivot is not positive.
 */
export function choleskyInPlace(A: Float64Array, n: number): void {
  if (A.length !== n * n) throw new Error(`cholesky: expected ${n}×${n} values, got ${A.length}`);
  chol(A, n, 0, n);
}

function chol(A: Float64Array, N: number, r0: number, m: number): void {
  if (m <= BASE) {
    for (let j = r0; j < r0 + m; j++) {
      let s = A[j * N + j];
      for (let t = r0; t < j; t++) s -= A[j * N + t] * A[j * N + t];
      if (!(s > 0)) throw new Error(`cholesky: matrix is not positive definite (pivot ${j} = ${s})`);
      const d = Math.sqrt(s);
      A[j * N + j] = d;
      for (let i = j + 1; i < r0 + m; i++) {
        let v = A[i * N + j];
        for (let t = r0; t < j; t++) v -= A[i * N + t] * A[j * N + t];
        A[i * N + j] = v / d;
      }
    }
    return;
  }
  const h = m >> 1;
  chol(A, N, r0, h);
  trsm(A, N, r0, h, r0 + h, r0 + m);
  // A22 −= L21·L21ᵀ (lower triangle)
  const rows = m - h;
  const L21 = new Float64Array(rows * h);
  for (let i = 0; i < rows; i++) L21.set(A.subarray((r0 + h + i) * N + r0, (r0 + h + i) * N + r0 + h), i * h);
  const G = gemm64(L21, [rows, h], L21, [rows, h], { transB: true }).data;
  for (let i = 0; i < rows; i++) {
    const o = (r0 + h + i) * N + r0 + h;
    for (let j = 0; j <= i; j++) A[o + j] -= G[i * rows + j];
  }
  chol(A, N, r0 + h, rows);
}

/** Solve X·Lᵀ = B in place for rows [i0, i1) of B = A[i0:i1, c0:c0+b], L = A[c0:c0+b, c0:c0+b] lower. */
function trsm(A: Float64Array, N: number, c0: number, b: number, i0: number, i1: number): void {
  if (b <= BASE) {
    for (let r = i0; r < i1; r++) {
      const o = r * N;
      for (let j = c0; j < c0 + b; j++) {
        let v = A[o + j];
        const lj = j * N;
        for (let t = c0; t < j; t++) v -= A[o + t] * A[lj + t];
        A[o + j] = v / A[lj + j];
      }
    }
    return;
  }
  const h = b >> 1;
  trsm(A, N, c0, h, i0, i1);
  // B2 −= X1·Lbᵀ, Lb = A[c0+h:c0+b, c0:c0+h]
  const rows = i1 - i0, w = b - h;
  const X1 = new Float64Array(rows * h);
  for (let i = 0; i < rows; i++) X1.set(A.subarray((i0 + i) * N + c0, (i0 + i) * N + c0 + h), i * h);
  const Lb = new Float64Array(w * h);
  for (let i = 0; i < w; i++) Lb.set(A.subarray((c0 + h + i) * N + c0, (c0 + h + i) * N + c0 + h), i * h);
  const G = gemm64(X1, [rows, h], Lb, [w, h], { transB: true }).data;
  for (let i = 0; i < rows; i++) {
    const o = (i0 + i) * N + c0 + h;
    for (let j = 0; j < w; j++) A[o + j] -= G[i * w + j];
  }
  trsm(A, N, c0 + h, w, i0, i1);
}

/** Solve (L·Lᵀ)·x = b in place (L the lower factor from choleskyInPlace). */
export function choleskySolveInPlace(L: Float64Array, n: number, x: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let v = x[i];
    const o = i * n;
    for (let t = 0; t < i; t++) v -= L[o + t] * x[t];
    x[i] = v / L[o + i];
  }
  // backward: Lᵀ·x = y, column-oriented so that L is read by rows
  for (let i = n - 1; i >= 0; i--) {
    const o = i * n;
    const xi = (x[i] /= L[o + i]);
    for (let t = 0; t < i; t++) x[t] -= L[o + t] * xi;
  }
}

/**
 * The k smallest eigenpairs of a dense symmetric positive-semidefinite matrix M, orthogonal to given orthonormal
 * vectors (known null vectors), by shift-and-invert Lanczos: (M + σI) is factored once (Cholesky, σ a tiny
 * multiple of the mean diagonal, raised if the factorisation fails) and Lanczos finds the largest eigenvalues of
 * (M + σI)⁻¹ on the complement. M is overwritten.
 */
export function smallestEigsShiftInvert(
  M: Float64Array, n: number, k: number,
  opts: { constraints?: Float64Array[]; seed?: number; tol?: number; maxIter?: number } = {},
): { values: Float64Array; vectors: Float64Array[]; iterations: number; sigma: number } {
  const cons = opts.constraints ?? [];
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += M[i * n + i];
  meanDiag = Math.max(meanDiag / n, 1e-300);
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) diag[i] = M[i * n + i];
  // keep the lower triangle of M in its upper part so that a failed factorisation can restart
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) M[j * n + i] = M[i * n + j];
  let sigma = 1e-12 * meanDiag;
  for (let attempt = 0; ; attempt++) {
    for (let i = 0; i < n; i++) {
      M[i * n + i] = diag[i] + sigma;
      for (let j = 0; j < i; j++) M[i * n + j] = M[j * n + i];
    }
    try {
      choleskyInPlace(M, n);
      break;
    } catch (err) {
      if (attempt >= 6) throw err;
      sigma *= 100;
    }
  }
  const project = (v: Float64Array): void => {
    for (const c of cons) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[i] * c[i];
      for (let i = 0; i < n; i++) v[i] -= d * c[i];
    }
  };
  const op = (v: Float64Array, out: Float64Array): void => {
    out.set(v);
    project(out);
    choleskySolveInPlace(M, n, out);
    project(out);
  };
  const rng = new Rng(opts.seed ?? 0);
  const start = new Float64Array(n);
  for (let i = 0; i < n; i++) start[i] = rng.normal();
  project(start);
  const r = lanczosTop(op, n, k, start, { tol: opts.tol ?? 1e-10, maxIter: opts.maxIter ?? 300 });
  const values = new Float64Array(k);
  for (let t = 0; t < k; t++) values[t] = 1 / r.values[t] - sigma;
  return { values, vectors: r.vectors, iterations: r.iterations, sigma };
}
