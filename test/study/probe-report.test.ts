// The report's probe section shows an interval on every accuracy, says how the best layer was chosen, and explains a
// training accuracy below the held-out one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clopperPearson } from '../../lib/probes/index';
import { probesFigure } from '../../lib/study/figures';
import { probesSection } from '../../lib/study/probe-report';
import type { ProbeSummary } from '../../lib/study/study';
import { buildReport } from '../../lib/report/index';

function result(layer: number, train: number, test: number, val: number | null, kind: 'lr' | 'mm' = 'lr'): ProbeSummary {
  return {
    layer, probe: kind, n_train_pairs: 30, n_test_pairs: 10, train_acc: train, test_acc: test,
    confusion: [[5, 5], [5, 5]], train_confusion: [[15, 15], [15, 15]], train_pair_acc: train, test_pair_acc: test,
    train_acc_ci: clopperPearson(Math.round(train * 60), 60), test_acc_ci: clopperPearson(Math.round(test * 20), 20),
    test_pair_acc_ci: clopperPearson(Math.round(test * 10), 10), n_val_pairs: val === null ? 0 : 8, val_acc: val,
    val_acc_ci: val === null ? null : clopperPearson(Math.round(val * 16), 16), direction_norm: 1, bias: 0, cos_mean_diff: 0.5, info: {}, seconds: 0,
  };
}

test('best layer is picked on the validation split, not on the held-out accuracy; intervals are printed', () => {
  // Layer 1 has the best held-out accuracy, layer 0 the best validation accuracy.
  const probes = { lr: [result(0, 0.9, 0.7, 0.875), result(1, 0.9, 0.9, 0.5)], mm: [result(0, 0.6, 0.8, 0.75, 'mm'), result(1, 0.7, 0.6, 0.6, 'mm')] };
  const s = probesSection(probes, ['lr', 'mm'], [0, 1], []);
  assert.match(s.text!, /Best logistic regression \(L-BFGS\) layer: \*\*0\*\*, chosen by its accuracy on a validation split \(8 of the training pairs/);
  // 0.7 of 20 texts = 14/20: scipy binomtest(14, 20) exact interval 0.4572–0.8811.
  assert.match(s.text!, /70\.0% \(95% interval 45\.7–88\.1%\)/);
  assert.match(s.text!, /Training accuracy below held-out\*\* at 1 \(probe, layer\) result \(e\.g\. mass-mean at layer 0: 60\.0% on training texts vs 80\.0% held out\)/);
  assert.match(s.text!, /mass-mean is not fit to the training texts/);
  assert.match(s.text!, /this run does not standardise/);
  const html = buildReport({ title: 't', sections: [s], generated: null });
  assert.match(html, /0\.700 \[0\.46–0\.88\] \(0\.50\)/);
  const fig = probesFigure(probes);
  const held = fig.data.find((t) => t.name === 'logistic regression (L-BFGS) — held-out')!;
  assert.deepEqual((held.error_y as { arrayminus: number[] }).arrayminus.map((v) => Number(v.toFixed(4))), [0.7 - 0.4572, 0.9 - 0.6830].map((v) => Number(v.toFixed(4))));
});

test('without a validation split the report says the best layer is optimistic', () => {
  const s = probesSection({ lr: [result(0, 0.9, 0.7, null), result(1, 0.95, 0.9, null)] }, ['lr'], [0, 1], []);
  assert.match(s.text!, /layer: \*\*1\*\*, chosen on the held-out split itself, so its held-out accuracy is optimistic \(the best of 2 layers/);
  assert.doesNotMatch(s.text!, /Training accuracy below held-out/);
});
