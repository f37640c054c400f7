// NumPy's own .npy bytes (test/fixtures/npy, written by scripts/fixtures/npy_fixtures.py) for checking that files we
// write are exactly what numpy.save writes, and so load in numpy, without starting Python.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Folder of the numpy-written fixtures. */
export const NPY_FIXTURES = resolve('test', 'fixtures', 'npy');

const headers = JSON.parse(readFileSync(join(NPY_FIXTURES, 'headers.json'), 'utf8')) as { headers: Record<string, Record<string, string>> };

/** The header bytes numpy.save writes for a dtype and shape (only the shapes npy_fixtures.py lists). */
export function numpyHeader(dtype: '<f4' | '<f8', shape: number[]): Buffer {
  const h = headers.headers[dtype]?.[shape.join(',')];
  if (!h) throw new Error(`no numpy header fixture for ${dtype} ${shape.join('×')}: add the shape to scripts/fixtures/npy_fixtures.py`);
  return Buffer.from(h, 'base64');
}

/** Assert-style check: the file starts with numpy's header for (dtype, shape) and holds exactly that many values. */
export function numpyWouldWrite(file: string, dtype: '<f4' | '<f8', shape: number[]): string | null {
  const buf = readFileSync(file);
  const head = numpyHeader(dtype, shape);
  if (!buf.subarray(0, head.length).equals(head)) return `${file}: header differs from numpy's for ${dtype} ${shape.join('×')}`;
  const n = shape.reduce((a, b) => a * b, 1) * (dtype === '<f4' ? 4 : 8);
  if (buf.length !== head.length + n) return `${file}: ${buf.length - head.length} data bytes, numpy writes ${n}`;
  return null;
}
