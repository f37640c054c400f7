// Dense matrix products on ONNX Runtime's MLAS kernels (synchronous), with plain-loop fallbacks for tiny sizes.
import type { Matrix } from '../util/matrix';
import { cachedSession, encodeOnnxModel, ONNX_DOUBLE, ONNX_FLOAT } from './onnx';

/** Options of gemm: transpose flags and a scale on the product. */
export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** Write into this matrix instead of allocating (must have the product's shape). */
  out?: Matrix;
}

function gemmSession(transA: boolean, transB: boolean, alpha: number, f64 = false) {
  const key = `gemm:${+transA}${+transB}:${alpha}:${f64 ? 'f64' : 'f32'}`;
  const et = f64 ? ONNX_DOUBLE : ONNX_FLOAT;
  return cachedSession(key, () =>
    encodeOnnxModel({
      nodes: [{ op: 'Gemm', inputs: ['A', 'B'], outputs: ['C'], attrs: { transA: +transA, transB: +transB, alpha: { f: alpha } } }],
      inputs: [
        { name: 'A', elemType: et, shape: ['a0', 'a1'] },
        { name: 'B', elemType: et, shape: ['b0', 'b1'] },
      ],
      outputs: [{ name: 'C', elemType: et, shape: ['m', 'n'] }],
    }),
  );
}

/** Below this many multiply-adds a JS loop is faster than a session call. */
const SMALL = 32 * 1024;

/** C = alpha · op(A) · op(B) with op = optional transpose (float32, MLAS). */
export function gemm(A: Matrix, B: Matrix, opts: GemmOptions = {}): Matrix {
  const tA = !!opts.transA, tB = !!opts.transB, alpha = opts.alpha ?? 1;
  const m = tA ? A.cols : A.rows, k = tA ? A.rows : A.cols;
  const k2 = tB ? B.cols : B.rows, n = tB ? B.rows : B.cols;
  if (k !== k2) {
    throw new Error(`gemm: inner dimensions differ: op(A) is ${m}×${k}, op(B) is ${k2}×${n}`);
  }
  if (opts.out && (opts.out.rows !== m || opts.out.cols !== n)) {
    throw new Error(`gemm: out is ${opts.out.rows}×${opts.out.cols}, product is ${m}×${n}`);
  }
  if (m === 0 || n === 0) return opts.out ?? { rows: m, cols: n, data: new Float32Array(m * n) };
  if (k === 0 || m * n * k <= SMALL) {
    const C = opts.out ?? { rows: m, cols: n, data: new Float32Array(m * n) };
    naiveGemmInto(A, B, C, tA, tB, alpha);
    return C;
  }
  const s = gemmSession(tA, tB, alpha);
  const feeds = { A: { data: A.data, dims: [A.rows, A.cols] }, B: { data: B.data, dims: [B.rows, B.cols] } };
  if (opts.out) {
    s.run(feeds, { C: { data: opts.out.data, dims: [m, n] } });
    return opts.out;
  }
  const r = s.run(feeds);
  return { rows: m, cols: n, data: r.C as Float32Array };
}

/** C = alpha · op(A) · op(B) in float64 on MLAS/Eigen (A, B given row-major as Float64Array with shapes). */
export function gemm64(
  A: Float64Array, aShape: [number, number], B: Float64Array, bShape: [number, number],
  opts: { transA?: boolean; transB?: boolean; alpha?: number } = {},
): { data: Float64Array; rows: number; cols: number } {
  const tA = !!opts.transA, tB = !!opts.transB, alpha = opts.alpha ?? 1;
  const m = tA ? aShape[1] : aShape[0], k = tA ? aShape[0] : aShape[1];
  const k2 = tB ? bShape[1] : bShape[0], n = tB ? bShape[0] : bShape[1];
  if (k !== k2) throw new Error(`gemm64: inner dimensions differ: op(A) is ${m}×${k}, op(B) is ${k2}×${n}`);
  if (A.length !== aShape[0] * aShape[1] || B.length !== bShape[0] * bShape[1]) throw new Error('gemm64: data length does not match shape');
  if (m === 0 || n === 0 || k === 0 || m * n * k <= SMALL) {
    const C = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const a = alpha * (tA ? A[p * aShape[1] + i] : A[i * aShape[1] + p]);
        if (a === 0) continue;
        for (let j = 0; j < n; j++) C[i * n + j] += a * (tB ? B[j * bShape[1] + p] : B[p * bShape[1] + j]);
      }
    }
    return { data: C, rows: m, cols: n };
  }
  const s = gemmSession(tA, tB, alpha, true);
  const r = s.run({ A: { data: A, dims: aShape }, B: { data: B, dims: bShape } });
  return { data: r.C as Float64Array, rows: m, cols: n };
}

