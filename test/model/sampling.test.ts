// Token selection: greedy tie rule, and temperature / top-p sampling against exact probabilities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmaxFirst, sampleToken } from '../../lib/model/hooked';
import { Rng } from '../../lib/util/rng';

test('greedy takes the first maximal index', () => {
  assert.equal(argmaxFirst([0, 3, 1, 3]), 1);
  assert.equal(argmaxFirst([5]), 0);
  assert.equal(argmaxFirst([-1, -1]), 0);
});

test('temperature sampling follows softmax(logits / T); top-p keeps the smallest nucleus', () => {
  const logits = [2, 1, 0, -1];
  const T = 0.7;
  const z = logits.reduce((a, x) => a + Math.exp(x / T), 0);
  const p = logits.map((x) => Math.exp(x / T) / z);
  const n = 40000;
  const rng = new Rng(11);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) counts[sampleToken(logits, T, 1, rng)]++;
  p.forEach((pi, k) => {
    const sd = Math.sqrt((pi * (1 - pi)) / n);
    assert.ok(Math.abs(counts[k] / n - pi) < 5 * sd + 1e-9, `token ${k}: ${counts[k] / n} vs ${pi}`);
  });
  // top-p = 0.8: p ≈ [0.75, 0.18, 0.05, 0.02] → nucleus {0, 1}, renormalised.
  const nucleus = p[0] + p[1];
  assert.ok(p[0] < 0.8 && nucleus >= 0.8);
  const c2 = [0, 0, 0, 0];
  const rng2 = new Rng(12);
  for (let i = 0; i < n; i++) c2[sampleToken(logits, T, 0.8, rng2)]++;
  assert.equal(c2[2] + c2[3], 0);
  const want = p[0] / nucleus;
  assert.ok(Math.abs(c2[0] / n - want) < 5 * Math.sqrt((want * (1 - want)) / n));
  // A tiny top-p is greedy.
  for (let i = 0; i < 100; i++) assert.equal(sampleToken(logits, 1, 1e-9, rng2), 0);
});

test('the same seed gives the same samples', () => {
  const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i));
  const a = new Rng(3);
  const b = new Rng(3);
  for (let i = 0; i < 200; i++) assert.equal(sampleToken(logits, 1.3, 0.95, a), sampleToken(logits, 1.3, 0.95, b));
});
