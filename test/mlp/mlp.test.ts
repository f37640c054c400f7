import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { differenceStats, mlpAverageActivation, mlpDifference } from '../../lib/mlp/index';
import { ActivationStore, activationFileName } from '../../lib/activations/store';
import { writeNpy } from '../../lib/util/npy';
import { Rng } from '../../lib/util/rng';

function run(pairs: number, d: number, layers: number[], gen: (layer: number, side: 'pos' | 'neg', i: number, j: number) => number): string {
  const dir = mkdtempSync(join(tmpdir(), 'syco-mlp-'));
  for (const layer of layers) {
    for (const side of ['pos', 'neg'] as const) {
      const X = new Float32Array(pairs * d);
      for (let i = 0; i < pairs; i++) for (let j = 0; j < d; j++) X[i * d + j] = gen(layer, side, i, j);
      writeNpy(join(dir, activationFileName('mlp', layer, side)), X, [pairs, d]);
    }
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    format_version: 1, model: { id: 't', file: '', sha256: '', dtype: 'fp32', family: 'llama', num_layers: layers.length, hidden_size: d },
    dataset: { source: 't', format: 'ab', pair_ids: [] }, hooks: ['mlp'], layers, position: -2, dtype: 'float32', hidden_size: d,
    counts: { pairs, done: pairs }, complete: true, code_version: 't', created: '',
  }));
  return dir;
}

test('average normalised MLP activation: global min–max over all layers, by hand', () => {
  // layer 0: pos all 1, neg all 3; layer 1: pos 0 except one 10, neg all −2
  const dir = run(2, 2, [0, 1], (layer, side, i, j) => (layer === 0 ? (side === 'pos' ? 1 : 3) : side === 'pos' ? (i === 1 && j === 1 ? 10 : 0) : -2));
  try {
    const r = mlpAverageActivation(new ActivationStore(dir), { quiet: true });
    assert.equal(r.min, -2);
    assert.equal(r.max, 10);
    const [l0, l1] = r.layers;
    assert.equal(l0.mean, 2);
    assert.equal(l0.normalized, (2 + 2) / 12);
    assert.equal(l0.normalized_pos, 3 / 12);
    assert.equal(l1.mean_pos, 2.5);
    assert.equal(l1.mean, 0.25);
    assert.equal(l1.normalized, 2.25 / 12);
    assert.equal(l1.normalized_neg, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MLP difference: statistics by hand and intervals that cover a planted difference', () => {
  // by hand: 3 pairs, 2 dims, D = [[1, -1], [2, 0], [3, 1]] → mean |D| per pair = [1, 1, 2]; mean D = [2, 0]
  const D = { rows: 3, cols: 2, data: new Float32Array([1, -1, 2, 0, 3, 1]) };
  const s = differenceStats(D, 0, { bootstrap: 200, seed: 1 });
  assert.ok(Math.abs(s.mean_abs_diff.mean - 4 / 3) < 1e-12);
  assert.ok(Math.abs(s.mean_diff_norm.value - 2) < 1e-12);
  assert.ok(Math.abs(s.projection.mean - 2) < 1e-6); // projections on (1, 0) = [1, 2, 3]
  assert.ok(Math.abs(s.mean_pair_distance - (Math.SQRT2 + 2 + Math.sqrt(10)) / 3) < 1e-6);
  assert.ok(s.mean_diff_norm.lo <= 2 && s.mean_diff_norm.hi >= 2);

  // planted: layer L has pos − neg = L·e0 + noise; the CI of the projection covers L, and layer order is kept
  const r = new Rng(5);
  const dir = run(400, 8, [0, 1, 2], (layer, side, _i, j) => r.normal() * 0.5 + (side === 'pos' && j === 0 ? layer : 0));
  try {
    const res = mlpDifference(new ActivationStore(dir), { quiet: true, bootstrap: 300 });
    assert.deepEqual(res.map((x) => x.layer), [0, 1, 2]);
    for (const x of res.slice(1)) {
      assert.ok(x.projection.lo < x.layer && x.projection.hi > x.layer, `layer ${x.layer}: [${x.projection.lo}, ${x.projection.hi}]`);
      assert.ok(x.mean_diff_norm.lo < x.layer && x.mean_diff_norm.hi > x.layer * 0.98);
    }
    assert.ok(res[2].mean_abs_diff.lo > res[0].mean_abs_diff.hi);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => differenceStats({ rows: 1, cols: 2, data: new Float32Array(2) }, 3), /layer 3 has 1 pair/);
});
