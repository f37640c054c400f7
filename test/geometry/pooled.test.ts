// One embedding of all layers pooled: the stacked rows keep layer, label and pair; a subsample takes the same pairs at
// every layer; the pooled PCA equals PCA of the stacked matrix built by hand; the figure shows layer and class side by side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActivationStore } from '../../lib/activations/store';
import { embed } from '../../lib/geometry/project';
import { loadPooled, projectPooled, savePooled } from '../../lib/geometry/pooled';
import { NEGATIVE_COLOR, POSITIVE_COLOR, pooledScatter } from '../../lib/plots/index';
import { matrix } from '../../lib/util/matrix';
import { Rng } from '../../lib/util/rng';

/** A store-shaped object: `pairs` pairs, 3 layers, 4 features; row 2k is pair k's pos text, 2k+1 its neg text. */
function fakeStore(pairs: number): ActivationStore {
  const rng = new Rng(3);
  const data = new Map<number, Float32Array>();
  for (const l of [0, 1, 2]) data.set(l, Float32Array.from({ length: 2 * pairs * 4 }, (_, i) => rng.normal() + l * 3 + (Math.floor(i / 4) % 2)));
  return {
    dir: '/fake', hooks: ['resid'], layers: [0, 1, 2], pairs,
    labelled: (_h: string, l: number) => ({
      X: matrix(2 * pairs, 4, data.get(l)!),
      y: Uint8Array.from({ length: 2 * pairs }, (_, i) => (i % 2 === 0 ? 1 : 0)),
      pair: Int32Array.from({ length: 2 * pairs }, (_, i) => Math.floor(i / 2)),
    }),
  } as unknown as ActivationStore;
}

test('pooled PCA of all layers = PCA of the rows stacked by hand, with layer, label and pair per row', () => {
  const store = fakeStore(5);
  const p = projectPooled(store, { method: 'pca', seed: 0 });
  assert.equal(p.coords.rows, 30);
  assert.deepEqual(Array.from(p.layer), [...Array(10).fill(0), ...Array(10).fill(1), ...Array(10).fill(2)]);
  assert.deepEqual(Array.from(p.labels.subarray(0, 4)), [1, 0, 1, 0]);
  assert.deepEqual(Array.from(p.pair.subarray(10, 14)), [0, 0, 1, 1]);
  const stacked = matrix(30, 4, new Float32Array(120));
  for (const l of [0, 1, 2]) stacked.data.set(store.labelled('resid', l).X.data, l * 40);
  const ref = embed(stacked, { method: 'pca', seed: 0 });
  assert.deepEqual(Array.from(p.coords.data), Array.from(ref.coords.data));
  assert.deepEqual(loadPooled(JSON.parse(JSON.stringify(savePooled(p)))), p);
});

test('beyond maxPoints the same seeded pairs are kept at every layer', () => {
  const p = projectPooled(fakeStore(40), { method: 'pca', seed: 1, maxPoints: 60 });
  assert.equal(p.pairsUsed, 10); // floor(60 / (2 · 3 layers))
  assert.equal(p.coords.rows, 60);
  const at = (l: number) => [...new Set(Array.from(p.pair).filter((_, i) => p.layer[i] === l))].sort((a, b) => a - b);
  assert.equal(at(0).length, 10);
  assert.deepEqual(at(1), at(0));
  assert.deepEqual(at(2), at(0));
  assert.throws(() => projectPooled(fakeStore(4), { layers: [7] }), /layer 7 not captured \(has 0, 1, 2\)/);
});

test('pooled figure: one panel coloured by layer, one by class in the class colours', () => {
  const fig = pooledScatter({ coords: [[0, 0], [1, 1], [2, 2], [3, 3]], layer: [0, 0, 4, 4], labels: [1, 0, 1, 0], text: ['a', 'b', 'c', 'd'] });
  assert.equal(fig.data.length, 3);
  assert.deepEqual((fig.data[0].marker as { color: number[] }).color, [0, 0, 4, 4]);
  assert.deepEqual(fig.data.slice(1).map((t) => (t.marker as { color: string }).color), [POSITIVE_COLOR, NEGATIVE_COLOR]);
  assert.deepEqual(fig.data[1].x, [0, 2]);
  assert.deepEqual(fig.data[2].text, ['layer 0<br>b', 'layer 4<br>d']);
  assert.deepEqual(fig.data.map((t) => t.xaxis), ['x', 'x2', 'x2']);
});
