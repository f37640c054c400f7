import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainProbe } from '../../lib/probes/train';
import { accuracy, confusion } from '../../lib/probes/common';
import { linearInit } from '../../lib/probes/logistic';
import { massMeanIidDirection } from '../../lib/probes/massmean';
import { pairRows } from '../../lib/probes/ccs';
import { PROBE_KINDS } from '../../lib/probes/types';
import { Rng } from '../../lib/util/rng';
import { cosine, type Matrix } from '../../lib/util/matrix';
import { pythonReference } from '../reference';

/** n/2 pos rows then n/2 neg rows: noise N(0, σ²) plus ±shift·u plus a common offset; u is a fixed unit vector. */
function planted(n: number, d: number, shift: number, seed: number, sigma = 1): { X: Matrix; y: Uint8Array; u: Float64Array } {
  const r = new Rng(seed);
  const u = new Float64Array(d);
  for (let j = 0; j < d; j++) u[j] = r.normal();
  const nu = Math.hypot(...u);
  for (let j = 0; j < d; j++) u[j] /= nu;
  const X = new Float32Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = i < n / 2 ? 1 : -1;
    if (s > 0) y[i] = 1;
    for (let j = 0; j < d; j++) X[i * d + j] = sigma * r.normal() + s * shift * u[j] + 0.3 * Math.cos(j);
  }
  return { X: { rows: n, cols: d, data: X }, y, u };
}

test('every supervised probe reaches accuracy 1 on separable data', () => {
  const { X, y } = planted(200, 12, 3, 1, 0.3);
  for (const kind of PROBE_KINDS.filter((k) => k !== 'ccs')) {
    const p = trainProbe(kind, X, y, { seed: 1, epochs: 1000 });
    assert.equal(accuracy(p.predict(X), y), 1, `${kind} accuracy`);
    const c = confusion(p.predict(X), y);
    assert.deepEqual(c, [[100, 0], [0, 100]]);
  }
});

test('planted direction is recovered (cosine > 0.9) by lr, lr-recipe, mm and mm-iid', () => {
  const { X, y, u } = planted(2000, 20, 0.5, 2);
  for (const kind of ['lr', 'lr-recipe', 'mm', 'mm-iid'] as const) {
    const p = trainProbe(kind, X, y, { seed: 2, epochs: 1000 });
    const c = cosine(p.direction, u);
    assert.ok(c > 0.9, `${kind}: cosine ${c}`);
  }
});

test('confusion matrix and accuracy by hand', () => {
  const pred = [1, 0, 1, 1, 0, 0];
  const y = [1, 0, 0, 1, 1, 0];
  assert.deepEqual(confusion(pred, y), [[2, 1], [1, 2]]);
  assert.equal(accuracy(pred, y), 4 / 6);
});

test('lr-recipe matches a torch AdamW run with the same init (weights within 1e-4, same loss)', () => {
  const { X, y } = planted(120, 16, 0.7, 3);
  const w0 = linearInit(16, 7);
  const p = trainProbe('lr-recipe', X, y, { init: w0, epochs: 1000 });
  const ref = pythonReference(
    'probes/lr-recipe-torch-adamw',
    `import sys, json, numpy as np, torch
torch.set_num_threads(1)
d = json.load(sys.stdin)
X = torch.tensor(np.array(d['X'], dtype=np.float32).reshape(120, 16))
y = torch.tensor(np.array(d['y'], dtype=np.float32)).unsqueeze(1)
m = torch.nn.Sequential(torch.nn.Linear(16, 1, bias=False), torch.nn.Sigmoid())
with torch.no_grad():
    m[0].weight.copy_(torch.tensor(np.array(d['w0'], dtype=np.float32)).unsqueeze(0))
opt = torch.optim.AdamW(m.parameters(), lr=0.001, weight_decay=0.1)
lf = torch.nn.BCELoss()
for _ in range(1000):
    opt.zero_grad(); loss = lf(m(X), y); loss.backward(); opt.step()
print(json.dumps({'w': m[0].weight.detach().numpy().ravel().tolist(), 'loss': float(loss)}))`,
    { X: Array.from(X.data), y: Array.from(y), w0: Array.from(w0) },
  );
  for (let j = 0; j < 16; j++) assert.ok(Math.abs(p.direction[j] - ref.w[j]) < 1e-4, `w[${j}]: ${p.direction[j]} vs torch ${ref.w[j]}`);
  assert.ok(Math.abs((p.info.final_loss as number) - ref.loss) < 1e-5, `loss ${p.info.final_loss} vs torch ${ref.loss}`);
  assert.equal(p.bias, 0);
});

test('lr matches scikit-learn LogisticRegression (C=1, lbfgs) coefficients and intercept', () => {
  const { X, y } = planted(300, 10, 0.6, 4);
  const p = trainProbe('lr', X, y);
  const ref = pythonReference(
    'probes/lr-sklearn',
    `import sys, json, numpy as np
from sklearn.linear_model import LogisticRegression
d = json.load(sys.stdin)
X = np.array(d['X'], dtype=np.float32).reshape(300, 10)
c = LogisticRegression(max_iter=1000, tol=1e-8).fit(X, np.array(d['y']))
print(json.dumps({'w': c.coef_.ravel().tolist(), 'b': float(c.intercept_[0])}))`,
    { X: Array.from(X.data), y: Array.from(y) },
  );
  for (let j = 0; j < 10; j++) assert.ok(Math.abs(p.direction[j] - ref.w[j]) < 1e-3, `w[${j}]: ${p.direction[j]} vs ${ref.w[j]}`);
  assert.ok(Math.abs(p.bias - ref.b) < 1e-3);
  assert.ok(p.info.converged);
});

