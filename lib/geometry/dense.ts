import { lanczosTop } from '../linalg/eigen';
import { choleskyInPlace, choleskySolveInPlace } from '../linalg/cholesky';
import { Rng } from '../util/rng';

/**
 * The k smallest eigenpairs of a dense symmetric positive-semidefinite matrix M, orthogonal to given orthonormal
 * vectors (known null vectors), by shift-and-invert Lanczos: (M + σI) is factored once (Cholesky, σ a tiny
 * multiple of the mean diagonal, raised if the factorisation fails) and Lanczos finds the largest eigenvalues of
 * (M + σI)⁻¹ on the complement. M is overwritten.
 */
export function smallestEigsShiftInvert(
  M: Float64Array, n: number, k: number,
  opts: { constraints?: Float64Array[]; seed?: number; tol?: number; maxIter?: number } = {},
): { values: Float64Array; vectors: Float64Array[]; iterations: number; sigma: number } {
  const cons = opts.constraints ?? [];
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += M[i * n + i];
  meanDiag = Math.max(meanDiag / n, 1e-300);
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) diag[i] = M[i * n + i];
  // keep the lower triangle of M in its upper part so that a failed factorisation can restart
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) M[j * n + i] = M[i * n + j];
  let sigma = 1e-12 * meanDiag;
  for (let attempt = 0; ; attempt++) {
    for (let i = 0; i < n; i++) {
      M[i * n + i] = diag[i] + sigma;
      for (let j = 0; j < i; j++) M[i * n + j] = M[j * n + i];
    }
    try {
      choleskyInPlace(M, n);
      break;
    } catch (err) {
      if (attempt >= 6) throw err;
      sigma *= 100;
    }
  }
  const project = (v: Float64Array): void => {
    for (const c of cons) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[i] * c[i];
      for (let i = 0; i < n; i++) v[i] -= d * c[i];
    }
  };
  const op = (v: Float64Array, out: Float64Array): void => {
    out.set(v);
    project(out);
    choleskySolveInPlace(M, n, out);
    project(out);
  };
  const rng = new Rng(opts.seed ?? 0);
  const start = new Float64Array(n);
  for (let i = 0; i < n; i++) start[i] = rng.normal();
  project(start);
  const r = lanczosTop(op, n, k, start, { tol: opts.tol ?? 1e-10, maxIter: opts.maxIter ?? 300 });
  const values = new Float64Array(k);
  for (let t = 0; t < k; t++) values[t] = 1 / r.values[t] - sigma;
  return { values, vectors: r.vectors, iterations: r.iterations, sigma };
}
