/** A dense row-major float32 matrix: the one numeric container of the toolkit. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** Create a rows×cols matrix of zeros. */
export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float32Array(rows * cols) };
}

/** Wrap existing data as a matrix, checking that the length matches rows×cols. */
export function matrix(rows: number, cols: number, data: Float32Array): Matrix {
  if (data.length !== rows * cols) {
    throw new Error(`matrix: data has ${data.length} values, expected ${rows}×${cols} = ${rows * cols}`);
  }
  return { rows, cols, data };
}

/** Build a matrix from an array of equal-length rows. */
export function fromRows(rowsIn: ArrayLike<number>[]): Matrix {
  const rows = rowsIn.length;
  const cols = rows ? rowsIn[0].length : 0;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    if (rowsIn[i].length !== cols) throw new Error(`fromRows: row ${i} has ${rowsIn[i].length} values, expected ${cols}`);
    out.set(rowsIn[i], i * cols);
  }
  return { rows, cols, data: out };
}

/** A view (no copy) of row i. */
export function row(m: Matrix, i: number): Float32Array {
  if (i < 0 || i >= m.rows) throw new Error(`row: index ${i} out of range [0, ${m.rows})`);
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** Copy selected rows into a new matrix. */
export function selectRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float32Array(idx.length * m.cols);
  for (let k = 0; k < idx.length; k++) out.set(row(m, idx[k]), k * m.cols);
  return { rows: idx.length, cols: m.cols, data: out };
}

/** Stack matrices with equal column counts vertically. */
export function vstack(ms: Matrix[]): Matrix {
  if (!ms.length) throw new Error('vstack: no matrices');
  const cols = ms[0].cols;
  let rows = 0;
  for (const [k, m] of ms.entries()) {
    if (m.cols !== cols) throw new Error(`vstack: matrix ${k} has ${m.cols} columns, expected ${cols}`);
    rows += m.rows;
  }
  const out = new Float32Array(rows * cols);
  let off = 0;
  for (const m of ms) {
    out.set(m.data, off);
    off += m.data.length;
  }
  return { rows, cols, data: out };
}

/** Element-wise a − b for equal shapes. */
export function subtract(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new Error(`subtract: shape ${a.rows}×${a.cols} vs ${b.rows}×${b.cols}`);
  }
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] - b.data[i];
  return { rows: a.rows, cols: a.cols, data: out };
}

/** Column means in float64 accumulation. */
export function colMeans(m: Matrix): Float64Array {
  const acc = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols;
    for (let j = 0; j < m.cols; j++) acc[j] += m.data[o + j];
  }
  if (m.rows) for (let j = 0; j < m.cols; j++) acc[j] /= m.rows;
  return acc;
}

/** Largest absolute element-wise difference between two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > m || Number.isNaN(d)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Euclidean norm of a vector (float64 accumulation). */
export function l2norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Cosine similarity of two equal-length vectors (0 when either is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths ${a.length} vs ${b.length}`);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/**
 * Throw one error naming the first NaN/±Infinity of a row-major block: `<where>: row r, column c is NaN`.
 * `rowOffset` shifts the reported row (a block read from the middle of a file); `rowName` adds a label per row.
 */
export function assertFinite(where: string, data: ArrayLike<number>, cols: number, rowOffset = 0, rowName?: (row: number) => string): void {
  for (let t = 0; t < data.length; t++) {
    const v = data[t];
    if (v - v === 0) continue; // false exactly for NaN and ±Infinity
    const r = rowOffset + Math.floor(t / Math.max(cols, 1));
    const label = rowName ? ` (${rowName(r)})` : '';
    throw new Error(`${where}: row ${r}${label}, column ${t % Math.max(cols, 1)} is ${v} (non-finite values make every statistic meaningless)`);
  }
}

/** Throw one error naming the first NaN/±Infinity of a vector: `<where>: value i is NaN`. */
export function assertFiniteVector(where: string, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (v[i] - v[i] !== 0) throw new Error(`${where}: value ${i} is ${v[i]} (a vector with non-finite values cannot steer)`);
  }
}
