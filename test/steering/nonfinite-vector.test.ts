// A steering vector holding NaN or Inf is refused — by `syco generate` as a real process (before the model is
// loaded, naming the file and the value), and by the hooked model itself for library callers — as `syco steer`
// and `syco ab-eval` already refuse it through loadVectors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeNpy } from '../../lib/util/npy';
import { sharedAsset } from '../helpers';

const BIN = resolve('bin/syco.js');
const dir = mkdtempSync(join(tmpdir(), 'syco-nanvec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('syco generate --steer-vector with NaN or Inf exits non-zero naming the file and the value', (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  if (!model) return;
  for (const [name, bad, at] of [['nan', NaN, 5], ['inf', -Infinity, 63]] as const) {
    const v = Float32Array.from({ length: 64 }, (_, i) => (i === at ? bad : 0.1));
    const f = join(dir, `${name}.npy`);
    writeNpy(f, v, [64]);
    const r: { status: number | null; stdout: string; stderr: string } = spawnSync(process.execPath, [BIN, 'generate', '--model', model, '--prompt', 'Once upon a time', '--max-new-tokens', '12',
      '--steer-layer', '2', '--steer-vector', f, '--multiplier', '4'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, `must refuse a ${name} vector; stdout ${r.stdout}`);
    assert.equal(r.stdout, '', 'nothing generated');
    assert.match(r.stderr, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: value ${at} is ${bad}`));
  }
});

test('the hooked model refuses a non-finite steering vector handed to generate()', async (t) => {
  const path = sharedAsset(t, 'models/stories260K-onnx');
  if (!path) return;
  const { loadHookedModel } = await import('../../lib/model/index');
  const m = await loadHookedModel(path, { threads: 1 });
  try {
    const vector = new Float32Array(m.hiddenSize).fill(0.01);
    vector[7] = NaN;
    await assert.rejects(m.generate('Once upon a time', { maxNewTokens: 3, steering: [{ layer: 1, vector, multiplier: 2 }] }),
      /steering\[0\] \(layer 1\): vector: value 7 is NaN/);
  } finally {
    await m.dispose();
  }
});