test('mass-mean: direction = mean difference and threshold at the midpoint', () => {
  const X: Matrix = { rows: 4, cols: 2, data: new Float32Array([2, 0, 4, 2, 0, 0, 0, 2]) };
  const y = [1, 1, 0, 0];
  const p = trainProbe('mm', X, y);
  assert.deepEqual(Array.from(p.direction), [3, 0]);
  // midpoint (1.5, 1) → bias = −4.5
  assert.equal(p.bias, -4.5);
  assert.deepEqual(Array.from(p.score(X)), [1.5, 7.5, -4.5, -4.5]);
});

test('mass-mean-iid: dense covariance, dense Gram, Lanczos and numpy pinv formula agree', () => {
  for (const [n, d] of [[400, 30], [24, 40]] as const) {
    const { X, y } = planted(n, d, 0.5, 5);
    const ref = pythonReference(
      `probes/mm-iid-numpy-${n}x${d}`,
      `import sys, json, numpy as np
d = json.load(sys.stdin)
X = np.array(d['X'], dtype=np.float64).reshape(d['n'], d['d']); y = np.array(d['y'])
mp, mn = X[y == 1].mean(0), X[y == 0].mean(0)
Xc = np.concatenate([X[y == 1] - mp, X[y == 0] - mn])
cov = Xc.T @ Xc / (len(X) - 1)
w, V = np.linalg.eigh(cov)
keep = np.abs(w) > 1e-3
P = (V[:, keep] / w[keep]) @ V[:, keep].T
print(json.dumps((P @ (mp - mn)).tolist()))`,
      { X: Array.from(X.data), y: Array.from(y), n, d },
    ) as number[];
    const scale = Math.max(...ref.map(Math.abs));
    for (const solver of ['dense', 'lanczos'] as const) {
      const r = massMeanIidDirection(X, y, { solver });
      let m = 0;
      for (let j = 0; j < d; j++) m = Math.max(m, Math.abs(r.w[j] - ref[j]));
      assert.ok(m < 2e-3 * scale, `${n}×${d} ${solver} (${r.solver}): max diff ${m} (scale ${scale})`);
    }
  }
  // full rank: Σ·w = δ exactly
  const { X, y } = planted(500, 8, 0.5, 6);
  const r = massMeanIidDirection(X, y, { solver: 'dense' });
  const n = X.rows, d = 8;
  const Xc: number[][] = [];
  for (let i = 0; i < n; i++) Xc.push(Array.from({ length: d }, (_, j) => X.data[i * d + j] - (y[i] ? r.pos[j] : r.neg[j])));
  for (let a = 0; a < d; a++) {
    let s = 0;
    for (let b = 0; b < d; b++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += Xc[i][a] * Xc[i][b];
      s += (c / (n - 1)) * r.w[b];
    }
    assert.ok(Math.abs(s - (r.pos[a] - r.neg[a])) < 1e-4, `(Σw)[${a}] = ${s}, δ = ${r.pos[a] - r.neg[a]}`);
  }
});

test('CCS recovers a planted truth direction over pairs whose truth varies; sign follows the labels', () => {
  const m = 300, d = 10;
  const r = new Rng(9);
  const u = Array.from({ length: d }, () => r.normal());
  const nu = Math.hypot(...u);
  const X = new Float32Array(2 * m * d);
  const y = new Uint8Array(2 * m);
  const truth: number[] = [];
  for (let k = 0; k < m; k++) {
    const t = k % 2 ? 1 : -1; // which side of the pair is "true"
    truth.push(t);
    y[k] = 1;
    const c = Array.from({ length: d }, () => r.normal());
    for (let j = 0; j < d; j++) {
      X[k * d + j] = c[j] + (t * 2 * u[j]) / nu + 0.2 * r.normal();
      X[(m + k) * d + j] = c[j] - (t * 2 * u[j]) / nu + 0.2 * r.normal();
    }
  }
  const M: Matrix = { rows: 2 * m, cols: d, data: X };
  const p = trainProbe('ccs', M, y, { seed: 3, epochs: 500, tries: 3 });
  const c = Math.abs(cosine(p.direction, u));
  assert.ok(c > 0.9, `|cosine| ${c}`);
  // pairs: the probe tells the true side in (nearly) every pair, up to one global sign
  const s = p.score(M);
  let agree = 0;
  for (let k = 0; k < m; k++) if ((s[k] > s[m + k] ? 1 : -1) === truth[k]) agree++;
  assert.ok(Math.max(agree, m - agree) / m > 0.95);
  // sign fixed by labels: pos side scores higher in at least half the training pairs
  let posHigher = 0;
  for (let k = 0; k < m; k++) if (s[k] > s[m + k]) posHigher++;
  assert.ok(posHigher >= m / 2);
  assert.ok((p.info.train_pair_acc as number) >= 0.5);
});

test('probes reject bad input with a clear error', () => {
  const X: Matrix = { rows: 3, cols: 2, data: new Float32Array(6) };
  assert.throws(() => trainProbe('mm', X, [1, 1, 1]), /both classes/);
  assert.throws(() => trainProbe('lr', X, [1, 0]), /3 rows but 2 labels/);
  assert.throws(() => trainProbe('mm', X, [1, 2, 0]), /row 1 is 2/);
  assert.throws(() => pairRows([1, 0, 1, 0], Int32Array.from([0, 0, 0, 1])), /pair 0 has more than one pos/);
  assert.throws(() => trainProbe('nope' as never, X, [1, 0, 1]), /unknown probe kind/);
});
