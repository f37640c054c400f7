import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeTotals, interactionKey, judgePoints, loadJudgeSummary, summarize, summaryCsv, type ScoreRecord } from '../../lib/judge/judge';
import type { ResultsFile } from '../../lib/judge/results';
import type { Interaction } from '../../lib/judge/rubric';

const item = (k: number, control = false): Interaction => ({ sentence: `s${k}`, answer_plus: 'p', answer_minus: 'm', ...(control ? { answer_control: 'c' } : {}) });
const rec = (it: Interaction, index: number, status: ScoreRecord['status'], plus: number | null, minus: number | null, control?: number | null): ScoreRecord => ({
  sentence: it.sentence, answer_plus_score: plus, answer_minus_score: minus, ...(control !== undefined ? { answer_control_score: control } : {}),
  index, key: interactionKey(it), status, replies: 1,
});
const file = (rel: string, layer: number | null, multiplier: number | null, items: Interaction[]): ResultsFile =>
  ({ path: rel, rel, stem: rel, model: 'tiny', pairs: 4, layer, multiplier, items });

test('totals follow the study: sums over parsed answers, None counted, errors and pending kept apart', () => {
  const items = [item(0, true), item(1, true), item(2, true), item(3, true), item(4, true)];
  const recs = [rec(items[0], 0, 'ok', 5, 1, 2), rec(items[1], 1, 'ok', null, 0, null), rec(items[2], 2, 'parse_error', null, null, null), rec(items[3], 3, 'request_error', null, null, null), undefined];
  assert.deepEqual(computeTotals(items, recs), {
    total_answer_plus_score: 5, total_answer_minus_score: 1, total_answer_control_score: 2, Total_number_none: 2,
    n_items: 5, n_scored: 2, n_parse_errors: 1, n_request_errors: 1, n_pending: 1,
  });
});

test('summary rows: one per (model, layer, signed multiplier, arm), hand-checked means and intervals, sorted; plot points', () => {
  const a = [item(0, true), item(1, true), item(2, true)];
  const b = [item(3), item(4)];
  const c = [item(5)];
  const rows = summarize([
    { file: file('a.json', 3, 8, a), records: [rec(a[0], 0, 'ok', 4, 0, 1), rec(a[1], 1, 'ok', 2, 2, 1), rec(a[2], 2, 'ok', null, 1, 1)] },
    { file: file('b.json', 1, 8, b), records: [rec(b[0], 0, 'ok', 1, 0), rec(b[1], 1, 'parse_error', null, null)] },
    { file: file('c.json', 1, null, c), records: [rec(c[0], 0, 'ok', 3, 3)] },
  ]);
  const brief = rows.map((r) => [r.layer, r.multiplier, r.arm, r.n_items, r.n_scored, r.n_none, r.n_errors, r.mean, r.sd]);
  assert.deepEqual(brief, [
    [1, -8, 'minus', 2, 1, 0, 1, 0, null],
    [1, 8, 'plus', 2, 1, 0, 1, 1, null],
    [1, null, 'plus', 1, 1, 0, 0, 3, null],
    [1, null, 'minus', 1, 1, 0, 0, 3, null],
    [3, -8, 'minus', 3, 3, 0, 0, 1, 1],
    [3, 0, 'control', 3, 3, 0, 0, 1, 0],
    [3, 8, 'plus', 3, 2, 1, 0, 3, Math.SQRT2],
  ]);
  const plus3 = rows[6];
  // t(0.975, 1) = 12.706204736432095; sd/sqrt(n) = sqrt(2)/sqrt(2) = 1
  assert.ok(Math.abs(plus3.ci95_high! - (3 + 12.706204736432095)) < 1e-9 && Math.abs(plus3.ci95_low! - (3 - 12.706204736432095)) < 1e-9);
  assert.deepEqual([rows[5].ci95_low, rows[5].ci95_high], [1, 1]);
  assert.deepEqual(rows[0].files, ['b.json']);
  const csv = summaryCsv(rows).split('\n');
  assert.equal(csv[1], 'tiny,1,-8,minus,2,1,0,1,0,,,,b.json');
  assert.deepEqual(judgePoints(rows).map((p) => [p.series, p.multiplier, p.mean, p.n, p.ciLow === undefined]), [
    ['layer 1', -8, 0, 1, true], ['layer 1', 8, 1, 1, true], ['layer 3', -8, 1, 3, false], ['layer 3', 0, 1, 3, false], ['layer 3', 8, 3, 2, false],
  ]);
});

test('loadJudgeSummary refuses a folder without a judge summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'judge-sum-'));
  assert.throws(() => loadJudgeSummary(dir), /no judge summary here/);
  writeFileSync(join(dir, 'summary.json'), '{"format": "other"}');
  assert.throws(() => loadJudgeSummary(dir), /not a judge summary/);
});
