// Cholesky factorisation of symmetric positive-definite matrices (row-major float64): recursive blocking so that large
// factorisations run almost entirely as float64 GEMM on ONNX Runtime, and triangular solves for one or many right-hand sides.
import { gemm64 } from './gemm';

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

/** Solve (L·Lᵀ)·x = b in place for one right-hand side (L the lower factor from choleskyInPlace). */
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
 * Solve the symmetric positive-definite system A·X = B (A d×d, B d×k row-major float64; neither is modified): blocked
 * Cholesky of a copy of A, then forward and backward substitution over the k columns. Throws when A is not positive definite.
 */
export function choleskySolve(A: Float64Array, d: number, B: Float64Array, k: number): Float64Array {
  if (B.length !== d * k) throw new Error(`choleskySolve: expected B of ${d}×${k} = ${d * k} values, got ${B.length}`);
  const L = Float64Array.from(A);
  choleskyInPlace(L, d);
  const X = Float64Array.from(B);
  // forward: L Y = B
  for (let i = 0; i < d; i++) {
    for (let p = 0; p < i; p++) {
      const l = L[i * d + p];
      if (l === 0) continue;
      for (let c = 0; c < k; c++) X[i * k + c] -= l * X[p * k + c];
    }
    const lii = L[i * d + i];
    for (let c = 0; c < k; c++) X[i * k + c] /= lii;
  }
  // backward: Lᵀ X = Y
  for (let i = d - 1; i >= 0; i--) {
    for (let p = i + 1; p < d; p++) {
      const l = L[p * d + i];
      if (l === 0) continue;
      for (let c = 0; c < k; c++) X[i * k + c] -= l * X[p * k + c];
    }
    const lii = L[i * d + i];
    for (let c = 0; c < k; c++) X[i * k + c] /= lii;
  }
  return X;
}

