// Steering vectors from a real activation run on stories260K: the per-layer mean difference equals the one recomputed
// from the stored arrays and from direct forward captures; normalisations; save/load round trip and its errors; cosines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractActivations } from '../../lib/activations/extract';
import { openActivationStore } from '../../lib/activations/store';
import { loadHookedModel } from '../../lib/model/index';
import { computeVectors, loadVectors, saveVectors, vectorCosineMatrix, type SteeringVectorSet } from '../../lib/steering/index';
import { readNpy, writeNpy } from '../../lib/util/npy';
import { maxAbsDiff } from '../../lib/util/matrix';
import { sharedAsset } from '../helpers';

const PAIRS = [
  ['Once upon a time, there was a little girl named Lily.', 'Once upon a time, there was a big dog named Max.'],
  ['The cat was very hungry, so it', 'The cat was very happy, so it'],
  ['One day, Tom went to the park with his mom.', 'One day, Tom went to the store with his dad.'],
  ['Lily and Ben were best friends.', 'Lily and Ben did not like each other.'],
  ['She loved to play outside in the sun.', 'She was sad and stayed in her room.'],
].map(([a, b], i) => ({ id: `p${i}`, sycophantic: a, non_sycophantic: b }));

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

test('vectors from a stories260K activation run: mean differences, normalisations, save/load', async (t) => {
  const modelDir = sharedAsset(t, 'models/stories260K-onnx');
  if (!modelDir) return;
  const model = await loadHookedModel(modelDir, { threads: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'syco-vec-'));
  t.after(async () => { await model.dispose(); rmSync(dir, { recursive: true, force: true }); });
  const acts = join(dir, 'acts');
  await extractActivations({ model, pairs: PAIRS, outDir: acts, hooks: ['resid', 'mlp'], layers: 'all', position: -1, batchSize: 4, quiet: true });
  const store = openActivationStore(acts);
  const H = 64;

  // Independent reference 1: the stored arrays, read side by side, differenced and averaged in float64.
  // Independent reference 2: single-text forward captures straight from the model (no store involved).
  const direct = await model.run(PAIRS.flatMap((p) => [p.sycophantic, p.non_sycophantic]), { hooks: ['resid', 'mlp'], layers: 'all', positions: [-1] });
  const raw = computeVectors(store, { normalize: 'none' });
  assert.deepEqual(raw.layers, [0, 1, 2, 3, 4]);
  assert.equal(raw.meta.pairs, 5);
  assert.equal(raw.meta.hook, 'resid');
  assert.equal(raw.meta.hidden, H);
  assert.equal(raw.meta.modelHash, model.sourceHash);
  for (const layer of raw.layers) {
    const pos = store.read('resid', layer, 'pos');
    const neg = store.read('resid', layer, 'neg');
    const want = new Float64Array(H);
    const want2 = new Float64Array(H);
    const cap = direct.captures.get(`resid.${layer}`)!;
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < H; j++) {
        want[j] += (pos.data[i * H + j] - neg.data[i * H + j]) / 5;
        want2[j] += (cap.data[(2 * i) * H + j] - cap.data[(2 * i + 1) * H + j]) / 5;
      }
    }
    const got = raw.vectors.get(layer)!;
    assert.ok(maxAbsDiff(got, want) < 1e-6, `layer ${layer}: vector vs stored mean difference (${maxAbsDiff(got, want)})`);
    assert.ok(maxAbsDiff(got, want2) < 1e-4, `layer ${layer}: vector vs direct captures (${maxAbsDiff(got, want2)})`);
    assert.ok(Math.abs(raw.norms.get(layer)! - norm(want)) < 1e-6 * Math.max(1, norm(want)));
  }

  // unit: same direction, norm 1; raw norms kept.
  const unit = computeVectors(store, { normalize: 'unit', layers: [1, 3] });
  assert.deepEqual(unit.layers, [1, 3]);
  for (const l of [1, 3]) {
    const v = unit.vectors.get(l)!;
    assert.ok(Math.abs(norm(v) - 1) < 1e-6);
    const r = raw.vectors.get(l)!;
    const scaled = Array.from(r, (x) => x / raw.norms.get(l)!);
    assert.ok(maxAbsDiff(v, scaled) < 1e-6);
    assert.equal(unit.norms.get(l), raw.norms.get(l));
  }
  // common: every layer rescaled to the mean raw norm (or the given norm).
  const common = computeVectors(store, { normalize: 'common' });
  const meanNorm = raw.layers.reduce((a, l) => a + raw.norms.get(l)!, 0) / raw.layers.length;
  assert.ok(Math.abs(common.meta.commonNorm! - meanNorm) < 1e-9);
  for (const l of common.layers) assert.ok(Math.abs(norm(common.vectors.get(l)!) - meanNorm) < 1e-4 * meanNorm);
  const common8 = computeVectors(store, { normalize: 'common', commonNorm: 8, hook: 'mlp' });
  assert.equal(common8.meta.hook, 'mlp');
  for (const l of common8.layers) assert.ok(Math.abs(norm(common8.vectors.get(l)!) - 8) < 1e-4);

  // Pair filters: ids and rows select the same pairs.
  const byIds = computeVectors(store, { normalize: 'none', pairIds: ['p1', 'p3'] });
  const byRows = computeVectors(store, { normalize: 'none', rows: [1, 3] });
  assert.equal(byIds.meta.pairs, 2);
  for (const l of byIds.layers) assert.equal(maxAbsDiff(byIds.vectors.get(l)!, byRows.vectors.get(l)!), 0);
  const pos2 = store.read('resid', 2, 'pos'), neg2 = store.read('resid', 2, 'neg');
  const hand = Array.from({ length: H }, (_, j) => ((pos2.data[H + j] - neg2.data[H + j]) + (pos2.data[3 * H + j] - neg2.data[3 * H + j])) / 2);
  assert.ok(maxAbsDiff(byIds.vectors.get(2)!, hand) < 1e-6);
  assert.throws(() => computeVectors(store, { pairIds: ['nope'] }), /pair id "nope"/);
  assert.throws(() => computeVectors(store, { layers: [7] }), /layer 7 not captured/);
  assert.throws(() => computeVectors(store, { hook: 'attn' }), /hook "attn" not captured/);

  // Save / load: bit-identical vectors, sidecars with provenance, numpy-readable float32 [hidden].
  const vdir = join(dir, 'vectors');
  saveVectors(vdir, unit);
  const npy = readNpy(join(vdir, 'vector.L3.npy'));
  assert.equal(npy.dtype, '<f4');
  assert.deepEqual(npy.shape, [H]);
  const side = JSON.parse(readFileSync(join(vdir, 'vector.L3.json'), 'utf8'));
  assert.equal(side.layer, 3);
  assert.equal(side.hook, 'resid');
  assert.equal(side.pairs, 5);
  assert.equal(side.hidden, H);
  assert.equal(side.normalize, 'unit');
  assert.equal(side.norm, raw.norms.get(3));
  assert.equal(side.model, model.id);
  const back = loadVectors(vdir);
  assert.deepEqual(back.layers, [1, 3]);
  for (const l of [1, 3]) assert.equal(maxAbsDiff(back.vectors.get(l)!, unit.vectors.get(l)!), 0);
  assert.equal(back.norms.get(1), unit.norms.get(1));
  assert.deepEqual(loadVectors(vdir, { layers: [3] }).layers, [3]);
  assert.throws(() => loadVectors(vdir, { layers: [2] }), /no vector for layer 2 \(has layers 1, 3\)/);
  // A vector of the wrong shape is named with its file, layer and shape.
  writeNpy(join(vdir, 'vector.L1.npy'), new Float32Array(32), [32]);
  assert.throws(() => loadVectors(vdir), (e: Error) => e.message.includes('vector.L1.npy') && e.message.includes('layer 1') && e.message.includes('[64]') && e.message.includes('[32]'));
  writeNpy(join(vdir, 'vector.L1.npy'), new Float32Array(128), [2, 64]);
  assert.throws(() => loadVectors(vdir), /vector\.L1\.npy: layer 1: expected shape \[64\], found \[2, 64\]/);
  writeFileSync(join(vdir, 'manifest.json'), '{');
  assert.throws(() => loadVectors(vdir), /manifest\.json: invalid JSON/);
  assert.throws(() => loadVectors(join(dir, 'none')), /not a vectors folder/);
});

test('vectorCosineMatrix matches hand-computed cosines', () => {
  const set: SteeringVectorSet = {
    meta: { model: 'm', hook: 'resid', dataset: 'd', pairs: 1, normalize: 'none', hidden: 2 },
    layers: [0, 1, 2],
    vectors: new Map([[0, Float32Array.from([1, 0])], [1, Float32Array.from([1, 1])], [2, Float32Array.from([0, -3])]]),
    norms: new Map(),
  };
  const { layers, matrix } = vectorCosineMatrix(set);
  assert.deepEqual(layers, [0, 1, 2]);
  const s = Math.SQRT1_2;
  const want = [[1, s, 0], [s, 1, -s], [0, -s, 1]];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(matrix[i][j] - want[i][j]) < 1e-7, `${i},${j}`);
});
