// Student-t statistics (one home; the MLP differences and the judge scores use it): the t distribution's CDF and
// quantile, a mean with its two-sided t interval, and percentiles of sorted values.
import { betaCdf } from './special';

/** Mean, spread and a confidence interval for a list of scores. */
export interface MeanCI {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n - 1 denominator); null when n < 2. */
  sd: number | null;
  /** Half-width of the two-sided interval (Student t); null when n < 2. */
  halfWidth: number | null;
  low: number | null;
  high: number | null;
  level: number;
}

/** Cumulative distribution function of Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * betaCdf(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (inverse CDF) for p in (0, 1), by bracketing and bisection to full double precision. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: df must be > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Mean with a two-sided Student-t confidence interval (default 95%) of a list of numbers. */
export function meanCI(values: ArrayLike<number>, level = 0.95): MeanCI {
  const n = values.length;
  if (n === 0) return { n, mean: null, sd: null, halfWidth: null, low: null, high: null, level };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  if (n < 2) return { n, mean, sd: null, halfWidth: null, low: null, high: null, level };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) * (values[i] - mean);
  const sd = Math.sqrt(ss / (n - 1));
  const halfWidth = studentTQuantile(1 - (1 - level) / 2, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, halfWidth, low: mean - halfWidth, high: mean + halfWidth, level };
}

/** meanCI in the {mean, lo, hi, se} shape the MLP stage saves (se = sd/√n); throws below 2 values. */
export function tInterval(values: ArrayLike<number>, confidence = 0.95): { mean: number; lo: number; hi: number; se: number; n: number } {
  const n = values.length;
  if (n < 2) throw new Error(`tInterval: need at least 2 values, got ${n}`);
  const ci = meanCI(values, confidence);
  return { mean: ci.mean!, lo: ci.low!, hi: ci.high!, se: ci.sd! / Math.sqrt(n), n };
}

/** Percentile (linear interpolation between order statistics, as numpy's default) of sorted values. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const pos = (q / 100) * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < n ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[n - 1];
}
