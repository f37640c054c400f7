// Shared helpers of the probes: linear scores, class means, the probe object, accuracy and confusion.
import type { Matrix } from '../util/matrix';
import { gemm } from '../linalg/gemm';
import type { Probe, ProbeKind } from './types';

/** Check that X and y describe the same rows with both labels present. */
export function checkXy(kind: string, X: Matrix, y: ArrayLike<number>): void {
  if (y.length !== X.rows) throw new Error(`probe ${kind}: ${X.rows} rows but ${y.length} labels`);
  let pos = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`probe ${kind}: label of row ${i} is ${y[i]}, expected 0 or 1`);
    pos += y[i];
  }
  if (pos === 0 || pos === y.length) throw new Error(`probe ${kind}: training labels must contain both classes (got ${pos} of ${y.length} positive)`);
}

/** X·w + b for every row (MLAS GEMV), as float32. */
export function linearScores(X: Matrix, w: Float32Array, b = 0): Float32Array {
  if (w.length !== X.cols) throw new Error(`probe: direction has ${w.length} values, data has ${X.cols} columns`);
  const z = gemm(X, { rows: w.length, cols: 1, data: w }).data;
  if (b !== 0) for (let i = 0; i < z.length; i++) z[i] += b;
  return z;
}

/** Class means (float64): mean of rows with label 1 and with label 0. */
export function classMeans(X: Matrix, y: ArrayLike<number>): { pos: Float64Array; neg: Float64Array; nPos: number; nNeg: number } {
  const d = X.cols;
  const wp = new Float32Array(X.rows), wn = new Float32Array(X.rows);
  let nPos = 0, nNeg = 0;
  for (let i = 0; i < X.rows; i++) {
    if (y[i] === 1) { wp[i] = 1; nPos++; } else { wn[i] = 1; nNeg++; }
  }
  const sp = gemm({ rows: 1, cols: X.rows, data: wp }, X).data;
  const sn = gemm({ rows: 1, cols: X.rows, data: wn }, X).data;
  const pos = new Float64Array(d), neg = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    pos[j] = sp[j] / nPos;
    neg[j] = sn[j] / nNeg;
  }
  return { pos, neg, nPos, nNeg };
}

/** Build a Probe object from a direction and bias. */
export function makeProbe(kind: ProbeKind, direction: Float32Array, bias: number, info: Probe['info'] = {}): Probe {
  const p: Probe = {
    kind,
    direction,
    bias,
    info,
    score: (X: Matrix) => linearScores(X, direction, bias),
    predict: (X: Matrix) => {
      const z = p.score(X);
      const out = new Uint8Array(z.length);
      for (let i = 0; i < z.length; i++) out[i] = z[i] > 0 ? 1 : 0;
      return out;
    },
  };
  return p;
}

/** Fraction of predictions equal to the labels. */
export function accuracy(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  if (pred.length !== y.length) throw new Error(`accuracy: ${pred.length} predictions vs ${y.length} labels`);
  if (!y.length) return NaN;
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

/** Confusion matrix [[tn, fp], [fn, tp]] (rows = true label 0/1, columns = predicted 0/1). */
export function confusion(pred: ArrayLike<number>, y: ArrayLike<number>): [[number, number], [number, number]] {
  const c: [[number, number], [number, number]] = [[0, 0], [0, 0]];
  for (let i = 0; i < y.length; i++) c[y[i] ? 1 : 0][pred[i] ? 1 : 0]++;
  return c;
}

/** A float32 copy of a float64 vector. */
export function f32(v: ArrayLike<number>): Float32Array {
  return Float32Array.from(v);
}
