// Softmax of a row of logits in float64 (one home; generation's sampler, candidate probabilities and A/B scoring).

function rowMax(row: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  return max;
}

/** The full softmax of a row (float64, stable: shifted by the row's maximum). */
export function softmax(row: ArrayLike<number>): Float64Array {
  const max = rowMax(row);
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    out[i] = Math.exp(row[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < row.length; i++) out[i] /= sum;
  return out;
}

/** The full-softmax probabilities of a few entries of a row, without building the whole distribution (same values as softmax). */
export function softmaxAt(row: ArrayLike<number>, indices: readonly number[]): number[] {
  const max = rowMax(row);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return indices.map((i) => Math.exp(row[i] - max) / sum);
}
