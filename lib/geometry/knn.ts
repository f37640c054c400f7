import type { Matrix } from '../util/matrix';
import { gemm } from '../linalg/gemm';

/** Exact k-nearest-neighbour lists: row i holds the k nearest other rows of i, nearest first. */
export interface KnnResult {
  /** Number of points. */
  n: number;
  /** Neighbours per point. */
  k: number;
  /** Neighbour indices, n×k row-major. */
  indices: Int32Array;
  /** Squared Euclidean distances matching `indices`, n×k row-major. */
  dist2: Float64Array;
}

/** Squared L2 norm of every row (float64 accumulation). */
export function rowSqNorms(X: Matrix): Float64Array {
  const { rows, cols, data } = X;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let j = 0; j < cols; j++) s += data[o + j] * data[o + j];
    out[i] = s;
  }
  return out;
}

/**
 * Dot products of rows [i0, i1) of A with rows [j0, j1) of B into out (row-major, (i1-i0)×ldo, column offset j0).
 * A 4×4 register-blocked kernel: each loaded value feeds four products.
 */
export function dotBlock(
  A: Float32Array, B: Float32Array, d: number,
  i0: number, i1: number, j0: number, j1: number,
  out: Float64Array, ldo: number, outColOffset = 0,
): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const a0 = i * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
    const r0 = (i - i0) * ldo, r1 = r0 + ldo, r2 = r1 + ldo, r3 = r2 + ldo;
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const b0 = j * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let t = 0; t < d; t++) {
        const x0 = A[a0 + t], x1 = A[a1 + t], x2 = A[a2 + t], x3 = A[a3 + t];
        const y0 = B[b0 + t], y1 = B[b1 + t], y2 = B[b2 + t], y3 = B[b3 + t];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      const c = j - j0 + outColOffset;
      out[r0 + c] = s00; out[r0 + c + 1] = s01; out[r0 + c + 2] = s02; out[r0 + c + 3] = s03;
      out[r1 + c] = s10; out[r1 + c + 1] = s11; out[r1 + c + 2] = s12; out[r1 + c + 3] = s13;
      out[r2 + c] = s20; out[r2 + c + 1] = s21; out[r2 + c + 2] = s22; out[r2 + c + 3] = s23;
      out[r3 + c] = s30; out[r3 + c + 1] = s31; out[r3 + c + 2] = s32; out[r3 + c + 3] = s33;
    }
    for (; j < j1; j++) {
      const b0 = j * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < d; t++) {
        const y = B[b0 + t];
        s0 += A[a0 + t] * y; s1 += A[a1 + t] * y; s2 += A[a2 + t] * y; s3 += A[a3 + t] * y;
      }
      const c = j - j0 + outColOffset;
      out[r0 + c] = s0; out[r1 + c] = s1; out[r2 + c] = s2; out[r3 + c] = s3;
    }
  }
  for (; i < i1; i++) {
    const a0 = i * d;
    const r0 = (i - i0) * ldo;
    for (let j = j0; j < j1; j++) {
      const b0 = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) s += A[a0 + t] * B[b0 + t];
      out[r0 + j - j0 + outColOffset] = s;
    }
  }
}

/** (d1, i1) < (d2, i2) lexicographically: distance first, then index (deterministic ties). */
function less(d1: number, i1: number, d2: number, i2: number): boolean {
  return d1 < d2 || (d1 === d2 && i1 < i2);
}

/**
 * Partially order cd/ci[o, o+cnt) so that its k smallest (by distance, then index) come first (quickselect
 * with median-of-three pivots); returns the k-th smallest distance.
 */
function selectK(cd: Float64Array, ci: Int32Array, o: number, cnt: number, k: number): number {
  let lo = o, hi = o + cnt - 1;
  const target = o + k - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three into position hi as pivot
    if (less(cd[mid], ci[mid], cd[lo], ci[lo])) swap(cd, ci, mid, lo);
    if (less(cd[hi], ci[hi], cd[lo], ci[lo])) swap(cd, ci, hi, lo);
    if (less(cd[mid], ci[mid], cd[hi], ci[hi])) swap(cd, ci, mid, hi);
    const pd = cd[hi], pi = ci[hi];
    let store = lo;
    for (let t = lo; t < hi; t++) {
      if (less(cd[t], ci[t], pd, pi)) swap(cd, ci, t, store++);
    }
    swap(cd, ci, store, hi);
    if (store === target) break;
    if (store < target) lo = store + 1;
    else hi = store - 1;
  }
  let m = -Infinity;
  for (let t = o; t < o + k; t++) if (cd[t] > m) m = cd[t];
  return m;
}

function swap(cd: Float64Array, ci: Int32Array, a: number, b: number): void {
  const td = cd[a]; cd[a] = cd[b]; cd[b] = td;
  const ti = ci[a]; ci[a] = ci[b]; ci[b] = ti;
}

/** Candidate buffers of the k-NN search: per row up to 2k candidates below a shrinking threshold. */
interface Cands { cd: Float64Array; ci: Int32Array; cnt: Int32Array; thr: Float64Array; k: number; cap: number }

