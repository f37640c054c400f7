import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy, readNpy, readNpyMatrix, writeNpyMatrix, npyHeader } from '../../lib/util/npy';
import { sharedAsset } from '../helpers';
import { NPY_FIXTURES, numpyHeader, numpyWouldWrite } from '../npy-reference';

test('npy header is 64-byte aligned and round-trips', () => {
  for (const shape of [[3], [2, 5], [7, 1, 4], [0, 64]]) {
    const h = npyHeader('<f4', shape);
    assert.equal(h.length % 64, 0);
    const count = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: count }, (_, i) => i * 0.5 - 1);
    const back = parseNpy(encodeNpy(data, shape));
    assert.deepEqual(back.shape, shape);
    assert.deepEqual(Array.from(back.data as Float32Array), Array.from(data));
  }
});

test('our npy headers are byte for byte the ones numpy.save writes (float32 and float64, 1-3 dims, empty)', () => {
  for (const dtype of ['<f4', '<f8'] as const) {
    for (const shape of [[3], [2, 3], [2, 5], [7, 5], [7, 1, 4], [0, 64], [40, 64], [1, 64]]) {
      assert.ok(Buffer.from(npyHeader(dtype, shape)).equals(numpyHeader(dtype, shape)), `${dtype} ${shape.join('×')}`);
    }
  }
});

test('npy reads files numpy wrote and writes the same bytes numpy does', () => {
  const m = readNpyMatrix(join(NPY_FIXTURES, 'm23.npy'));
  assert.deepEqual([m.rows, m.cols, Array.from(m.data)], [2, 3, [1, 2, 3, 4, 5, 6.5]]);
  const f8 = readNpy(join(NPY_FIXTURES, 'f8.npy'));
  assert.equal(f8.dtype, '<f8');
  assert.deepEqual(f8.shape, [2, 3]);
  assert.deepEqual(Array.from(f8.data as Float64Array), [0, 0.25, 0.5, 0.75, 1, 1.25]);
  const out = join(mkdtempSync(join(tmpdir(), 'npy-')), 'm.npy');
  writeNpyMatrix(out, { rows: 2, cols: 3, data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) });
  assert.ok(readFileSync(out).equals(readFileSync(join(NPY_FIXTURES, 'm23.npy'))), 'writeNpyMatrix = numpy.save, byte for byte');
  assert.equal(numpyWouldWrite(out, '<f4', [2, 3]), null);
});

test('npy reads the golden PyTorch steering vector', (t) => {
  const p = sharedAsset(t, 'models/stories260K-golden/npy/steer_vector.v.npy');
  if (!p) return;
  const v = readNpyMatrix(p);
  assert.equal(v.cols, 64);
  const json = JSON.parse(readFileSync(join(p, '..', '..', 'steer_vector.json'), 'utf8'));
  assert.deepEqual(Array.from(v.data), json.v.data.map((x: number) => Math.fround(x)));
});
