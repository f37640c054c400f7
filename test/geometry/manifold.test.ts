import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lle, spectralEmbedding, barycenterWeights } from '../../lib/geometry/manifold';
import { procrustesDisparity, distanceCorrelation, trustworthiness } from '../../lib/geometry/quality';
import { umap } from '../../lib/geometry/umap';
import { knn } from '../../lib/geometry/knn';
import { embed } from '../../lib/geometry/project';
import type { Matrix } from '../../lib/util/matrix';
import { Rng } from '../../lib/util/rng';
import { clusters, sklearnReference, swissRoll } from './helpers';

/** Largest |a − s·b| over columns, with each column's sign s chosen to match. */
function maxAbsUpToSign(a: Matrix, b: Matrix): number {
  let worst = 0;
  for (let c = 0; c < a.cols; c++) {
    let dot = 0;
    for (let i = 0; i < a.rows; i++) dot += a.data[i * a.cols + c] * b.data[i * b.cols + c];
    const s = dot < 0 ? -1 : 1;
    for (let i = 0; i < a.rows; i++) worst = Math.max(worst, Math.abs(a.data[i * a.cols + c] - s * b.data[i * b.cols + c]));
  }
  return worst;
}

test('LLE barycentric weights: a point at the centre of a symmetric neighbourhood gets equal weights', () => {
  const X: Matrix = { rows: 5, cols: 2, data: new Float32Array([0, 0, 1, 0, -1, 0, 0, 1, 0, -1]) };
  const W = barycenterWeights(X, new Int32Array([1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 4, 1e-3);
  for (let a = 0; a < 4; a++) assert.ok(Math.abs(W[a] - 0.25) < 1e-12, `w${a} = ${W[a]}`);
  // a point on the segment between two neighbours: w = (0.75, 0.25) up to the regulariser
  const Y: Matrix = { rows: 3, cols: 1, data: new Float32Array([0.25, 0, 1]) };
  const w = barycenterWeights(Y, new Int32Array([1, 2, 0, 2, 0, 1]), 2, 1e-9);
  assert.ok(Math.abs(w[0] - 0.75) < 1e-6 && Math.abs(w[1] - 0.25) < 1e-6, `${w[0]}, ${w[1]}`);
});

test('LLE and spectral embedding match scikit-learn on a swiss roll; iterative solvers match dense', () => {
  const X = swissRoll(400, 7);
  const lleDense = lle(X, { neighbors: 10, eigenSolver: 'dense' });
  const lleSi = lle(X, { neighbors: 10, eigenSolver: 'shift-invert' });
  assert.equal(lleSi.solver, 'shift-invert');
  assert.ok(maxAbsUpToSign(lleDense.embedding, lleSi.embedding) < 1e-5, 'LLE shift-invert vs dense');
  const seDense = spectralEmbedding(X, { eigenSolver: 'dense' });
  for (const solver of ['lanczos', 'lobpcg'] as const) {
    const se = spectralEmbedding(X, { eigenSolver: solver });
    assert.ok(maxAbsUpToSign(seDense.embedding, se.embedding) < 1e-6, `spectral ${solver} vs dense`);
  }
  const sk = sklearnReference<{ lle: number[]; se: number[] }>('geometry/lle-spectral-sklearn', `
from sklearn.manifold import LocallyLinearEmbedding, SpectralEmbedding
L = LocallyLinearEmbedding(n_neighbors=10, n_components=2, eigen_solver='dense').fit_transform(X)
S = SpectralEmbedding(n_components=2, random_state=0).fit_transform(X)
f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32).astype(np.float64).ravel().tolist()
print(json.dumps({'lle': f32(L), 'se': f32(S)}))
`, { X });
  const skL: Matrix = { rows: X.rows, cols: 2, data: Float32Array.from(sk.lle) };
  const skS: Matrix = { rows: X.rows, cols: 2, data: Float32Array.from(sk.se) };
  const dl = maxAbsUpToSign(lleDense.embedding, skL);
  assert.ok(dl < 1e-5, `LLE max |ours − sklearn| = ${dl}`);
  assert.ok(procrustesDisparity(lleSi.embedding, skL) < 1e-8);
  // spectral: sklearn fixes signs the same way, so the coordinates agree without flips
  let ds = 0;
  for (let i = 0; i < skS.data.length; i++) ds = Math.max(ds, Math.abs(seDense.embedding.data[i] - skS.data[i]));
  assert.ok(ds < 1e-6, `spectral max |ours − sklearn| = ${ds}`);
});

test('LLE eigenvectors satisfy M·v = λ·v for M = (I − W)ᵀ(I − W), are unit and orthogonal to the constant', () => {
  const X = swissRoll(250, 9);
  const n = 250, k = 8;
  const r = lle(X, { neighbors: k, eigenSolver: 'dense' });
  assert.ok(r.eigenvalues[0] >= 0 && r.eigenvalues[0] <= r.eigenvalues[1]);
  const nn = knn(X, k);
  const W = barycenterWeights(X, nn.indices, k, 1e-3);
  for (let c = 0; c < 2; c++) {
    const v = Float64Array.from({ length: n }, (_, i) => r.embedding.data[i * 2 + c]);
    // u = (I − W)v, Mv = (I − W)ᵀu
    const u = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      u[i] = v[i];
      for (let a = 0; a < k; a++) u[i] -= W[i * k + a] * v[nn.indices[i * k + a]];
    }
    const Mv = Float64Array.from(u);
    for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) Mv[nn.indices[i * k + a]] -= W[i * k + a] * u[i];
    let res = 0, s = 0, q = 0;
    for (let i = 0; i < n; i++) {
      res = Math.max(res, Math.abs(Mv[i] - r.eigenvalues[c] * v[i]));
      s += v[i];
      q += v[i] * v[i];
    }
    assert.ok(res < 1e-6, `residual ${res}`);
    assert.ok(Math.abs(s) < 1e-4 && Math.abs(q - 1) < 1e-5);
  }
});

