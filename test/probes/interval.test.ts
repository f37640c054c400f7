// The exact binomial (Clopper–Pearson) interval against scipy and hand-derived values, and the intervals and
// validation split every probe result carries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracyInterval, clopperPearson, probeLayer } from '../../lib/probes/index';
import { betaCdf, betaQuantile, lnGamma } from '../../lib/linalg/special';
import { matrix } from '../../lib/util/matrix';

// scipy 1.10.1: binomtest(k, n).proportion_ci(confidence_level=0.95, method='exact') -> [k, n, low, high].
const SCIPY_95: [number, number, number, number][] = [
  [0, 10, 0.0, 0.30849710781876294],
  [3, 10, 0.06673951117773447, 0.652452850060008],
  [10, 10, 0.6915028921812371, 1.0],
  [33, 40, 0.6722098666384054, 0.926617270647915],
  [20, 40, 0.3380178137372346, 0.6619821862627654],
  [61, 80, 0.6542230288593537, 0.8505462481433593],
  [1, 1, 0.025000000000000022, 1.0],
  [0, 1, 0.0, 0.975],
  [157, 200, 0.7215289561159441, 0.8398183046676637],
  [399, 400, 0.9861502300379236, 0.9999367074830952],
];

test('Clopper–Pearson matches scipy (exact method) to 1e-9', () => {
  for (const [k, n, lo, hi] of SCIPY_95) {
    const ci = clopperPearson(k, n);
    assert.ok(Math.abs(ci.lo - lo) < 1e-9 && Math.abs(ci.hi - hi) < 1e-9, `${k}/${n}: got [${ci.lo}, ${ci.hi}], scipy [${lo}, ${hi}]`);
  }
  // scipy: binomtest(7, 12).proportion_ci(confidence_level=0.9, method='exact')
  const c90 = clopperPearson(7, 12, 0.9);
  assert.ok(Math.abs(c90.lo - 0.31523779072445207) < 1e-9 && Math.abs(c90.hi - 0.8189752427576791) < 1e-9);
});

test('hand-derived cases: k = 0 and k = n have closed forms; the beta CDF of integer parameters is a binomial sum', () => {
  // k = 0: upper end solves (1 − p)^n = α/2, so p = 1 − 0.025^(1/n); k = n: lower end = 0.025^(1/n).
  for (const n of [1, 5, 40, 123]) {
    assert.ok(Math.abs(clopperPearson(0, n).hi - (1 - 0.025 ** (1 / n))) < 1e-11);
    assert.ok(Math.abs(clopperPearson(n, n).lo - 0.025 ** (1 / n)) < 1e-11);
  }
  // I_x(a, b) with integers = P(Binomial(a + b − 1, x) ≥ a): I_0.3(2, 3) = 1 − 0.7^4 − 4·0.3·0.7^3 = 0.3483.
  assert.ok(Math.abs(betaCdf(0.3, 2, 3) - (1 - 0.7 ** 4 - 4 * 0.3 * 0.7 ** 3)) < 1e-13);
  // scipy: beta.cdf(0.3, 2.5, 4.0), beta.cdf(0.9, 50, 3), beta.ppf(0.025, 33, 8)
  assert.ok(Math.abs(betaCdf(0.3, 2.5, 4) - 0.3521975859067672) < 1e-12);
  assert.ok(Math.abs(betaCdf(0.9, 50, 3) - 0.09663328513725222) < 1e-12);
  assert.ok(Math.abs(betaQuantile(0.025, 33, 8) - 0.6722098666384142) < 1e-10);
  // Γ(5) = 24, Γ(0.5) = √π.
  assert.ok(Math.abs(lnGamma(5) - Math.log(24)) < 1e-13);
  assert.ok(Math.abs(lnGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-13);
  assert.equal(accuracyInterval(null, 10), null);
  assert.deepEqual(accuracyInterval(0.825, 40), clopperPearson(33, 40));
  assert.throws(() => clopperPearson(5, 4), /k must be an integer in \[0, 4\], got 5/);
});

test('every probe result carries intervals over its own counts and a validation accuracy from the training pairs', () => {
  // 40 pairs in 2-D: class 1 at (+1, ·), class 0 at (−1, ·), with 6 pairs flipped so accuracy is not perfect.
  const n = 40;
  const data = new Float32Array(4 * n);
  const y = new Uint8Array(2 * n);
  const pair = new Int32Array(2 * n);
  for (let p = 0; p < n; p++) {
    const flip = p % 7 === 3 ? -1 : 1;
    data.set([flip * (1 + (p % 5) / 10), (p % 3) - 1], 4 * p);
    data.set([-flip * (1 + (p % 4) / 10), (p % 2) - 0.5], 4 * p + 2);
    y[2 * p] = 1;
    pair[2 * p] = pair[2 * p + 1] = p;
  }
  const r = probeLayer({ X: matrix(2 * n, 2, data), y, pair }, 3, { probe: 'mm', testFrac: 0.25, seed: 1 });
  assert.equal(r.n_test_pairs, 10);
  assert.equal(r.n_val_pairs, 8); // round(0.25 · 30)
  const k = Math.round(r.test_acc! * 20);
  assert.deepEqual(r.test_acc_ci, clopperPearson(k, 20));
  assert.deepEqual(r.train_acc_ci, clopperPearson(Math.round(r.train_acc * 60), 60));
  assert.deepEqual(r.test_pair_acc_ci, clopperPearson(Math.round(r.test_pair_acc! * 10), 10));
  assert.ok(r.val_acc !== null && r.val_acc >= 0 && r.val_acc <= 1);
  assert.deepEqual(r.val_acc_ci, clopperPearson(Math.round(r.val_acc * 16), 16));
  const none = probeLayer({ X: matrix(2 * n, 2, data), y, pair }, 3, { probe: 'mm', testFrac: 0.25, seed: 1, valFrac: 0 });
  assert.equal(none.val_acc, null);
  assert.equal(none.n_val_pairs, 0);
  assert.equal(none.test_acc, r.test_acc, 'the reported probe trains on every training pair either way');
});
