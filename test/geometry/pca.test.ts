import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PCA as MlPCA } from 'ml-pca';
import { pca, pcaFitTransform } from '../../lib/geometry/pca';
import { Rng } from '../../lib/util/rng';
import type { Matrix } from '../../lib/util/matrix';

/** n×d data with a decaying spectrum (distinct eigenvalues), a nonzero mean, float32. */
function data(n: number, d: number, seed: number, meanShift = 3): Matrix {
  const r = new Rng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = r.normal() * (4 / (1 + 0.5 * j)) + meanShift * Math.sin(j);
  return { rows: n, cols: d, data: out };
}

/** Reference: covariance in float64 + cyclic Jacobi (independent of the library code). */
function reference(X: Matrix): { values: number[]; vectors: number[][]; total: number } {
  const { rows: n, cols: d } = X;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j] / n;
  const C = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const xa = X.data[i * d + a] - mean[a];
      for (let b = 0; b < d; b++) C[a * d + b] += (xa * (X.data[i * d + b] - mean[b])) / (n - 1);
    }
  }
  let total = 0;
  for (let a = 0; a < d; a++) total += C[a * d + a];
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = C[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (C[q * d + q] - C[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < d; k++) {
          const x = C[k * d + p], y = C[k * d + q];
          C[k * d + p] = c * x - s * y;
          C[k * d + q] = s * x + c * y;
        }
        for (let k = 0; k < d; k++) {
          const x = C[p * d + k], y = C[q * d + k];
          C[p * d + k] = c * x - s * y;
          C[q * d + k] = s * x + c * y;
        }
        for (let k = 0; k < d; k++) {
          const x = V[k * d + p], y = V[k * d + q];
          V[k * d + p] = c * x - s * y;
          V[k * d + q] = s * x + c * y;
        }
      }
    }
  }
  const idx = Array.from({ length: d }, (_, i) => i).sort((a, b) => C[b * d + b] - C[a * d + a]);
  return { values: idx.map((k) => C[k * d + k]), vectors: idx.map((k) => Array.from({ length: d }, (_, i) => V[i * d + k])), total };
}

function absCos(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return Math.abs(ab) / Math.sqrt(aa * bb);
}

for (const [name, n, d] of [['tall (covariance path)', 300, 24], ['wide (Gram path)', 20, 60]] as const) {
  test(`PCA full vs direct eigen-decomposition: ${name}`, () => {
    const X = data(n, d, 11);
    const ref = reference(X);
    const k = 4;
    const p = pca(X, k, { method: 'full' });
    for (let c = 0; c < k; c++) {
      assert.ok(Math.abs(p.explainedVariance[c] - ref.values[c]) < 1e-4 * Math.max(1, ref.values[c]), `variance ${c}: ${p.explainedVariance[c]} vs ${ref.values[c]}`);
      assert.ok(Math.abs(p.explainedVarianceRatio[c] - ref.values[c] / ref.total) < 1e-4);
      assert.ok(absCos(p.components.data.subarray(c * d, (c + 1) * d), ref.vectors[c]) > 1 - 1e-5, `component ${c} direction`);
    }
    assert.ok(Math.abs(p.totalVariance - ref.total) < 1e-4 * ref.total);
  });
}

test('PCA full on the Lanczos path (large-input solver) equals the direct eigen-decomposition', () => {
  const X = data(300, 24, 14);
  const ref = reference(X);
  const p = pca(X, 3, { method: 'full', denseLimit: 0 });
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(p.explainedVariance[c] - ref.values[c]) < 1e-4 * ref.values[c]);
    assert.ok(absCos(p.components.data.subarray(c * 24, (c + 1) * 24), ref.vectors[c]) > 1 - 1e-5);
  }
});

test('PCA randomized equals the exact solution on a decaying spectrum; transform = centred projection', () => {
  const X = data(400, 50, 12);
  const ref = reference(X);
  const { pca: p, Y } = pcaFitTransform(X, 3, { method: 'randomized', seed: 5 });
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(p.explainedVariance[c] - ref.values[c]) < 1e-4 * ref.values[c]);
    assert.ok(absCos(p.components.data.subarray(c * 50, (c + 1) * 50), ref.vectors[c]) > 1 - 1e-5);
  }
  // scores: (x − mean)·v computed by hand
  for (let i = 0; i < X.rows; i += 41) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let j = 0; j < 50; j++) s += (X.data[i * 50 + j] - p.mean[j]) * p.components.data[c * 50 + j];
      assert.ok(Math.abs(Y.data[i * 3 + c] - s) < 1e-3);
    }
  }
  // deterministic for a given seed; sign rule: the largest-|score| sample is positive
  const q = pca(X, 3, { method: 'randomized', seed: 5 });
  assert.deepEqual(Array.from(q.components.data), Array.from(p.components.data));
  for (let c = 0; c < 3; c++) {
    let best = 0;
    for (let i = 0; i < X.rows; i++) if (Math.abs(Y.data[i * 3 + c]) > Math.abs(best)) best = Y.data[i * 3 + c];
    assert.ok(best > 0);
  }
});

test('PCA agrees with ml-pca on a small input (variances and components up to sign)', () => {
  const X = data(120, 10, 13);
  const rows: number[][] = [];
  for (let i = 0; i < X.rows; i++) rows.push(Array.from(X.data.subarray(i * 10, (i + 1) * 10)));
  const ml = new MlPCA(rows, { center: true, scale: false });
  const ev = ml.getEigenvalues();
  const evr = ml.getExplainedVariance();
  const vecs = ml.getEigenvectors();
  for (const method of ['full', 'randomized'] as const) {
    const p = pca(X, 3, { method });
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(p.explainedVariance[c] - ev[c]) < 1e-4 * ev[c], `${method} variance ${c}`);
      assert.ok(Math.abs(p.explainedVarianceRatio[c] - evr[c]) < 1e-4);
      assert.ok(absCos(p.components.data.subarray(c * 10, (c + 1) * 10), vecs.getColumn(c)) > 1 - 1e-5);
    }
  }
});

test('PCA rejects bad shapes with a clear error', () => {
  const X = data(5, 4, 1);
  assert.throws(() => pca(X, 5), /exceeds min\(rows, cols\)/);
  assert.throws(() => pca(X, 2).transform({ rows: 1, cols: 3, data: new Float32Array(3) }), /3 columns.*fitted on 4/);
});
