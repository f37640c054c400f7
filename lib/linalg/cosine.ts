// Cosine similarity matrices (one home): between the rows of one set of vectors (probe directions, steering vectors,
// mean differences across layers) or between two sets.
import { cosine, type Matrix } from '../util/matrix';

function rowsOf(v: Matrix | readonly ArrayLike<number>[]): ArrayLike<number>[] {
  if (!Array.isArray(v)) {
    const m = v as Matrix;
    return Array.from({ length: m.rows }, (_, i) => m.data.subarray(i * m.cols, (i + 1) * m.cols));
  }
  return [...(v as readonly ArrayLike<number>[])];
}

function isZero(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

/**
 * Cosine similarity of every vector of `a` with every vector of `b` (float64 accumulation; 0 where either is zero).
 * Without `b`: the symmetric matrix of a's vectors, its diagonal exactly 1 (0 for a zero vector). Vectors are rows of a
 * Matrix or a list; all must have one length.
 */
export function cosineMatrix(a: Matrix | readonly ArrayLike<number>[], b?: Matrix | readonly ArrayLike<number>[]): number[][] {
  const A = rowsOf(a);
  const B = b === undefined ? A : rowsOf(b);
  const len = A[0]?.length ?? B[0]?.length ?? 0;
  for (const [name, rows] of [['', A], ['second set: ', B]] as const) {
    rows.forEach((r, i) => {
      if (r.length !== len) throw new Error(`cosineMatrix: ${name}vector ${i} has ${r.length} values, expected ${len}`);
    });
  }
  if (b !== undefined) return A.map((u) => B.map((v) => cosine(u, v)));
  const out = A.map(() => new Array<number>(A.length).fill(0));
  for (let i = 0; i < A.length; i++) {
    out[i][i] = isZero(A[i]) ? 0 : 1;
    for (let j = i + 1; j < A.length; j++) out[i][j] = out[j][i] = cosine(A[i], A[j]);
  }
  return out;
}
