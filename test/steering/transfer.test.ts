// Transfer of vectors between models: direct transfer refuses a hidden-size mismatch; the least-squares / ridge linear
// map recovers a known synthetic map and matches numpy's values on a small hand-checked case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLinearMap, fitLinearMap, mapVectors, transferVectors, type SteeringVectorSet } from '../../lib/steering/index';
import { Rng } from '../../lib/util/rng';
import type { Matrix } from '../../lib/util/matrix';
import { maxAbsDiff } from '../../lib/util/matrix';

function set(hidden: number, layers: number[], normalize: 'unit' | 'none' = 'unit'): SteeringVectorSet {
  const rng = new Rng(1);
  return {
    meta: { model: 'model-A', modelHash: 'aaa', hook: 'resid', dataset: 'd', pairs: 10, normalize, hidden },
    layers,
    vectors: new Map(layers.map((l) => [l, Float32Array.from({ length: hidden }, () => rng.normal())])),
    norms: new Map(layers.map((l) => [l, 1 + l])),
  };
}

const mat = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0].length, data: Float32Array.from(rows.flat()) });

test('transferVectors: same hidden size is copied with provenance; a mismatch is refused naming both sizes', () => {
  const s = set(64, [1, 3]);
  const t = transferVectors(s, { id: 'model-B', hiddenSize: 64, numLayers: 5, sourceHash: 'bbb' });
  assert.equal(t.meta.model, 'model-B');
  assert.equal(t.meta.modelHash, 'bbb');
  assert.deepEqual(t.meta.transferredFrom, { model: 'model-A', modelHash: 'aaa', hidden: 64, method: 'direct' });
  for (const l of [1, 3]) {
    assert.equal(maxAbsDiff(t.vectors.get(l)!, s.vectors.get(l)!), 0);
    assert.notEqual(t.vectors.get(l), s.vectors.get(l), 'copied, not shared');
  }
  assert.equal(transferVectors(s, { id: 'model-C', hiddenSize: 64, numLayers: 5 }).meta.modelHash, undefined);
  assert.throws(
    () => transferVectors(s, { id: 'model-B', hiddenSize: 4096, numLayers: 32 }),
    (e: Error) => /hidden size mismatch/.test(e.message) && e.message.includes('64') && e.message.includes('4096') && e.message.includes('model-A') && e.message.includes('model-B'),
  );
  assert.throws(() => transferVectors(s, { id: 'model-B', hiddenSize: 64, numLayers: 2 }), /layer 3 does not exist in model-B \(2 layers\)/);
});

test('fitLinearMap: ridge with intercept equals numpy, least squares equals numpy lstsq', () => {
  const X = mat([[1, 2], [3, 1], [0, 1], [2, 2], [1, 0]]);
  const Y = mat([[1, 0], [2, 1], [0.5, 0], [3, 2], [1, -1]]);
  // numpy: Xc = X - mean, W = solve(XcᵀXc + 0.5 I, XcᵀYc), b = mean(Y) - mean(X) W
  const ridge = fitLinearMap(X, Y, { ridge: 0.5 });
  assert.ok(maxAbsDiff(ridge.W, [0.5772357723577235, 0.4878048780487805, 0.34959349593495936, 0.6991869918699187]) < 1e-12);
  assert.ok(maxAbsDiff(ridge.bias, [0.27235772357723587, -1.1219512195121952]) < 1e-12);
  // numpy: lstsq([X, 1], Y)
  const ls = fitLinearMap(X, Y);
  assert.ok(maxAbsDiff(ls.W, [0.6267605633802817, 0.5211267605633803, 0.40140845070422554, 0.816901408450705]) < 1e-12);
  assert.ok(maxAbsDiff(ls.bias, [0.14084507042253488, -1.3098591549295786]) < 1e-12);
  assert.ok(ls.r2 > ridge.r2 && ls.r2 < 1);
  // 1-D through the origin by hand: w = Σxy / (Σx² + λ)
  const x = mat([[1], [2], [3]]);
  const y = mat([[2], [3], [7]]);
  const one = fitLinearMap(x, y, { ridge: 1, intercept: false });
  assert.ok(Math.abs(one.W[0] - (2 + 6 + 21) / (1 + 4 + 9 + 1)) < 1e-14);
  assert.equal(one.bias[0], 0);
  // apply: v·W, bias only when affine
  assert.ok(maxAbsDiff(applyLinearMap(ls, [1, -1]), [0.6267605633802817 - 0.40140845070422554, 0.5211267605633803 - 0.816901408450705]) < 1e-7);
  assert.ok(maxAbsDiff(applyLinearMap(ls, [1, -1], { affine: true }), [0.6267605633802817 - 0.40140845070422554 + 0.14084507042253488, 0.5211267605633803 - 0.816901408450705 - 1.3098591549295786]) < 1e-6);
  assert.throws(() => applyLinearMap(ls, [1, 2, 3]), /3 values, the map takes 2/);
});

