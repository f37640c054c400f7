// Contrast-Consistent Search (Burns et al. 2022) over contrastive pairs: each side is normalised (minus its own mean,
// optionally divided by its std), a linear probe p(x) = σ(w·x + b) is trained with full-batch AdamW on
// consistency (p(x⁺) − (1 − p(x⁻)))² + confidence min(p(x⁺), p(x⁻))², several seeded restarts keep the lowest loss,
// and the sign is fixed by the training labels (the sycophantic side should score higher).
import type { Matrix } from '../util/matrix';
import { Rng } from '../util/rng';
import { gemm } from '../linalg/gemm';
import { makeProbe } from './common';
import { AdamW } from './logistic';
import type { Probe, ProbeOptions } from './types';

/** Row indices of each pair's pos (label 1) and neg (label 0) rows; throws naming a pair without exactly one of each. */
export function pairRows(y: ArrayLike<number>, pairs?: Int32Array): { pos: Int32Array; neg: Int32Array } {
  const n = y.length;
  if (!pairs) {
    if (n % 2) throw new Error(`ccs: ${n} rows cannot be split into pos/neg halves; pass the pair index of each row`);
    pairs = new Int32Array(n);
    for (let i = 0; i < n; i++) pairs[i] = i % (n / 2);
  }
  if (pairs.length !== n) throw new Error(`ccs: ${pairs.length} pair indices for ${n} rows`);
  const posOf = new Map<number, number>(), negOf = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const m = y[i] === 1 ? posOf : negOf;
    if (m.has(pairs[i])) throw new Error(`ccs: pair ${pairs[i]} has more than one ${y[i] === 1 ? 'pos' : 'neg'} row (rows ${m.get(pairs[i])} and ${i})`);
    m.set(pairs[i], i);
  }
  const ids = [...posOf.keys()].filter((p) => negOf.has(p)).sort((a, b) => a - b);
  for (const p of [...posOf.keys(), ...negOf.keys()]) if (!posOf.has(p) || !negOf.has(p)) throw new Error(`ccs: pair ${p} lacks its ${posOf.has(p) ? 'neg' : 'pos'} row`);
  return { pos: Int32Array.from(ids.map((p) => posOf.get(p)!)), neg: Int32Array.from(ids.map((p) => negOf.get(p)!)) };
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Train a CCS probe on rows X with labels y (pairs as in ProbeOptions.pairs). */
export function trainCcs(X: Matrix, y: ArrayLike<number>, opts: ProbeOptions = {}): Probe {
  if (y.length !== X.rows) throw new Error(`probe ccs: ${X.rows} rows but ${y.length} labels`);
  const { pos, neg } = pairRows(y, opts.pairs);
  const m = pos.length, d = X.cols;
  if (m < 2) throw new Error(`probe ccs: need at least 2 complete pairs, got ${m}`);
  // normalised sides stacked: rows [0, m) = pos side, [m, 2m) = neg side
  const Z = new Float32Array(2 * m * d);
  const means = [new Float64Array(d), new Float64Array(d)];
  const scale = new Float64Array(d).fill(1);
  [pos, neg].forEach((rows, s) => {
    const mu = means[s];
    for (let k = 0; k < m; k++) {
      const o = rows[k] * d;
      for (let j = 0; j < d; j++) mu[j] += X.data[o + j];
    }
    for (let j = 0; j < d; j++) mu[j] /= m;
    for (let k = 0; k < m; k++) {
      const o = rows[k] * d, t = (s * m + k) * d;
      for (let j = 0; j < d; j++) Z[t + j] = X.data[o + j] - mu[j];
    }
  });
  if (opts.varNormalize) {
    // one std per feature over both normalised sides
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let r = 0; r < 2 * m; r++) s += Z[r * d + j] ** 2;
      scale[j] = Math.sqrt(s / (2 * m - 1)) || 1;
    }
    for (let r = 0; r < 2 * m; r++) for (let j = 0; j < d; j++) Z[r * d + j] /= scale[j];
  }
  const ZM: Matrix = { rows: 2 * m, cols: d, data: Z };
  const epochs = opts.epochs ?? 1000, tries = opts.tries ?? 10;
  const lr = opts.lr ?? 1e-3, wd = opts.weightDecay ?? 0.01;
  const rng = new Rng(opts.seed ?? 0);
  // all restarts train together: weights as a T×d matrix, one GEMM per epoch for the forward and one for the gradient
  const T = tries;
  const thetas: Float64Array[] = [];
  const a = 1 / Math.sqrt(d);
  for (let t = 0; t < T; t++) {
    const theta = new Float64Array(d + 1);
    for (let j = 0; j <= d; j++) theta[j] = (2 * rng.next() - 1) * a;
    thetas.push(theta);
  }
  const opt = thetas.map(() => new AdamW(d + 1, lr, wd));
  const W: Matrix = { rows: T, cols: d, data: new Float32Array(T * d) };
  const zM: Matrix = { rows: 2 * m, cols: T, data: new Float32Array(2 * m * T) };
  const G: Matrix = { rows: 2 * m, cols: T, data: new Float32Array(2 * m * T) };
  const gW: Matrix = { rows: T, cols: d, data: new Float32Array(T * d) };
  const grad = new Float64Array(d + 1);
  const forward = () => {
    for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) W.data[t * d + j] = thetas[t][j];
    gemm(ZM, W, { transB: true, out: zM });
  };
  const losses = new Float64Array(T);
  for (let e = 0; e <= epochs; e++) {
    forward();
    losses.fill(0);
    const gb = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      const b = thetas[t][d];
      for (let k = 0; k < m; k++) {
        const p1 = sigmoid(zM.data[k * T + t] + b), p0 = sigmoid(zM.data[(m + k) * T + t] + b);
        losses[t] += ((p1 - (1 - p0)) ** 2 + Math.min(p0, p1) ** 2) / m;
        const c = (2 * (p1 + p0 - 1)) / m;
        let g1 = c, g0 = c;
        if (p0 < p1) g0 += (2 * p0) / m;
        else g1 += (2 * p1) / m;
        g1 *= p1 * (1 - p1);
        g0 *= p0 * (1 - p0);
        G.data[k * T + t] = g1;
        G.data[(m + k) * T + t] = g0;
        gb[t] += g1 + g0;
      }
    }
    if (e === epochs) break; // the last pass only evaluates the final losses
    gemm(G, ZM, { transA: true, out: gW });
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < d; j++) grad[j] = gW.data[t * d + j];
      grad[d] = gb[t];
      opt[t].step(thetas[t], grad);
    }
    opts.onProgress?.(e + 1, epochs);
  }
  let bestT = 0;
  for (let t = 1; t < T; t++) if (losses[t] < losses[bestT]) bestT = t;
  const bestLoss = losses[bestT];
  const theta = thetas[bestT];
  // fold the normalisation into a raw-space probe: score(x) = w/scale·(x − mean of both side means) + b
  const w = new Float32Array(d);
  let b = theta[d];
  for (let j = 0; j < d; j++) {
    w[j] = theta[j] / scale[j];
    b -= w[j] * 0.5 * (means[0][j] + means[1][j]);
  }
  // sign from the training labels: on the raw rows, the pos (sycophantic) side should score higher in most pairs
  const raw = gemm(X, { rows: d, cols: 1, data: w }).data;
  let agree = 0;
  for (let k = 0; k < m; k++) if (raw[pos[k]] > raw[neg[k]]) agree++;
  const flip = agree < m / 2;
  if (flip) {
    for (let j = 0; j < d; j++) w[j] = -w[j];
    b = -b;
  }
  return makeProbe('ccs', w, b, { loss: bestLoss, tries, epochs, flipped: flip, train_pair_acc: (flip ? m - agree : agree) / m });
}
