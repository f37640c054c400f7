import { test } from 'node:test';
import assert from 'node:assert/strict';
import { betaCdf, lnGamma } from '../../lib/linalg/special';
import { meanCI, percentileSorted, studentTCdf, studentTQuantile, tInterval } from '../../lib/linalg/stats';
import { pythonReference } from '../reference';

// Independent reference: scipy.stats (Debian python3-scipy), recorded as fixtures by `npm run fixtures`.
function scipy(key: string, code: string): any {
  return pythonReference(`judge/${key}`, code);
}

const DFS = [1, 2, 3, 4, 5, 7, 10, 29, 30, 100, 1000];
const PS = [0.6, 0.8, 0.975, 0.995, 0.025];

test('Student t quantiles equal scipy.stats.t.ppf, and scipy.stats.t.cdf maps them back to p', () => {
  const ours = DFS.map((df) => PS.map((p) => studentTQuantile(p, df)));
  const ref = scipy('student-t-ppf-cdf', `import json; from scipy import stats; q = ${JSON.stringify(ours)}
print(json.dumps({'ppf': [[float(stats.t.ppf(p, df)) for p in ${JSON.stringify(PS)}] for df in ${JSON.stringify(DFS)}],
  'cdf': [[float(stats.t.cdf(q[i][j], df)) for j in range(${PS.length})] for i, df in enumerate(${JSON.stringify(DFS)})]}))`);
  DFS.forEach((df, i) => PS.forEach((p, j) => {
    // scipy's ppf itself is accurate to ~1e-9 (e.g. df=6, 0.975: 2.4469118487916806 vs the tabulated 2.4469118511449692).
    assert.ok(Math.abs(ours[i][j] - ref.ppf[i][j]) <= 1e-8 * Math.abs(ref.ppf[i][j]), `df=${df} p=${p}: ${ours[i][j]} vs ${ref.ppf[i][j]}`);
    assert.ok(Math.abs(ref.cdf[i][j] - p) < 1e-12, `df=${df} p=${p}: scipy cdf of our quantile = ${ref.cdf[i][j]}`);
  }));
  // Tabulated value (Abramowitz & Stegun 26.10 / any t table to 10 digits).
  assert.ok(Math.abs(studentTQuantile(0.975, 6) - 2.446911851) < 1e-9);
});

test('Student t CDF, incomplete beta and lnGamma equal scipy', () => {
  const ref = scipy('student-t-beta-lgamma', `import json, math; from scipy import stats, special; print(json.dumps({
    'cdf': [float(stats.t.cdf(x, df)) for x, df in [(0.3, 1), (-2.0, 3), (1.7, 12), (4.0, 50)]],
    'beta': [float(special.betainc(a, b, x)) for a, b, x in [(0.5, 0.5, 0.3), (2.5, 0.5, 0.9), (15.0, 0.5, 0.2)]],
    'lg': [math.lgamma(x) for x in [0.5, 1.0, 3.7, 10.25, 171.3]]}))`);
  [[0.3, 1], [-2.0, 3], [1.7, 12], [4.0, 50]].forEach(([x, df], i) => assert.ok(Math.abs(studentTCdf(x, df) - ref.cdf[i]) < 1e-12, `cdf ${x} ${df}`));
  [[0.5, 0.5, 0.3], [2.5, 0.5, 0.9], [15, 0.5, 0.2]].forEach(([a, b, x], i) => assert.ok(Math.abs(betaCdf(x, a, b) - ref.beta[i]) < 1e-12, `beta ${a} ${b} ${x}`));
  [0.5, 1.0, 3.7, 10.25, 171.3].forEach((x, i) => assert.ok(Math.abs(lnGamma(x) - ref.lg[i]) <= 1e-12 * Math.max(1, Math.abs(ref.lg[i])), `lgamma ${x}`));
});

test('meanCI equals scipy.stats.t.interval and hand values', () => {
  const xs = [0, 1, 2, 3, 4, 5, 3];
  const ref = scipy('mean-ci', `import json, numpy as np; from scipy import stats; x = np.array(${JSON.stringify(xs)}, float);
lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x)); print(json.dumps([x.mean(), x.std(ddof=1), lo, hi]))`);
  const ci = meanCI(xs);
  assert.equal(ci.n, 7);
  assert.equal(ci.mean, 18 / 7);
  assert.ok(Math.abs(ci.sd! - ref[1]) < 1e-12);
  assert.ok(Math.abs(ci.low! - ref[2]) < 1e-8 && Math.abs(ci.high! - ref[3]) < 1e-8, `${ci.low} ${ci.high} vs ${ref[2]} ${ref[3]}`);
  // Hand: n = 2 -> t(0.975, 1) = 12.706204736432095 (tables), sd = |a - b| / sqrt 2.
  const two = meanCI([1, 3]);
  assert.equal(two.mean, 2);
  assert.ok(Math.abs(two.halfWidth! - 12.706204736432095 * Math.SQRT2 / Math.SQRT2) < 1e-9);
  assert.deepEqual(meanCI([]), { n: 0, mean: null, sd: null, halfWidth: null, low: null, high: null, level: 0.95 });
  assert.deepEqual(meanCI([4]), { n: 1, mean: 4, sd: null, halfWidth: null, low: null, high: null, level: 0.95 });
  const same = meanCI([2, 2, 2]);
  assert.equal(same.halfWidth, 0);
});

test('Student-t quantiles and CDF match scipy.stats.t', () => {
  const cases: [number, number][] = [[0.975, 1], [0.975, 2], [0.975, 9], [0.995, 29], [0.9, 4.5], [0.025, 12], [0.975, 2999]];
  const ref = pythonReference<[number, number][]>('mlp/student-t-scipy', `import json, sys
from scipy.stats import t
c = json.load(sys.stdin)
print(json.dumps([[t.ppf(p, df), t.cdf(1.3, df)] for p, df in c]))`, cases);
  cases.forEach(([p, df], k) => {
    assert.ok(Math.abs(studentTQuantile(p, df) - ref[k][0]) < 1e-8 * Math.max(1, Math.abs(ref[k][0])), `ppf(${p}, ${df}) = ${studentTQuantile(p, df)} vs ${ref[k][0]}`);
    assert.ok(Math.abs(studentTCdf(1.3, df) - ref[k][1]) < 1e-10);
  });
  // hand-checked: 95% t interval of [1, 2, 3, 4]: mean 2.5, se = sqrt(5/3)/2, t(0.975, 3) = 3.182446305
  const ti = tInterval([1, 2, 3, 4]);
  assert.ok(Math.abs(ti.mean - 2.5) < 1e-15);
  assert.ok(Math.abs(ti.se - Math.sqrt(5 / 3) / 2) < 1e-15);
  assert.ok(Math.abs(ti.hi - (2.5 + 3.182446305284263 * ti.se)) < 1e-9);
  assert.equal(percentileSorted([1, 2, 3, 4, 5], 25), 2);
  assert.equal(percentileSorted([0, 10], 30), 3);
});