test('fitLinearMap recovers a known map between spaces of different sizes (MLAS Gram path) and mapVectors uses it', () => {
  const rng = new Rng(5);
  const n = 300, dA = 80, dB = 48;
  const Wt = Float64Array.from({ length: dA * dB }, () => rng.normal() / Math.sqrt(dA));
  const bt = Float64Array.from({ length: dB }, () => rng.normal());
  const XA = Float32Array.from({ length: n * dA }, () => rng.normal());
  const XB = new Float32Array(n * dB);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < dB; c++) {
      let s = bt[c];
      for (let j = 0; j < dA; j++) s += XA[i * dA + j] * Wt[j * dB + c];
      XB[i * dB + c] = s;
    }
  }
  const map = fitLinearMap({ rows: n, cols: dA, data: XA }, { rows: n, cols: dB, data: XB });
  assert.equal(map.dIn, dA);
  assert.equal(map.dOut, dB);
  assert.ok(maxAbsDiff(map.W, Wt) < 1e-5, `W error ${maxAbsDiff(map.W, Wt)}`);
  assert.ok(maxAbsDiff(map.bias, bt) < 1e-5, `bias error ${maxAbsDiff(map.bias, bt)}`);
  assert.ok(map.r2 > 1 - 1e-9);

  const s = set(dA, [2]);
  const moved = mapVectors(s, new Map([[2, map]]), { id: 'model-B', hiddenSize: dB, numLayers: 4 });
  assert.equal(moved.meta.hidden, dB);
  assert.equal(moved.meta.transferredFrom?.method, 'linear-map');
  const v = moved.vectors.get(2)!;
  const direct = applyLinearMap(map, s.vectors.get(2)!);
  const nv = Math.sqrt(direct.reduce((a, x) => a + x * x, 0));
  assert.ok(maxAbsDiff(v, direct.map((x) => x / nv)) < 1e-6, 'unit sets stay unit');
  assert.throws(() => mapVectors(s, new Map([[2, map]]), { id: 'model-B', hiddenSize: 64, numLayers: 4 }), /gives 48 values, target model-B has hidden size 64/);
  // too few rows for least squares, and a singular system without ridge
  assert.throws(() => fitLinearMap({ rows: 10, cols: dA, data: XA.subarray(0, 10 * dA) }, { rows: 10, cols: dB, data: XB.subarray(0, 10 * dB) }), /10 rows cannot determine a 80-dimensional/);
  assert.ok(fitLinearMap({ rows: 10, cols: dA, data: XA.subarray(0, 10 * dA) }, { rows: 10, cols: dB, data: XB.subarray(0, 10 * dB) }, { ridge: 0.1 }).r2 > 0.9);
  assert.throws(() => fitLinearMap(mat([[1, 2], [2, 4], [3, 6]]), mat([[1], [2], [3]]), { intercept: false }), /not positive definite.*ridge/);
  assert.throws(() => fitLinearMap(mat([[1, 2]]), mat([[1], [2]])), /X_A has 1 rows, X_B has 2/);
});
