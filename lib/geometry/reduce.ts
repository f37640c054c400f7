import type { Matrix } from '../util/matrix';
import { pca } from './pca';

/** The input of a neighbour-based embedding after an optional PCA pre-reduction, plus PCA initial coordinates. */
export interface ReducedInput {
  /** The matrix the neighbours are computed in (PCA scores, or the input itself). */
  X: Matrix;
  /** First `initDims` principal-component scores (n×initDims, float64), or null when not requested. */
  init: Float64Array | null;
  /** Dimensions after reduction, or null when the input was used as is. */
  reducedTo: number | null;
}

/**
 * Reduce X with PCA to `pcaDims` columns when it has more (one randomised PCA, seeded), and return the first
 * `initDims` component scores as an initial layout (from the same decomposition when reduced).
 */
export function reduceForEmbedding(X: Matrix, pcaDims: number | null, initDims: number, seed: number): ReducedInput {
  const n = X.rows;
  if (pcaDims !== null && (!Number.isInteger(pcaDims) || pcaDims < 1)) {
    throw new Error(`reduceForEmbedding: pcaDims must be a positive integer, got ${pcaDims}`);
  }
  const reduce = pcaDims !== null && X.cols > pcaDims && n > pcaDims;
  if (reduce) {
    const p = pca(X, pcaDims, { seed });
    const Z = p.transform(X);
    let init: Float64Array | null = null;
    if (initDims > 0) {
      init = new Float64Array(n * initDims);
      for (let i = 0; i < n; i++) for (let a = 0; a < initDims; a++) init[i * initDims + a] = Z.data[i * Z.cols + a];
    }
    return { X: Z, init, reducedTo: Z.cols };
  }
  let init: Float64Array | null = null;
  if (initDims > 0) {
    const p = pca(X, Math.min(initDims, X.cols), { seed });
    const Z = p.transform(X);
    init = new Float64Array(n * initDims);
    for (let i = 0; i < n; i++) for (let a = 0; a < Z.cols; a++) init[i * initDims + a] = Z.data[i * Z.cols + a];
  }
  return { X, init, reducedTo: null };
}
