import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/index';
import { activationFileName, ActivationStore } from '../../lib/activations/store';
import { probeSweep, splitPairs } from '../../lib/probes/sweep';
import { writeNpy, readNpy } from '../../lib/util/npy';
import { Rng } from '../../lib/util/rng';

/** A hand-built activation run: layers 0..2, hook resid + mlp, a planted direction whose strength grows with the layer. */
function makeRun(pairs: number, d: number): { dir: string; u: Float64Array } {
  const dir = mkdtempSync(join(tmpdir(), 'syco-probe-'));
  const r = new Rng(42);
  const u = new Float64Array(d);
  for (let j = 0; j < d; j++) u[j] = r.normal();
  const nu = Math.hypot(...u);
  for (let j = 0; j < d; j++) u[j] /= nu;
  const layers = [0, 1, 2];
  for (const hook of ['resid', 'mlp'] as const) {
    for (const layer of layers) {
      const shift = [0, 0.8, 3][layer];
      for (const side of ['pos', 'neg'] as const) {
        const s = side === 'pos' ? 1 : -1;
        const X = new Float32Array(pairs * d);
        for (let i = 0; i < pairs * d; i++) X[i] = r.normal() + s * shift * u[i % d] + 0.5;
        writeNpy(join(dir, activationFileName(hook, layer, side)), X, [pairs, d]);
      }
    }
  }
  const manifest = {
    format_version: 1,
    model: { id: 'test/planted', file: 'none', sha256: '0', dtype: 'fp32', family: 'llama', num_layers: 3, hidden_size: d },
    dataset: { source: 'hand-built', format: 'ab', pair_ids: Array.from({ length: pairs }, (_, i) => `p${i}`) },
    hooks: ['resid', 'mlp'],
    layers,
    position: -2,
    dtype: 'float32',
    hidden_size: d,
    counts: { pairs, done: pairs },
    complete: true,
    code_version: 'test',
    created: new Date(0).toISOString(),
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { dir, u };
}

test('splitPairs: seeded, disjoint, covers every pair', () => {
  const a = splitPairs(50, 0.2, 3);
  const b = splitPairs(50, 0.2, 3);
  assert.deepEqual(a, b);
  assert.equal(a.test.length, 10);
  const all = new Set([...a.train, ...a.test]);
  assert.equal(all.size, 50);
  assert.throws(() => splitPairs(10, 1, 0), /testFrac/);
});

test('syco probe writes per-layer accuracies, confusion and norms; accuracy follows the planted signal; resumes', async () => {
  const { dir, u } = makeRun(150, 16);
  try {
    const out = join(dir, 'probe.json');
    const npy = join(dir, 'dirs.npy');
    const code = await main(['probe', '--acts', dir, '--probe', 'mm', '--test-frac', '0.2', '--seed', '1', '--out', out, '--directions', npy, '--quiet']);
    assert.equal(code, 0);
    const res = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(res.complete, true);
    assert.deepEqual(res.layers.map((l: { layer: number }) => l.layer), [0, 1, 2]);
    for (const l of res.layers) {
      assert.equal(l.n_test_pairs, 30);
      const [[tn, fp], [fn, tp]] = l.confusion;
      assert.equal(tn + fp + fn + tp, 60); // 30 held-out pairs × 2 rows
      assert.ok(Math.abs(l.test_acc - (tn + tp) / 60) < 1e-12);
      assert.ok(l.direction_norm > 0);
      assert.ok(Math.abs(l.cos_mean_diff - 1) < 1e-6); // mass-mean IS the mean difference
    }
    assert.ok(res.layers[0].test_acc < 0.75, `layer 0 has no signal: ${res.layers[0].test_acc}`);
    assert.ok(res.layers[2].test_acc > 0.95, `layer 2 is separable: ${res.layers[2].test_acc}`);
    const dirs = readNpy(npy);
    assert.deepEqual(dirs.shape, [3, 16]);
    const w = (dirs.data as Float32Array).subarray(32, 48);
    let dot = 0, nw = 0;
    for (let j = 0; j < 16; j++) { dot += w[j] * u[j]; nw += w[j] * w[j]; }
    assert.ok(dot / Math.sqrt(nw) > 0.9, `cos ${dot / Math.sqrt(nw)}`);

    // the same run again resumes (all layers kept; the file's created stamp changes but results are identical)
    const code2 = await main(['probe', '--acts', dir, '--probe', 'mm', '--test-frac', '0.2', '--seed', '1', '--out', out, '--quiet']);
    assert.equal(code2, 0);
    const res2 = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(res2.layers.map((l: { test_acc: number }) => l.test_acc), res.layers.map((l: { test_acc: number }) => l.test_acc));

    // other probes on the mlp hook and one layer
    for (const probe of ['lr', 'mm-iid', 'lr-recipe']) {
      const o = join(dir, `${probe}.json`);
      assert.equal(await main(['probe', '--acts', dir, '--hook', 'mlp', '--layers', '2', '--probe', probe, '--epochs', '300', '--out', o, '--quiet']), 0);
      const r = JSON.parse(readFileSync(o, 'utf8'));
      assert.equal(r.layers.length, 1);
      assert.ok(r.layers[0].test_acc > 0.9, `${probe}: ${r.layers[0].test_acc}`);
      // lr-recipe has no bias term, so with the common +0.5 offset its direction bends away from the mean difference
      assert.ok(r.layers[0].cos_mean_diff > (probe === 'lr-recipe' ? 0.7 : 0.9), `${probe}: cos ${r.layers[0].cos_mean_diff}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('probeSweep keeps both rows of a pair on the same side of the split', () => {
  const { dir } = makeRun(40, 8);
  try {
    const store = new ActivationStore(dir);
    const res = probeSweep(store, { probe: 'mm', layers: [1], testFrac: 0.25, seed: 2, quiet: true });
    assert.equal(res.length, 1);
    assert.equal(res[0].n_train_pairs + res[0].n_test_pairs, 40);
    const [[tn, fp], [fn, tp]] = res[0].confusion;
    assert.equal(tn + fp, 10); // every held-out pair contributes one neg row...
    assert.equal(fn + tp, 10); // ...and one pos row
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('syco probe rejects bad flags and missing layers with clear errors', async () => {
  const { dir } = makeRun(10, 4);
  const errs: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as unknown as { write: (s: string) => boolean }).write = (s: string) => { errs.push(String(s)); return true; };
  try {
    assert.equal(await main(['probe', '--acts', dir, '--probe', 'svm', '--out', join(dir, 'x.json')]), 2);
    assert.equal(await main(['probe', '--acts', dir, '--probe', 'mm', '--out', join(dir, 'x.json'), '--test-frac', '1.5']), 2);
    assert.equal(await main(['probe', '--acts', dir, '--probe', 'mm', '--out', join(dir, 'x.json'), '--layers', '7']), 1);
    assert.equal(await main(['probe', '--acts', dir, '--probe', 'mm', '--out', join(dir, 'x.json'), '--hook', 'attn']), 1);
  } finally {
    (process.stderr as unknown as { write: typeof orig }).write = orig;
    rmSync(dir, { recursive: true, force: true });
  }
  const text = errs.join('');
  assert.match(text, /--probe must be one of/);
  assert.match(text, /--test-frac must be in \[0, 1\)/);
  assert.match(text, /layer 7 not captured/);
  assert.match(text, /hook "attn" not captured/);
  assert.ok(!existsSync(join(dir, 'x.json')));
});
