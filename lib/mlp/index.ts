// MLP exploration: the study's per-layer average normalised MLP activation (one global min–max normalisation over
// all layers), and a more informative companion: per-layer difference between the sycophantic and non-sycophantic
// MLP outputs of each pair, with confidence intervals (Student t over pairs; bootstrap over pairs for the norm).
import type { ActivationStore } from '../activations/store';
import type { HookName } from '../model/types';
import type { Matrix } from '../util/matrix';
import { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { gemm } from '../linalg/gemm';
import { percentileSorted, tInterval } from '../linalg/stats';

/** Options shared by the MLP analyses. */
export interface MlpOptions {
  /** Hook to read (default 'mlp'). */
  hook?: HookName;
  /** Layers (default: every captured layer). */
  layers?: number[] | 'all';
  quiet?: boolean;
}

/** One layer of the study's bar chart. */
export interface MlpLayerActivation {
  layer: number;
  /** Mean of all activation values at this layer (pos and neg rows), and per side. */
  mean: number;
  mean_pos: number;
  mean_neg: number;
  /** The same means after global min–max normalisation: (mean − min) / (max − min), min/max over every value of every layer. */
  normalized: number;
  normalized_pos: number;
  normalized_neg: number;
  /** Smallest and largest value at this layer. */
  min: number;
  max: number;
}

function stats(m: Matrix): { sum: number; min: number; max: number } {
  let sum = 0, min = Infinity, max = -Infinity;
  const a = m.data;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { sum, min, max };
}

function layersOf(store: ActivationStore, sel: MlpOptions['layers']): number[] {
  return !sel || sel === 'all' ? store.layers : sel;
}

/** Per-layer average MLP activation with the study's global min–max normalisation over all layers. */
export function mlpAverageActivation(store: ActivationStore, opts: MlpOptions = {}): { layers: MlpLayerActivation[]; min: number; max: number } {
  const hook = opts.hook ?? 'mlp';
  const layers = layersOf(store, opts.layers);
  const prog = new Progress({ label: `mlp average (${hook})`, total: layers.length, quiet: opts.quiet });
  const raw: { layer: number; pos: ReturnType<typeof stats>; neg: ReturnType<typeof stats>; nPos: number; nNeg: number }[] = [];
  for (const layer of layers) {
    const P = store.read(hook, layer, 'pos');
    const N = store.read(hook, layer, 'neg');
    raw.push({ layer, pos: stats(P), neg: stats(N), nPos: P.data.length, nNeg: N.data.length });
    prog.tick();
  }
  prog.finish();
  let gmin = Infinity, gmax = -Infinity;
  for (const r of raw) {
    gmin = Math.min(gmin, r.pos.min, r.neg.min);
    gmax = Math.max(gmax, r.pos.max, r.neg.max);
  }
  const span = gmax - gmin || 1;
  const norm = (v: number) => (v - gmin) / span;
  return {
    min: gmin,
    max: gmax,
    layers: raw.map((r) => {
      const mean = (r.pos.sum + r.neg.sum) / (r.nPos + r.nNeg);
      const mp = r.pos.sum / r.nPos, mn = r.neg.sum / r.nNeg;
      return {
        layer: r.layer, mean, mean_pos: mp, mean_neg: mn,
        normalized: norm(mean), normalized_pos: norm(mp), normalized_neg: norm(mn),
        min: Math.min(r.pos.min, r.neg.min), max: Math.max(r.pos.max, r.neg.max),
      };
    }),
  };
}

/** One layer of the sycophantic-vs-not MLP comparison. */
export interface MlpLayerDifference {
  layer: number;
  pairs: number;
  /** Mean over pairs of mean_j |pos_ij − neg_ij| with a Student-t interval over pairs. */
  mean_abs_diff: { mean: number; lo: number; hi: number; se: number };
  /** ‖mean over pairs of (pos − neg)‖₂ with a percentile bootstrap interval over pairs. */
  mean_diff_norm: { value: number; lo: number; hi: number };
  /** Mean over pairs of the projection of (pos − neg) on the unit mean-difference direction, Student-t interval. */
  projection: { mean: number; lo: number; hi: number; se: number };
  /** Mean over pairs of ‖pos − neg‖₂. */
  mean_pair_distance: number;
}

/** Options of mlpDifference: interval level, bootstrap resamples and seed. */
export interface MlpDifferenceOptions extends MlpOptions {
  /** Confidence level (default 0.95). */
  confidence?: number;
  /** Bootstrap resamples for the norm of the mean difference (default 1000). */
  bootstrap?: number;
  seed?: number;
}

/** Statistics of per-pair differences D (pairs × hidden) = pos − neg: mean |D|, ‖mean D‖ and projections, with intervals. */
export function differenceStats(D: Matrix, layer: number, opts: MlpDifferenceOptions = {}): MlpLayerDifference {
  const { rows: P, cols: d } = D;
  if (P < 2) throw new Error(`mlp difference: layer ${layer} has ${P} pair(s); need at least 2`);
  const conf = opts.confidence ?? 0.95;
  if (!(conf > 0 && conf < 1)) throw new Error(`mlp difference: confidence must be in (0, 1), got ${conf}`);
  const B = opts.bootstrap ?? 1000;
  const absMeans = new Float64Array(P), dist = new Float64Array(P);
  const mean = new Float64Array(d);
  for (let i = 0; i < P; i++) {
    let a = 0, q = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const v = D.data[o + j];
      a += Math.abs(v);
      q += v * v;
      mean[j] += v;
    }
    absMeans[i] = a / d;
    dist[i] = Math.sqrt(q);
  }
  let nm = 0;
  for (let j = 0; j < d; j++) { mean[j] /= P; nm += mean[j] ** 2; }
  nm = Math.sqrt(nm);
  // projections on the unit mean-difference direction
  const u = new Float32Array(d);
  for (let j = 0; j < d; j++) u[j] = nm > 0 ? mean[j] / nm : 0;
  const proj = gemm(D, { rows: d, cols: 1, data: u }).data;
  // bootstrap of ‖mean D‖: resample pairs with replacement; means for all resamples in one GEMM (weights B×P)
  const rng = new Rng(opts.seed ?? 0);
  const chunk = Math.max(1, Math.min(B, Math.floor(2 ** 24 / P)));
  const norms: number[] = [];
  for (let b0 = 0; b0 < B; b0 += chunk) {
    const nb = Math.min(chunk, B - b0);
    const W = new Float32Array(nb * P);
    for (let b = 0; b < nb; b++) for (let k = 0; k < P; k++) W[b * P + rng.int(P)] += 1 / P;
    const M = gemm({ rows: nb, cols: P, data: W }, D);
    for (let b = 0; b < nb; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += M.data[b * d + j] ** 2;
      norms.push(Math.sqrt(s));
    }
  }
  norms.sort((a, b) => a - b);
  const alpha = (1 - conf) / 2;
  const t1 = tInterval(absMeans, conf);
  const t2 = tInterval(proj, conf);
  let md = 0;
  for (let i = 0; i < P; i++) md += dist[i];
  return {
    layer,
    pairs: P,
    mean_abs_diff: { mean: t1.mean, lo: t1.lo, hi: t1.hi, se: t1.se },
    mean_diff_norm: { value: nm, lo: B ? percentileSorted(norms, 100 * alpha) : NaN, hi: B ? percentileSorted(norms, 100 * (1 - alpha)) : NaN },
    projection: { mean: t2.mean, lo: t2.lo, hi: t2.hi, se: t2.se },
    mean_pair_distance: md / P,
  };
}

/** Per-layer difference between sycophantic and non-sycophantic MLP outputs, with confidence intervals. */
export function mlpDifference(store: ActivationStore, opts: MlpDifferenceOptions = {}): MlpLayerDifference[] {
  const hook = opts.hook ?? 'mlp';
  const layers = layersOf(store, opts.layers);
  const prog = new Progress({ label: `mlp difference (${hook})`, total: layers.length, quiet: opts.quiet });
  const out: MlpLayerDifference[] = [];
  for (const layer of layers) {
    out.push(differenceStats(store.diff(hook, layer), layer, { ...opts, seed: (opts.seed ?? 0) + layer }));
    prog.tick();
  }
  prog.finish();
  return out;
}