/** Add the squared distances of a block of dot products (float32 buffer) to the per-row candidate buffers. */
function selectBlock32(buf: Float32Array, ld: number, i0: number, i1: number, j0: number, j1: number, norms: Float64Array, c: Cands): void {
  const { cd, ci, cnt, thr, k, cap } = c;
  for (let i = i0; i < i1; i++) {
    const r = (i - i0) * ld - j0, o = i * cap, ni = norms[i];
    let m = cnt[i], worst = thr[i];
    for (let j = j0; j < j1; j++) {
      let dd = ni + norms[j] - 2 * buf[r + j];
      if (dd > worst || j === i) continue;
      if (dd < 0) dd = 0;
      cd[o + m] = dd;
      ci[o + m++] = j;
      if (m === cap) {
        worst = selectK(cd, ci, o, m, k);
        m = k;
      }
    }
    cnt[i] = m;
    thr[i] = worst;
  }
}

/** Same as selectBlock32 for a float64 buffer (kept separate so each loop stays monomorphic). */
function selectBlock64(buf: Float64Array, ld: number, i0: number, i1: number, j0: number, j1: number, norms: Float64Array, c: Cands): void {
  const { cd, ci, cnt, thr, k, cap } = c;
  for (let i = i0; i < i1; i++) {
    const r = (i - i0) * ld - j0, o = i * cap, ni = norms[i];
    let m = cnt[i], worst = thr[i];
    for (let j = j0; j < j1; j++) {
      let dd = ni + norms[j] - 2 * buf[r + j];
      if (dd > worst || j === i) continue;
      if (dd < 0) dd = 0;
      cd[o + m] = dd;
      ci[o + m++] = j;
      if (m === cap) {
        worst = selectK(cd, ci, o, m, k);
        m = k;
      }
    }
    cnt[i] = m;
    thr[i] = worst;
  }
}

/**
 * Exact k nearest neighbours (squared Euclidean) of every row of X among the other rows, computed in blocks
 * as ‖a‖² + ‖b‖² − 2a·b with a register-blocked dot kernel; ties broken by lower index. Self is excluded.
 */
export function knn(X: Matrix, k: number): KnnResult {
  const n = X.rows, d = X.cols, A = X.data;
  if (!Number.isInteger(k) || k < 1) throw new Error(`knn: k must be a positive integer, got ${k}`);
  if (k > n - 1) throw new Error(`knn: k = ${k} neighbours requested but only ${n} points (${n - 1} others)`);
  const norms = rowSqNorms(X);
  const cap = 2 * k + 16;
  const cands: Cands = { cd: new Float64Array(n * cap), ci: new Int32Array(n * cap), cnt: new Int32Array(n), thr: new Float64Array(n).fill(Infinity), k, cap };
  // large problems: blocks of rows against all rows through the MLAS GEMM; small ones: the JS kernel
  const useGemm = n * n * d >= 1 << 24;
  const BI = useGemm ? Math.max(32, Math.min(n, Math.floor((1 << 22) / n))) : 32;
  const BJ = useGemm ? n : 512;
  const buf = useGemm ? new Float32Array(BI * n) : new Float64Array(BI * BJ);
  for (let i0 = 0; i0 < n; i0 += BI) {
    const i1 = Math.min(n, i0 + BI);
    for (let j0 = 0; j0 < n; j0 += BJ) {
      const j1 = Math.min(n, j0 + BJ);
      if (useGemm) {
        const rows = i1 - i0;
        const out = { rows, cols: n, data: (buf as Float32Array).subarray(0, rows * n) };
        gemm({ rows, cols: d, data: A.subarray(i0 * d, i1 * d) }, X, { transB: true, out });
      } else dotBlock(A, A, d, i0, i1, j0, j1, buf as Float64Array, BJ);
      if (useGemm) selectBlock32(buf as Float32Array, BJ, i0, i1, j0, j1, norms, cands);
      else selectBlock64(buf as Float64Array, BJ, i0, i1, j0, j1, norms, cands);
    }
  }
  // final selection and ascending sort (distance, then index) per row
  const indices = new Int32Array(n * k);
  const dist2 = new Float64Array(n * k);
  const { cd, ci, cnt } = cands;
  for (let i = 0; i < n; i++) {
    const o = i * cap;
    selectK(cd, ci, o, cnt[i], k);
    const ord = Array.from({ length: k }, (_, t) => o + t).sort((a, b) => cd[a] - cd[b] || ci[a] - ci[b]);
    for (let t = 0; t < k; t++) {
      indices[i * k + t] = ci[ord[t]];
      dist2[i * k + t] = cd[ord[t]];
    }
  }
  return { n, k, indices, dist2 };
}

/** All pairwise squared Euclidean distances (n×n, float64): for exact methods on small inputs. */
export function pairwiseSqDist(X: Matrix): Float64Array {
  const n = X.rows, d = X.cols;
  const norms = rowSqNorms(X);
  const out = new Float64Array(n * n);
  dotBlock(X.data, X.data, d, 0, n, 0, n, out, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = norms[i] + norms[j] - 2 * out[i * n + j];
      out[i * n + j] = i === j || v < 0 ? 0 : v;
    }
  }
  // enforce exact symmetry
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j];
  return out;
}
