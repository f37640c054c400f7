// Logistic-regression probes: the study's recipe (Linear without bias + sigmoid, BCE, full-batch AdamW, the exact
// update of torch.optim.AdamW) and a converged L2-regularised logistic regression with bias (scikit-learn's objective,
// L-BFGS). Each epoch/iteration is two GEMV passes over X on ORT/MLAS.
import type { Matrix } from '../util/matrix';
import { Rng } from '../util/rng';
import { gemm } from '../linalg/gemm';
import { checkXy, makeProbe } from './common';
import type { Probe, ProbeOptions } from './types';

/** PyTorch's default nn.Linear(d, 1) weight init: uniform(−1/√d, 1/√d), from a seeded generator. */
export function linearInit(d: number, seed = 0): Float32Array {
  const r = new Rng(seed);
  const w = new Float32Array(d);
  const a = 1 / Math.sqrt(d);
  for (let j = 0; j < d; j++) w[j] = (2 * r.next() - 1) * a;
  return w;
}

/** Float32 logistic sigmoid as torch computes it. */
function sigmoid32(z: number): number {
  return Math.fround(1 / (1 + Math.exp(-z)));
}

/** One AdamW step exactly as torch.optim.AdamW (decoupled decay, bias-corrected moments), float64 state. */
export class AdamW {
  private m: Float64Array;
  private v: Float64Array;
  private t = 0;

  constructor(n: number, private lr = 1e-3, private wd = 0.01, private b1 = 0.9, private b2 = 0.999, private eps = 1e-8) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
  }

  /** Update params in place from grad. */
  step(params: Float32Array | Float64Array, grad: ArrayLike<number>): void {
    this.t++;
    const { lr, wd, b1, b2, eps, m, v } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = Math.sqrt(1 - b2 ** this.t);
    const stepSize = lr / bc1;
    for (let j = 0; j < params.length; j++) {
      const g = grad[j];
      const p = params[j] * (1 - lr * wd);
      m[j] = b1 * m[j] + (1 - b1) * g;
      v[j] = b2 * v[j] + (1 - b2) * g * g;
      params[j] = p - (stepSize * m[j]) / (Math.sqrt(v[j]) / bc2 + eps);
    }
  }
}

/**
 * The study's probe: nn.Linear(d, 1, bias=False) + sigmoid, BCELoss (mean), AdamW(lr 1e-3, betas (0.9, 0.999),
 * eps 1e-8, weight decay 0.1), `epochs` full-batch steps. Gradients follow torch's BCE backward (log clamped at −100,
 * p(1−p) clamped at 1e-12).
 */
export function trainLrRecipe(X: Matrix, y: ArrayLike<number>, opts: ProbeOptions = {}): Probe {
  checkXy('lr-recipe', X, y);
  const { rows: n, cols: d } = X;
  const epochs = opts.epochs ?? 1000;
  const w = opts.init ? Float32Array.from(opts.init) : linearInit(d, opts.seed ?? 0);
  if (w.length !== d) throw new Error(`probe lr-recipe: init has ${w.length} values, data has ${d} columns`);
  const opt = new AdamW(d, opts.lr ?? 1e-3, opts.weightDecay ?? 0.1);
  const wm: Matrix = { rows: d, cols: 1, data: w };
  const r: Matrix = { rows: 1, cols: n, data: new Float32Array(n) };
  const z: Matrix = { rows: n, cols: 1, data: new Float32Array(n) };
  const g: Matrix = { rows: 1, cols: d, data: new Float32Array(d) };
  let loss = NaN;
  for (let e = 0; e < epochs; e++) {
    gemm(X, wm, { out: z });
    let L = 0;
    for (let i = 0; i < n; i++) {
      const p = sigmoid32(z.data[i]);
      const t = y[i];
      const lp = Math.max(Math.log(p), -100), lq = Math.max(Math.log(1 - p), -100);
      L -= t * lp + (1 - t) * lq;
      const pq = p * (1 - p);
      // dBCE/dp = (p − t)/max(p(1−p), 1e-12)/n ; dp/dz = p(1−p)
      r.data[i] = (((p - t) / Math.max(pq, 1e-12)) * pq) / n;
    }
    loss = L / n;
    gemm(r, X, { out: g });
    opt.step(w, g.data);
    opts.onProgress?.(e + 1, epochs);
  }
  // like torch's last reported loss: the loss of the last forward pass, before the final step
  return makeProbe('lr-recipe', w, 0, { final_loss: loss, epochs });
}

/**
 * L2-regularised logistic regression with an unpenalised bias, scikit-learn's objective
 * ½‖w‖² + C·Σ log(1 + exp(−ỹ(w·x + b))), minimised by L-BFGS (memory 10, Armijo/Wolfe backtracking) until
 * max|∇| ≤ tol (default 1e-4) or the relative decrease is below 64·eps.
 */
