// Exact TypeScript port of ../shared/bench/python_baseline.py's synthetic data recipe (counter-based triple32 hash,
// seed 1234, Box–Muller, counter blocks, classes at ±0.5 std along a planted unit direction). Values agree with numpy
// bit for bit up to the last ulp of log/cos before the float32 rounding.
import type { Matrix } from '../lib/util/matrix';

/** The recipe's seed. */
export const SEED = 1234;
/** Class shift along the planted direction, in noise standard deviations. */
export const SHIFT = 0.5;

/** The triple32 integer hash (uint32 in, uint32 out). */
export function triple32(x: number): number {
  x >>>= 0;
  x ^= x >>> 17;
  x = Math.imul(x, 0xed5ad4bb);
  x ^= x >>> 11;
  x = Math.imul(x, 0xac4c1b51);
  x ^= x >>> 15;
  x = Math.imul(x, 0x31848bab);
  x ^= x >>> 14;
  return x >>> 0;
}

/** triple32(SEED): mixed into every counter. */
export const SEEDMIX = triple32(SEED);

/** Uniform in (0, 1) from counter c: (hash(c) + 0.5) / 2^32. */
export function unif(c: number): number {
  return (triple32((c >>> 0) ^ SEEDMIX) + 0.5) * 2 ** -32;
}

/** Fill out[k] = gauss(base, k) for k = 0..out.length-1 (float64 Box–Muller over counters base+2k, base+2k+1). */
export function gaussInto(base: number, out: Float64Array): Float64Array {
  const twoPi = 2 * Math.PI;
  for (let k = 0; k < out.length; k++) {
    const c = base + 2 * k;
    const u1 = unif(c);
    const u2 = unif(c + 1);
    out[k] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(twoPi * u2);
  }
  return out;
}

/** Counter base of each planted direction, by dimension. */
export const DIR_BASE: Record<number, number> = { 4096: 6 * 2 ** 28, 2048: 6 * 2 ** 28 + 2 ** 20, 768: 6 * 2 ** 28 + 2 ** 21 };

/** The planted unit direction u = g / ||g|| for dimension d (float64). */
export function direction(d: number): Float64Array {
  const base = DIR_BASE[d];
  if (base === undefined) throw new Error(`direction: no planted direction for d=${d} (have ${Object.keys(DIR_BASE).join(', ')})`);
  const g = gaussInto(base, new Float64Array(d));
  let s = 0;
  for (let j = 0; j < d; j++) s += g[j] * g[j];
  const norm = Math.sqrt(s);
  for (let j = 0; j < d; j++) g[j] /= norm;
  return g;
}

/** The n×d matrix of counter block `block`: rows [0, n/2) label 1 (+SHIFT·u), rows [n/2, n) label 0 (−SHIFT·u). */
export function makeMatrix(block: number, n: number, d: number): { X: Matrix; y: Uint8Array } {
  const u = direction(d);
  const data = new Float32Array(n * d);
  const y = new Uint8Array(n);
  const half = Math.floor(n / 2);
  const base = block * 2 ** 28;
  const z = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const sign = r < half ? 1 : -1;
    if (r < half) y[r] = 1;
    gaussInto(base + 2 * r * d, z);
    const s = sign * SHIFT;
    const o = r * d;
    for (let j = 0; j < d; j++) data[o + j] = z[j] + s * u[j];
  }
  return { X: { rows: n, cols: d, data }, y };
}

/** Initial weights of the torch probe (block 7): w_k = (2·unif(7<<28 + k) − 1)/sqrt(d), rounded to float32. */
export function probeInit(d: number): Float32Array {
  const base = 7 * 2 ** 28;
  const w = new Float32Array(d);
  const s = Math.sqrt(d);
  for (let k = 0; k < d; k++) w[k] = (2 * unif(base + k) - 1) / s;
  return w;
}

/** One benchmark data set. */
export interface SynthSet {
  name: string;
  X: Matrix;
  y: Uint8Array;
}

/** The benchmark's data sets: 6000×4096 train (block 0), 2000×4096 test (block 1), 2000×768 (block 3); `smoke` uses the baseline's --smoke row counts (600, 200, 200). */
export function datasets(opts: { smoke?: boolean } = {}): { train4096: SynthSet; test4096: SynthSet; x768: SynthSet } {
  const [n, nt, n7] = opts.smoke ? [600, 200, 200] : [6000, 2000, 2000];
  const a = makeMatrix(0, n, 4096);
  const b = makeMatrix(1, nt, 4096);
  const c = makeMatrix(3, n7, 768);
  return {
    train4096: { name: `${n}x4096`, ...a },
    test4096: { name: `${nt}x4096 (test)`, ...b },
    x768: { name: `${n7}x768`, ...c },
  };
}

/** float64 sum, sum of squares and first values of a matrix (the baseline's checksum). */
export function checksum(X: Matrix): { sum: number; sumsq: number; first3: number[]; last3: number[] } {
  let s = 0, q = 0;
  const a = X.data;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
    q += a[i] * a[i];
  }
  return { sum: s, sumsq: q, first3: Array.from(a.subarray(0, 3)), last3: Array.from(a.subarray(a.length - 3)) };
}
