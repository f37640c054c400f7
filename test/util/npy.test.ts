import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { encodeNpy, parseNpy, readNpyMatrix, writeNpyMatrix, npyHeader } from '../../lib/util/npy';
import { sharedAsset } from '../helpers';

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

test('npy reads the golden PyTorch file and writes a matrix numpy accepts', (t) => {
  const p = sharedAsset(t, 'models/stories260K-golden/npy/steer_vector.v.npy');
  if (!p) return;
  const v = readNpyMatrix(p);
  assert.equal(v.cols, 64);
  const json = JSON.parse(readFileSync(join(p, '..', '..', 'steer_vector.json'), 'utf8'));
  assert.deepEqual(Array.from(v.data), json.v.data.map((x: number) => Math.fround(x)));
  const dir = mkdtempSync(join(tmpdir(), 'npy-'));
  const out = join(dir, 'm.npy');
  writeNpyMatrix(out, { rows: 2, cols: 3, data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) });
  let py: string;
  try {
    py = execFileSync('python3', ['-c', `import numpy as np; a=np.load(${JSON.stringify(out)}); print(a.dtype.str, a.shape, a.flags['C_CONTIGUOUS'], float(a.sum()))`], { encoding: 'utf8' });
  } catch (err) {
    if (process.env.CI) throw err;
    t.skip('numpy not available');
    return;
  }
  assert.equal(py.trim(), '<f4 (2, 3) True 21.5');
});
