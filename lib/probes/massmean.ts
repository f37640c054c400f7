// Mass-mean probes: direction = mean(pos) − mean(neg), threshold at the midpoint of the class means; the "iid"
// variant multiplies the direction by the pseudo-inverse of the class-centred covariance (atol 1e-3).
import type { Matrix } from '../util/matrix';
import { gemm } from '../linalg/gemm';
import { eighSym, pinvApplyLanczos } from '../linalg/eigen';
import { checkXy, classMeans, makeProbe } from './common';
import type { Probe, ProbeOptions } from './types';

/** Bias putting the threshold of direction w at the midpoint of the two class means. */
function midpointBias(w: ArrayLike<number>, pos: Float64Array, neg: Float64Array): number {
  let s = 0;
  for (let j = 0; j < w.length; j++) s += w[j] * 0.5 * (pos[j] + neg[j]);
  return -s;
}

/** Mass-mean probe: w = mean(pos) − mean(neg), bias = −w·(mean(pos) + mean(neg))/2. */
export function trainMassMean(X: Matrix, y: ArrayLike<number>): Probe {
  checkXy('mm', X, y);
  const { pos, neg } = classMeans(X, y);
  const w = new Float32Array(X.cols);
  for (let j = 0; j < X.cols; j++) w[j] = pos[j] - neg[j];
  return makeProbe('mm', w, midpointBias(w, pos, neg));
}

/** Rows minus their class mean (float32 copy). */
export function classCentred(X: Matrix, y: ArrayLike<number>, pos: Float64Array, neg: Float64Array): Matrix {
  const { rows: n, cols: d } = X;
  const p32 = Float32Array.from(pos), n32 = Float32Array.from(neg);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const mu = y[i] === 1 ? p32 : n32;
    const o = i * d;
    for (let j = 0; j < d; j++) out[o + j] = X.data[o + j] - mu[j];
  }
  return { rows: n, cols: d, data: out };
}

/** Options of massMeanIidDirection: cut-off and which solver to use. */
export interface MassMeanIidOptions {
  /** Eigenvalues of Σ with |λ| ≤ atol are treated as zero (default 1e-3). */
  atol?: number;
  /** 'auto' (default): dense eigen-decomposition when min(n, d) ≤ denseLimit, else Lanczos. */
  solver?: 'auto' | 'dense' | 'lanczos';
  denseLimit?: number;
}

/**
 * w = pinv(Σ, atol)·(mean(pos) − mean(neg)) with Σ = XcᵀXc/(n − 1), Xc = rows minus their class mean.
 * Dense path: eigen-decomposition of the smaller of Σ (d×d) and the Gram XcXcᵀ (n×n, same nonzero spectrum ×(n−1));
 * large path: Lanczos on v ↦ Xcᵀ(Xc·v)/(n−1) started at the mean difference (two GEMVs per step).
 */
export function massMeanIidDirection(X: Matrix, y: ArrayLike<number>, opts: MassMeanIidOptions = {}): { w: Float64Array; pos: Float64Array; neg: Float64Array; solver: string; iterations: number } {
  const { rows: n, cols: d } = X;
  const atol = opts.atol ?? 1e-3;
  const { pos, neg } = classMeans(X, y);
  const delta = new Float64Array(d);
  for (let j = 0; j < d; j++) delta[j] = pos[j] - neg[j];
  const Xc = classCentred(X, y, pos, neg);
  const m = Math.min(n, d);
  const solver = opts.solver ?? 'auto';
  const dense = solver === 'dense' || (solver === 'auto' && m <= (opts.denseLimit ?? 1024));
  const w = new Float64Array(d);
  if (dense && d <= n) {
    const S = gemm(Xc, Xc, { transA: true, alpha: 1 / (n - 1) });
    const A = Float64Array.from(S.data);
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) A[i * d + j] = A[j * d + i] = 0.5 * (A[i * d + j] + A[j * d + i]);
    const e = eighSym(A, d);
    for (let k = 0; k < d; k++) {
      const lam = e.values[k];
      if (!(Math.abs(lam) > atol)) continue;
      const v = e.vectors.subarray(k * d, k * d + d);
      let c = 0;
      for (let j = 0; j < d; j++) c += v[j] * delta[j];
      c /= lam;
      for (let j = 0; j < d; j++) w[j] += c * v[j];
    }
    return { w, pos, neg, solver: 'dense-covariance', iterations: 0 };
  }
  if (dense) {
    // Σ = V diag(s²/(n−1)) Vᵀ with Xc = U S Vᵀ; the Gram G = XcXcᵀ = U S² Uᵀ gives v_k = Xcᵀu_k / s_k
    const G = gemm(Xc, Xc, { transB: true });
    const A = Float64Array.from(G.data);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[i * n + j] = A[j * n + i] = 0.5 * (A[i * n + j] + A[j * n + i]);
    const e = eighSym(A, n);
    const U = new Float32Array(n * n);
    U.set(Float32Array.from(e.vectors));
    const V = gemm({ rows: n, cols: n, data: U }, Xc); // row k = Xcᵀ u_k = s_k v_k
    for (let k = 0; k < n; k++) {
      const s2 = e.values[k];
      const lam = s2 / (n - 1);
      if (!(Math.abs(lam) > atol) || s2 <= 0) continue;
      const row = V.data.subarray(k * d, k * d + d);
      let c = 0;
      for (let j = 0; j < d; j++) c += row[j] * delta[j];
      c /= s2 * lam; // (s v)(s v)ᵀδ / (s² λ)
      for (let j = 0; j < d; j++) w[j] += c * row[j];
    }
    return { w, pos, neg, solver: 'dense-gram', iterations: 0 };
  }
  const x32: Matrix = { rows: d, cols: 1, data: new Float32Array(d) };
  const t: Matrix = { rows: 1, cols: n, data: new Float32Array(n) };
  const r: Matrix = { rows: 1, cols: d, data: new Float32Array(d) };
  const tcol: Matrix = { rows: n, cols: 1, data: t.data };
  const op = (v: Float64Array, out: Float64Array) => {
    x32.data.set(v);
    gemm(Xc, x32, { out: tcol });
    gemm(t, Xc, { out: r, alpha: 1 / (n - 1) });
    for (let j = 0; j < d; j++) out[j] = r.data[j];
  };
  const res = pinvApplyLanczos(op, delta, { atol, tol: 1e-7, maxIter: Math.min(d, 1000) });
  if (!res.converged) throw new Error(`mass-mean-iid: Lanczos pseudo-inverse did not converge in ${res.iterations} steps (${n}×${d}); use solver 'dense'`);
  w.set(res.x);
  return { w, pos, neg, solver: 'lanczos', iterations: res.iterations };
}

/** Mass-mean-iid probe: w = pinv(Σ, atol)·(mean(pos) − mean(neg)), threshold at the midpoint of the class means. */
export function trainMassMeanIid(X: Matrix, y: ArrayLike<number>, opts: ProbeOptions & MassMeanIidOptions = {}): Probe {
  checkXy('mm-iid', X, y);
  const { w, pos, neg, solver, iterations } = massMeanIidDirection(X, y, opts);
  const w32 = Float32Array.from(w);
  return makeProbe('mm-iid', w32, midpointBias(w32, pos, neg), { solver, iterations, atol: opts.atol ?? 1e-3 });
}