test('procrustes and distance correlation are invariant to rotation, reflection and scale', () => {
  const rng = new Rng(10);
  const A: Matrix = { rows: 50, cols: 2, data: Float32Array.from({ length: 100 }, () => rng.normal()) };
  const B: Matrix = { rows: 50, cols: 2, data: new Float32Array(100) };
  const c = Math.cos(0.7), s = Math.sin(0.7);
  for (let i = 0; i < 50; i++) {
    const x = A.data[2 * i], y = A.data[2 * i + 1];
    B.data[2 * i] = 3 * (c * x - s * y) + 5;
    B.data[2 * i + 1] = -3 * (s * x + c * y) - 1;
  }
  assert.ok(procrustesDisparity(A, B) < 1e-10);
  assert.ok(Math.abs(distanceCorrelation(A, B) - 1) < 1e-6);
  const R: Matrix = { rows: 50, cols: 2, data: Float32Array.from({ length: 100 }, () => rng.normal()) };
  assert.ok(procrustesDisparity(A, R) > 0.5);
});

test('UMAP: deterministic for a seed, keeps clusters apart, 3-D works', () => {
  const { X, label } = clusters(400, 30, 4, 11, 6);
  const a = umap(X, { seed: 3, epochs: 200 });
  const b = umap(X, { seed: 3, epochs: 200 });
  assert.deepEqual(a.embedding.data, b.embedding.data);
  // nearest embedded neighbour shares the cluster label for nearly every point
  const n = 400;
  let same = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity, arg = -1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = (a.embedding.data[2 * i] - a.embedding.data[2 * j]) ** 2 + (a.embedding.data[2 * i + 1] - a.embedding.data[2 * j + 1]) ** 2;
      if (d < best) { best = d; arg = j; }
    }
    if (label[arg] === label[i]) same++;
  }
  assert.ok(same / n > 0.98, `1-NN label agreement ${same / n}`);
  assert.ok(trustworthiness(X, a.embedding, 10) > 0.9);
  // the typed-array layout reproduces umap-js's own epochs (same draws, same arithmetic)
  const ref = umap(X, { seed: 3, epochs: 200, layout: 'umap-js' });
  let worst = 0;
  for (let t = 0; t < ref.embedding.data.length; t++) worst = Math.max(worst, Math.abs(ref.embedding.data[t] - a.embedding.data[t]));
  assert.ok(worst <= 1e-5, `typed layout vs umap-js: max |Δ| = ${worst}`);
  const c3 = umap(X, { seed: 3, epochs: 50, dims: 3 });
  assert.equal(c3.embedding.cols, 3);
  assert.throws(() => umap(X, { neighbors: 1 }), /neighbors/);
});

test('embed dispatches every method with the requested dimensions', () => {
  const { X } = clusters(120, 12, 3, 12);
  for (const method of ['pca', 'tsne', 'umap', 'lle', 'spectral'] as const) {
    for (const dims of [2, 3]) {
      const e = embed(X, { method, dims, seed: 0, iterations: 250 });
      assert.equal(e.coords.rows, 120, method);
      assert.equal(e.coords.cols, dims, method);
      assert.ok(e.coords.data.every(Number.isFinite), `${method} ${dims}-D finite`);
    }
  }
  assert.throws(() => embed(X, { method: 'isomap' as never }), /unknown method/);
});
