// Uncertainty of an accuracy: the exact (Clopper–Pearson) binomial interval, from the quantiles of the beta
// distribution (lib/linalg/special).
import { betaQuantile } from '../linalg/special';

/** An interval [lo, hi] of a proportion. */
export interface Interval {
  lo: number;
  hi: number;
}

/**
 * The exact (Clopper–Pearson) interval of a binomial proportion with k successes in n trials, at `level` (default
 * 0.95): the proportions p for which k is not in either tail of Binomial(n, p) at (1 − level)/2.
 */
export function clopperPearson(k: number, n: number, level = 0.95): Interval {
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`clopperPearson: n must be a positive integer, got ${n}`);
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) throw new Error(`clopperPearson: k must be an integer in [0, ${n}], got ${k}`);
  if (!(level > 0 && level < 1)) throw new Error(`clopperPearson: level must be in (0, 1), got ${level}`);
  const alpha = 1 - level;
  return {
    lo: k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1),
    hi: k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k),
  };
}

/** The exact 95% interval of an accuracy measured as `acc` over `n` trials (k = round(acc·n)); null when n is 0 or acc is null. */
export function accuracyInterval(acc: number | null, n: number, level = 0.95): Interval | null {
  if (acc === null || !Number.isFinite(acc) || n <= 0) return null;
  return clopperPearson(Math.round(acc * n), n, level);
}
