// Resume rules with an in-process backend (no network): limits, refusals to mix setups, changed inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JudgeBackend } from '../../lib/judge/backends';
import { judgeResults } from '../../lib/judge/judge';
import type { ChatMessage } from '../../lib/judge/rubric';
import { fakeReply, writeResultsDir } from './loopback';

function fakeBackend(model = 'inproc'): JudgeBackend & { asked: number[] } {
  const asked: number[] = [];
  return {
    name: 'fake', model, asked,
    async chat(messages: ChatMessage[]) {
      const k = Number(/#(\d+)/.exec(messages[1].content)![1]);
      asked.push(k);
      return { text: fakeReply(k, false), finishReason: 'stop' };
    },
  };
}

test('--limit scores a prefix; a later run completes the rest without redoing it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'judge-resume-'));
  writeResultsDir(join(root, 'r'), [4], 5);
  const out = join(root, 'out');
  const b = fakeBackend();
  const first = await judgeResults({ results: join(root, 'r'), out, backend: b, limit: 2, concurrency: 1, quiet: true });
  assert.deepEqual(b.asked, [0, 1]);
  assert.equal(first.files[0].complete, false);
  assert.equal(first.files[0].totals.n_pending, 3);
  const second = await judgeResults({ results: join(root, 'r'), out, backend: b, concurrency: 1, quiet: true });
  assert.deepEqual(b.asked, [0, 1, 2, 3, 4]);
  assert.equal(second.resumed, 2);
  assert.equal(second.files[0].complete, true);
  assert.deepEqual(second.files[0].totals, {
    total_answer_plus_score: 10, total_answer_minus_score: 15, Total_number_none: 0,
    n_items: 5, n_scored: 5, n_parse_errors: 0, n_request_errors: 0, n_pending: 0,
  });
  const third = await judgeResults({ results: join(root, 'r'), out, backend: b, quiet: true });
  assert.equal(b.asked.length, 5, 'a finished output folder asks nothing');
  assert.equal(third.replies, 0);
});

test('an output folder made with another judge model, rubric or results file is refused with a clear error', async () => {
  const root = mkdtempSync(join(tmpdir(), 'judge-refuse-'));
  const files = writeResultsDir(join(root, 'r'), [4], 2);
  const out = join(root, 'out');
  await judgeResults({ results: join(root, 'r'), out, backend: fakeBackend(), quiet: true });
  await assert.rejects(judgeResults({ results: join(root, 'r'), out, backend: fakeBackend('other-model'), quiet: true }),
    /AT_sentence_results_tiny_40_4\.scores\.json holds scores from another judge setup \(fake inproc study-0-5@1 item\); this run is fake other-model study-0-5@1 item: use another --out/);
  await assert.rejects(judgeResults({ results: join(root, 'r'), out, backend: fakeBackend(), rubric: 'caa-0-10', quiet: true }),
    /another judge setup .* this run is fake inproc caa-0-10@1 item/);
  const p = join(root, 'r', files[0]);
  const items = JSON.parse(readFileSync(p, 'utf8'));
  items[1].answer_plus = ' changed';
  writeFileSync(p, JSON.stringify(items));
  await assert.rejects(judgeResults({ results: join(root, 'r'), out, backend: fakeBackend(), quiet: true }),
    /results file AT_sentence_results_tiny_40_4\.json changed since it was scored \(sha256 differs\); use another --out/);
});

test('judge outputs written inside the results folder are not taken for results files', async () => {
  const root = mkdtempSync(join(tmpdir(), 'judge-inside-'));
  writeResultsDir(root, [1], 2);
  await judgeResults({ results: root, out: root, backend: fakeBackend(), quiet: true });
  const again = await judgeResults({ results: root, out: root, backend: fakeBackend(), quiet: true });
  assert.deepEqual(again.files.map((f) => f.stem), ['AT_sentence_results_tiny_40_1']);
});
