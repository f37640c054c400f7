// Small statistics helpers: Student-t quantiles (via the regularised incomplete beta function) and confidence intervals.

export { lnGamma as logGamma, incompleteBeta } from '../linalg/special';
import { incompleteBeta } from '../linalg/special';

/** CDF of Student's t distribution with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t distribution (bisection on the CDF to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: df must be positive, got ${df}`);
  if (p === 0.5) return 0;
  let lo = -1, hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo)); i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Mean with a two-sided Student-t confidence interval (and the standard error). */
export function tInterval(values: ArrayLike<number>, confidence = 0.95): { mean: number; lo: number; hi: number; se: number; n: number } {
  const n = values.length;
  if (n < 2) throw new Error(`tInterval: need at least 2 values, got ${n}`);
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let q = 0;
  for (let i = 0; i < n; i++) q += (values[i] - mean) ** 2;
  const se = Math.sqrt(q / (n - 1) / n);
  const t = studentTQuantile(0.5 + confidence / 2, n - 1);
  return { mean, lo: mean - t * se, hi: mean + t * se, se, n };
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