export function trainLogistic(X: Matrix, y: ArrayLike<number>, opts: ProbeOptions = {}): Probe {
  checkXy('lr', X, y);
  const { rows: n, cols: d } = X;
  const C = opts.C ?? 1;
  const maxIter = opts.maxIter ?? 1000;
  const tol = opts.tol ?? 1e-4;
  const D = d + 1;
  const w32: Matrix = { rows: d, cols: 1, data: new Float32Array(d) };
  const zM: Matrix = { rows: n, cols: 1, data: new Float32Array(n) };
  const rM: Matrix = { rows: 1, cols: n, data: new Float32Array(n) };
  const gM: Matrix = { rows: 1, cols: d, data: new Float32Array(d) };
  let evals = 0;
  // f and gradient at theta = [w, b] (float64)
  const fg = (theta: Float64Array, grad: Float64Array): number => {
    evals++;
    for (let j = 0; j < d; j++) w32.data[j] = theta[j];
    const b = theta[d];
    gemm(X, w32, { out: zM });
    let f = 0, gb = 0;
    for (let i = 0; i < n; i++) {
      const s = zM.data[i] + b;
      const yt = y[i] ? 1 : -1;
      const m = -yt * s;
      f += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
      // d/ds log(1 + e^{−ỹ s}) = −ỹ σ(−ỹ s)
      const sg = m > 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m));
      const r = -yt * sg * C;
      rM.data[i] = r;
      gb += r;
    }
    gemm(rM, X, { out: gM });
    let reg = 0;
    for (let j = 0; j < d; j++) {
      grad[j] = gM.data[j] + theta[j];
      reg += theta[j] * theta[j];
    }
    grad[d] = gb;
    return C * f + 0.5 * reg;
  };
  // f is summed from float32 GEMV products: relative resolution ~1e-6
  const res = lbfgs(fg, new Float64Array(D), { maxIter, gtol: tol, fnoise: 1e-6, onProgress: opts.onProgress });
  const w = Float32Array.from(res.x.subarray(0, d));
  return makeProbe('lr', w, res.x[d], { objective: res.f, iterations: res.iterations, evaluations: evals, converged: res.converged, C });
}

/**
 * Minimise f by L-BFGS (two-loop recursion, backtracking line search with the Armijo condition). Stops at
 * max|∇f| ≤ gtol, a relative decrease ≤ ftol, or a predicted decrease below fnoise·|f| (f's own resolution).
 */
export function lbfgs(
  fg: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  opts: { maxIter?: number; gtol?: number; ftol?: number; m?: number; fnoise?: number; onProgress?: (done: number, total: number) => void } = {},
): { x: Float64Array; f: number; iterations: number; converged: boolean } {
  const D = x0.length;
  const maxIter = opts.maxIter ?? 1000, gtol = opts.gtol ?? 1e-5, ftol = opts.ftol ?? 64 * 2 ** -52, M = opts.m ?? 10;
  const fnoise = opts.fnoise ?? 0;
  let x = Float64Array.from(x0);
  let g = new Float64Array(D);
  let f = fg(x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const dir = new Float64Array(D), alpha = new Float64Array(M);
  const xn = new Float64Array(D), gn = new Float64Array(D);
  const maxAbs = (v: Float64Array) => { let m = 0; for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i])); return m; };
  for (let it = 0; it < maxIter; it++) {
    if (maxAbs(g) <= gtol) return { x, f, iterations: it, converged: true };
    // two-loop recursion: dir = −H·g
    for (let i = 0; i < D; i++) dir[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < D; i++) a += S[k][i] * dir[i];
      a *= rho[k];
      alpha[k] = a;
      for (let i = 0; i < D; i++) dir[i] -= a * Y[k][i];
    }
    if (S.length) {
      const k = S.length - 1;
      let sy = 0, yy = 0;
      for (let i = 0; i < D; i++) { sy += S[k][i] * Y[k][i]; yy += Y[k][i] * Y[k][i]; }
      const gamma = sy / yy;
      for (let i = 0; i < D; i++) dir[i] *= gamma;
    } else {
      const gn0 = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
      for (let i = 0; i < D; i++) dir[i] /= Math.max(1, gn0);
    }
    for (let k = 0; k < S.length; k++) {
      let b = 0;
      for (let i = 0; i < D; i++) b += Y[k][i] * dir[i];
      b *= rho[k];
      for (let i = 0; i < D; i++) dir[i] += S[k][i] * (alpha[k] - b);
    }
    let gd = 0;
    for (let i = 0; i < D; i++) gd += g[i] * dir[i];
    if (gd >= 0) {
      // not a descent direction: reset memory, use steepest descent
      S.length = 0; Y.length = 0; rho.length = 0;
      for (let i = 0; i < D; i++) dir[i] = -g[i];
      gd = -g.reduce((s, v) => s + v * v, 0);
    }
    let step = 1, fn = NaN, ok = false;
    for (let ls = 0; ls < 50; ls++) {
      for (let i = 0; i < D; i++) xn[i] = x[i] + step * dir[i];
      fn = fg(xn, gn);
      if (Number.isFinite(fn) && fn <= f + 1e-4 * step * gd) { ok = true; break; }
      // the predicted decrease is below the resolution of f (float32 products): converged as far as f can tell
      if (-gd < fnoise * Math.max(Math.abs(f), 1)) return { x, f, iterations: it, converged: true };
      step *= 0.5;
    }
    if (!ok) return { x, f, iterations: it, converged: false };
    const s = new Float64Array(D), yv = new Float64Array(D);
    let sy = 0;
    for (let i = 0; i < D; i++) { s[i] = xn[i] - x[i]; yv[i] = gn[i] - g[i]; sy += s[i] * yv[i]; }
    if (sy > 1e-12) {
      if (S.length === M) { S.shift(); Y.shift(); rho.shift(); }
      S.push(s); Y.push(yv); rho.push(1 / sy);
    }
    const fOld = f;
    x = Float64Array.from(xn);
    g = Float64Array.from(gn);
    f = fn;
    opts.onProgress?.(it + 1, maxIter);
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) return { x, f, iterations: it + 1, converged: true };
  }
  return { x, f, iterations: maxIter, converged: maxAbs(g) <= gtol };
}
