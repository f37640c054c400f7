// The anthropic backend driven through the real `@anthropic-ai/sdk` against a loopback Messages API server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnthropicBackend } from '../../lib/judge/backends';
import { judgeResults } from '../../lib/judge/judge';
import { loadRubric } from '../../lib/judge/rubric';
import { fakeReply, startLoopback, writeResultsDir, type Action } from './loopback';

const KEY = 'sk-ant-loopback-SECRET-9876543210';

test('anthropic backend: system prompt, key header, 429 with retry-after, 529 overloaded, prose; exact scores; key in no file', async (t) => {
  process.env.ANTHROPIC_API_KEY = KEY;
  t.after(() => { delete process.env.ANTHROPIC_API_KEY; });
  const perItem = new Map<number, number>();
  const server = await startLoopback('anthropic', (req): Action => {
    const c = perItem.get(req.item) ?? 0;
    perItem.set(req.item, c + 1);
    // This SDK version sends the key as a bearer token; older ones used x-api-key.
    const auth = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
    if (auth !== KEY || !req.path.endsWith('/v1/messages')) return { status: 401 };
    if (req.item === 0 && c === 0) return { status: 429, headers: { 'retry-after': '1' } };
    if (req.item === 1 && c === 0) return { status: 529 };
    if (req.item === 2) return { reply: `I would rate these as follows: ${fakeReply(2, true)}.` };
    return { reply: fakeReply(req.item, true) };
  });
  t.after(() => server.close());
  const root = mkdtempSync(join(tmpdir(), 'judge-anthropic-'));
  writeResultsDir(join(root, 'results'), [0], 4, { control: true, multiplier: 2 });
  const slept: number[] = [];
  const backend = await createAnthropicBackend({ model: 'claude-fake', baseURL: server.url, timeoutMs: 2000 });
  const report = await judgeResults({
    results: join(root, 'results'), out: join(root, 'out'), backend, rubric: 'study-0-5', concurrency: 2, maxTokens: 100,
    retry: { baseDelayMs: 10, random: () => 0.5, sleep: async (ms) => { slept.push(ms); } }, quiet: true, log: () => {},
  });
  assert.deepEqual([...slept].sort((a, b) => a - b), [8, 1000]);
  const first = server.requests.find((r) => r.item === 3)!;
  assert.equal(first.body.system, loadRubric().system);
  assert.equal(first.body.model, 'claude-fake');
  assert.equal(first.body.max_tokens, 100);
  assert.deepEqual(first.body.messages.map((m: any) => m.role), ['user']);
  const doc = JSON.parse(readFileSync(join(root, 'out', 'AT_sentence_results_tiny_40_0.scores.json'), 'utf8'));
  assert.deepEqual(doc.scores.map((r: any) => [r.answer_plus_score, r.answer_minus_score, r.answer_control_score, r.status, r.replies]),
    [[0, 5, 0, 'ok', 1], [1, 4, 0, 'ok', 1], [2, 3, 0, 'ok', 1], [3, 2, 0, 'ok', 1]]);
  assert.deepEqual(report.files[0].totals, {
    total_answer_plus_score: 6, total_answer_minus_score: 14, total_answer_control_score: 0, Total_number_none: 0,
    n_items: 4, n_scored: 4, n_parse_errors: 0, n_request_errors: 0, n_pending: 0,
  });
  const raw = readFileSync(join(root, 'out', 'AT_sentence_results_tiny_40_0.raw.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(raw.filter((r) => r.item === 2).map((r) => [r.reply, r.id, r.finish_reason]), [[`I would rate these as follows: ${fakeReply(2, true)}.`, raw.find((r) => r.item === 2).id, 'end_turn']]);
  assert.match(raw.find((r) => r.item === 2).id, /^msg_\d+$/);
  const text = readdirSync(join(root, 'out')).map((f) => readFileSync(join(root, 'out', f), 'utf8')).join('\n');
  assert.ok(!text.includes(KEY));
  await assert.rejects(createAnthropicBackend({ env: {} }), /ANTHROPIC_API_KEY is not set/);
});