/** Reference triple loop C = alpha·op(A)·op(B) (float64 accumulation), written into C. */
export function naiveGemmInto(A: Matrix, B: Matrix, C: Matrix, transA = false, transB = false, alpha = 1): void {
  const m = C.rows, n = C.cols, k = transA ? A.rows : A.cols;
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const a = transA ? A.data[p * A.cols + i] : A.data[i * A.cols + p];
      if (a === 0) continue;
      if (transB) for (let j = 0; j < n; j++) acc[j] += a * B.data[j * B.cols + p];
      else {
        const o = p * B.cols;
        for (let j = 0; j < n; j++) acc[j] += a * B.data[o + j];
      }
    }
    for (let j = 0; j < n; j++) C.data[i * n + j] = alpha * acc[j];
  }
}

/** Sum of squares of all elements (float32 row sums on ORT's ReduceSumSquare, rows summed in float64). */
export function sumSquares(data: Float32Array): number {
  const cols = 4096;
  const rows = data.length >= 65536 ? Math.floor(data.length / cols) : 0;
  let total = 0;
  if (rows > 0) {
    const rowSums = rowSumSquares({ rows, cols, data: data.subarray(0, rows * cols) });
    for (let i = 0; i < rowSums.length; i++) total += rowSums[i];
  }
  for (let i = rows * cols; i < data.length; i++) total += data[i] * data[i];
  return total;
}

/** Per-row sums of squares of a matrix (ORT ReduceSumSquare over axis 1, float32). */
export function rowSumSquares(X: Matrix): Float32Array {
  const s = cachedSession('rowsumsq', () =>
    encodeOnnxModel({
      nodes: [{ op: 'ReduceSumSquare', inputs: ['X'], outputs: ['Y'], attrs: { keepdims: 0, axes: [1] } }],
      inputs: [{ name: 'X', shape: ['n', 'd'] }],
      outputs: [{ name: 'Y', shape: ['n'] }],
    }),
  );
  return s.run({ X: { data: X.data, dims: [X.rows, X.cols] } }).Y as Float32Array;
}

/** Column sums of X (float32 GEMM with a row of ones), returned as float64. */
export function colSums(X: Matrix): Float64Array {
  const ones = { rows: 1, cols: X.rows, data: new Float32Array(X.rows).fill(1) };
  return Float64Array.from(gemm(ones, X).data);
}

/** X − 1·vᵀ: subtract a row vector from every row (ORT Sub with broadcasting; float32). */
export function subtractRow(X: Matrix, v: ArrayLike<number>): Matrix {
  if (v.length !== X.cols) throw new Error(`subtractRow: vector has ${v.length} values, matrix has ${X.cols} columns`);
  const v32 = Float32Array.from(v);
  if (X.rows * X.cols < 65536) {
    const out = new Float32Array(X.data.length);
    for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.cols; j++) out[i * X.cols + j] = X.data[i * X.cols + j] - v32[j];
    return { rows: X.rows, cols: X.cols, data: out };
  }
  const s = cachedSession('subrow', () =>
    encodeOnnxModel({
      nodes: [{ op: 'Sub', inputs: ['X', 'v'], outputs: ['Y'] }],
      inputs: [{ name: 'X', shape: ['n', 'd'] }, { name: 'v', shape: [1, 'd'] }],
      outputs: [{ name: 'Y', shape: ['n', 'd'] }],
    }),
  );
  const out = new Float32Array(X.data.length);
  s.run({ X: { data: X.data, dims: [X.rows, X.cols] }, v: { data: v32, dims: [1, X.cols] } }, { Y: { data: out, dims: [X.rows, X.cols] } });
  return { rows: X.rows, cols: X.cols, data: out };
}

/** Transpose of a float32 matrix (ORT Transpose; plain loop for small inputs). */
export function transpose(X: Matrix): Matrix {
  const { rows: n, cols: d } = X;
  const out = new Float32Array(n * d);
  if (n * d < 65536) {
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[j * n + i] = X.data[i * d + j];
    return { rows: d, cols: n, data: out };
  }
  const s = cachedSession('transpose', () =>
    encodeOnnxModel({
      nodes: [{ op: 'Transpose', inputs: ['X'], outputs: ['Y'], attrs: { perm: [1, 0] } }],
      inputs: [{ name: 'X', shape: ['n', 'd'] }],
      outputs: [{ name: 'Y', shape: ['d', 'n'] }],
    }),
  );
  s.run({ X: { data: X.data, dims: [n, d] } }, { Y: { data: out, dims: [d, n] } });
  return { rows: d, cols: n, data: out };
}
