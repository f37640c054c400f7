// The openai backend driven through the real `openai` SDK against a loopback chat-completions server with faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAIBackend } from '../../lib/judge/backends';
import { judgeResults, type ScoreRecord } from '../../lib/judge/judge';
import { interactionKey } from '../../lib/judge/judge';
import { studentTQuantile } from '../../lib/linalg/stats';
import { fakeReply, fixtureItem, startLoopback, writeResultsDir, type Action } from './loopback';

const KEY = 'sk-loopback-SECRET-0123456789abcdef';

function allOutputText(dir: string): string {
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
}

function rawLines(path: string): any[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

test('every fault: 429 + Retry-After, 500, hung response, malformed JSON, prose, out of range; exact outputs; resume redoes only request errors', async (t) => {
  process.env.OPENAI_API_KEY = KEY;
  t.after(() => { delete process.env.OPENAI_API_KEY; });
  let healthy8 = false;
  const perItem = new Map<number, number>();
  const server = await startLoopback('openai', (req): Action => {
    const c = perItem.get(req.item) ?? 0;
    perItem.set(req.item, c + 1);
    if (req.headers.authorization !== `Bearer ${KEY}`) return { status: 401 };
    switch (req.item) {
      case 1: return c === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { reply: fakeReply(1, false) };
      case 2: return c < 2 ? { status: 500 } : { reply: fakeReply(2, false) };
      case 3: return c === 0 ? { hang: true } : { reply: fakeReply(3, false) };
      case 4: return c === 0 ? { reply: '{"answer_plus_score": 4, "answer_minus_score": ' } : { reply: fakeReply(4, false) };
      case 5: return { reply: `Sure! Here are my scores.\n\`\`\`json\n${fakeReply(5, false)}\n\`\`\`\nHope this helps.` };
      case 6: return { reply: c === 0 ? '{"answer_plus_score": 9, "answer_minus_score": 1}' : '{"answer_plus_score": 7, "answer_minus_score": 1}' };
      case 7: return { reply: '{"answer_plus_score": "N/A", "answer_minus_score": "None"}' };
      case 8: return healthy8 ? { reply: fakeReply(8, false) }
        : { status: 503, json: { error: { message: `upstream down (key ${KEY})`, type: 'server_error' } } };
      case 9: return { reply: "{'answer_plus_score': 3, 'answer_minus_score': None}" };
      default: return { reply: fakeReply(req.item, false) };
    }
  });
  t.after(() => server.close());

  const root = mkdtempSync(join(tmpdir(), 'judge-openai-'));
  const results = join(root, 'results');
  writeResultsDir(results, [5], 10, { multiplier: 8 });
  const out = join(root, 'out');
  const slept: number[] = [];
  const retry = { baseDelayMs: 10, maxDelayMs: 1000, maxRetries: 2, maxTotalMs: 60_000, random: () => 0.5, sleep: async (ms: number) => { slept.push(ms); } };
  const backend = await createOpenAIBackend({ model: 'fake-judge', baseURL: server.url, timeoutMs: 300 });
  const report = await judgeResults({ results, out, backend, concurrency: 3, retry, quiet: true, log: () => {} });

  // Retry waits: Retry-After 2 s for item 1; backoff 3/4 * 10 * 2^k for the 500s (item 2), the timeout (item 3) and item 8.
  assert.deepEqual([...slept].sort((a, b) => a - b), [8, 8, 8, 15, 15, 2000]);
  const counts = Object.fromEntries([...perItem].sort((a, b) => a[0] - b[0]));
  assert.deepEqual(counts, { 0: 1, 1: 2, 2: 3, 3: 2, 4: 2, 5: 1, 6: 2, 7: 1, 8: 3, 9: 1 });
  assert.equal(report.replies, 11);

  const file = 'AT_sentence_results_tiny_40_5';
  const doc = JSON.parse(readFileSync(join(out, `${file}.scores.json`), 'utf8'));
  const items = Array.from({ length: 10 }, (_, k) => fixtureItem(k));
  const rec = (k: number, plus: number | null, minus: number | null, status: string, replies: number, error?: string): ScoreRecord =>
    ({ sentence: items[k].sentence, answer_plus_score: plus, answer_minus_score: minus, index: k, key: interactionKey(items[k]), status, ...(error ? { error } : {}), replies } as ScoreRecord);
  const err8 = doc.scores[8].error;
  assert.match(err8, /^503 upstream down \(key \[redacted\]\) \(gave up after 3 attempts\)$/);
  assert.deepEqual(doc.scores, [
    rec(0, 0, 5, 'ok', 1), rec(1, 1, 4, 'ok', 1), rec(2, 2, 3, 'ok', 1), rec(3, 3, 2, 'ok', 1), rec(4, 4, 1, 'ok', 2),
    rec(5, 5, 0, 'ok', 1), rec(6, null, null, 'parse_error', 2, 'answer_plus_score = 7 is out of range 0..5'),
    rec(7, null, null, 'ok', 1), rec(8, null, null, 'request_error', 0, err8), rec(9, 3, null, 'ok', 1),
  ]);
  assert.deepEqual(doc.totals, {
    total_answer_plus_score: 18, total_answer_minus_score: 15, Total_number_none: 3,
    n_items: 10, n_scored: 8, n_parse_errors: 1, n_request_errors: 1, n_pending: 0,
  });
  assert.equal(doc.complete, false);
  assert.deepEqual(doc.judge, { backend: 'openai', model: 'fake-judge', base_url: server.url, rubric: doc.judge.rubric, mode: 'item' });
  assert.equal(doc.judge.rubric.id, 'study-0-5');
  assert.deepEqual(doc.steering, { model: 'tiny', pairs: 40, layer: 5, multiplier: 8 });

  // The repair request replays the bad reply and names the problem.
  const repair4 = server.requests.find((r) => r.item === 4 && r.turns === 4)!;
  assert.equal(repair4.body.messages[2].role, 'assistant');
  assert.equal(repair4.body.messages[2].content, '{"answer_plus_score": 4, "answer_minus_score": ');
  assert.match(repair4.body.messages[3].content, /^Your previous reply could not be used: malformed JSON: /);
  assert.equal(repair4.body.temperature, 0);
  assert.equal(repair4.body.model, 'fake-judge');

  // Raw replies: every reply (and the request error) is kept, in JSONL.
  const raw = rawLines(join(out, `${file}.raw.jsonl`));
  const byItem = (k: number) => raw.filter((r) => r.item === k);
  assert.deepEqual(Array.from({ length: 10 }, (_, k) => byItem(k).length), [1, 1, 1, 1, 2, 1, 2, 1, 1, 1]);
  assert.equal(byItem(5)[0].reply, `Sure! Here are my scores.\n\`\`\`json\n${fakeReply(5, false)}\n\`\`\`\nHope this helps.`);
  assert.deepEqual(byItem(6).map((r) => [r.reply, r.outcome, r.error, r.final]), [
    ['{"answer_plus_score": 9, "answer_minus_score": 1}', 'invalid', 'answer_plus_score = 9 is out of range 0..5', false],
    ['{"answer_plus_score": 7, "answer_minus_score": 1}', 'invalid', 'answer_plus_score = 7 is out of range 0..5', true],
  ]);
  assert.deepEqual([byItem(8)[0].reply, byItem(8)[0].outcome], [null, 'request_error']);

  // Summary: means with Student-t 95% intervals per layer and signed multiplier.
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const plus = summary.rows.find((r: any) => r.arm === 'plus');
  const minus = summary.rows.find((r: any) => r.arm === 'minus');
  assert.deepEqual([plus.layer, plus.multiplier, plus.n_items, plus.n_scored, plus.n_none, plus.n_errors], [5, 8, 10, 7, 1, 2]);
  assert.equal(plus.mean, 18 / 7);
  assert.deepEqual([minus.multiplier, minus.n_scored, minus.n_none, minus.mean], [-8, 6, 2, 2.5]);
  assert.ok(Math.abs(minus.sd - Math.sqrt(3.5)) < 1e-15);
  const half = studentTQuantile(0.975, 5) * Math.sqrt(3.5) / Math.sqrt(6);
  assert.ok(Math.abs(minus.ci95_low - (2.5 - half)) < 1e-12 && Math.abs(minus.ci95_high - (2.5 + half)) < 1e-12);
  assert.equal(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0], 'model,layer,multiplier,arm,n_items,n_scored,n_none,n_errors,mean,sd,ci95_low,ci95_high,files');

  // The key never reaches a file (the server even echoed it in an error message).
  assert.ok(!allOutputText(out).includes(KEY));

  // Resume: only the request error is re-requested; parse errors and scores stay.
  healthy8 = true;
  const before = server.requests.length;
  const again = await judgeResults({ results, out, backend, concurrency: 3, retry, quiet: true, log: () => {} });
  assert.deepEqual(server.requests.slice(before).map((r) => r.item), [8]);
  assert.equal(again.resumed, 9);
  const doc2 = JSON.parse(readFileSync(join(out, `${file}.scores.json`), 'utf8'));
  assert.deepEqual(doc2.scores[8], rec(8, 2, 3, 'ok', 1));
  assert.deepEqual(doc2.scores.slice(0, 8), doc.scores.slice(0, 8));
  assert.equal(doc2.totals.total_answer_plus_score, 20);
  assert.equal(doc2.totals.total_answer_minus_score, 18);
  assert.equal(rawLines(join(out, `${file}.raw.jsonl`)).filter((r) => r.item === 8).length, 2);

  // --retry-failed re-asks the parse error only.
  const before2 = server.requests.length;
  await judgeResults({ results, out, backend, retryFailed: true, retry, quiet: true, log: () => {} });
  assert.deepEqual(server.requests.slice(before2).map((r) => [r.item, r.turns]), [[6, 2], [6, 4]]);
  assert.ok(!allOutputText(out).includes(KEY));
});

test('whole-file mode: one request per file, a wrong count is repaired, control answers are scored', async (t) => {
  process.env.OPENAI_API_KEY = KEY;
  t.after(() => { delete process.env.OPENAI_API_KEY; });
  const server = await startLoopback('openai', (req): Action => {
    const scores = Array.from({ length: 3 }, (_, k) => JSON.parse(fakeReply(k, true)));
    return { reply: req.turns === 2 ? JSON.stringify({ scores: scores.slice(0, 2) }) : `OK: ${JSON.stringify({ scores })}` };
  });
  t.after(() => server.close());
  const root = mkdtempSync(join(tmpdir(), 'judge-file-'));
  writeResultsDir(join(root, 'results'), [2], 3, { control: true, multiplier: 4 });
  const backend = await createOpenAIBackend({ model: 'fake-judge', baseURL: server.url, timeoutMs: 2000 });
  const report = await judgeResults({ results: join(root, 'results'), out: join(root, 'out'), backend, mode: 'file', quiet: true, log: () => {} });
  assert.equal(server.requests.length, 2);
  assert.match(server.requests[0].body.messages[1].content, /^Below is a JSON list of 3 interactions\./);
  assert.equal(server.requests[1].body.messages[3].content.split('\n')[0], 'Your previous reply could not be used: expected 3 score objects, got 2');
  assert.equal(server.requests[0].body.max_tokens, 3 * 256);
  const doc = JSON.parse(readFileSync(join(root, 'out', 'AT_sentence_results_tiny_40_2.scores.json'), 'utf8'));
  assert.deepEqual(doc.scores.map((r: any) => [r.answer_plus_score, r.answer_minus_score, r.answer_control_score, r.status, r.replies]),
    [[0, 5, 0, 'ok', 2], [1, 4, 0, 'ok', 2], [2, 3, 0, 'ok', 2]]);
  assert.deepEqual(report.files[0].totals, {
    total_answer_plus_score: 3, total_answer_minus_score: 12, total_answer_control_score: 0, Total_number_none: 0,
    n_items: 3, n_scored: 3, n_parse_errors: 0, n_request_errors: 0, n_pending: 0,
  });
  assert.deepEqual(report.summary.map((r) => [r.multiplier, r.arm, r.mean]), [[-4, 'minus', 4], [0, 'control', 0], [4, 'plus', 1]]);
  const raw = rawLines(join(root, 'out', 'AT_sentence_results_tiny_40_2.raw.jsonl'));
  assert.deepEqual(raw.map((r) => [r.item, r.attempt, r.outcome]), [['all', 0, 'invalid'], ['all', 1, 'ok']]);
});

test('a rejected key stops the run with one clear error; nothing is lost', async (t) => {
  process.env.OPENAI_API_KEY = KEY;
  t.after(() => { delete process.env.OPENAI_API_KEY; });
  const server = await startLoopback('openai', () => ({ status: 401, json: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } }));
  t.after(() => server.close());
  const root = mkdtempSync(join(tmpdir(), 'judge-401-'));
  writeResultsDir(join(root, 'results'), [1], 6);
  const backend = await createOpenAIBackend({ model: 'fake-judge', baseURL: server.url, timeoutMs: 2000 });
  await assert.rejects(judgeResults({ results: join(root, 'results'), out: join(root, 'out'), backend, concurrency: 2, quiet: true, log: () => {} }),
    /^Error: judge stopped: 401 Incorrect API key provided$/);
  assert.ok(server.requests.length <= 2, `${server.requests.length} requests after a 401`);
  const doc = JSON.parse(readFileSync(join(root, 'out', 'AT_sentence_results_tiny_40_1.scores.json'), 'utf8'));
  assert.deepEqual(doc.scores, []);
  assert.equal(doc.totals.n_pending, 6);
  await assert.rejects(createOpenAIBackend({ model: 'm', env: {} }), /OPENAI_API_KEY is not set/);
});

test('json mode and max_completion_tokens reach the server; a spec builds (and closes) the backend itself', async (t) => {
  process.env.OPENAI_API_KEY = KEY;
  t.after(() => { delete process.env.OPENAI_API_KEY; });
  const server = await startLoopback('openai', (req): Action => ({ reply: fakeReply(req.item, false) }));
  t.after(() => server.close());
  const root = mkdtempSync(join(tmpdir(), 'judge-spec-'));
  writeResultsDir(join(root, 'results'), [3], 1);
  const report = await judgeResults({
    results: join(root, 'results'), out: join(root, 'out'), quiet: true, jsonMode: true, maxTokens: 77,
    backend: { backend: 'openai', model: 'spec-model', baseURL: server.url, maxTokensField: 'max_completion_tokens' },
  });
  const body = server.requests[0].body;
  assert.deepEqual(body.response_format, { type: 'json_object' });
  assert.equal(body.max_completion_tokens, 77);
  assert.equal(body.max_tokens, undefined);
  assert.equal(body.model, 'spec-model');
  assert.equal(report.files[0].totals.n_scored, 1);
});

test('a 200 response with a torn or non-JSON body is retried like a 5xx', async (t) => {
  process.env.OPENAI_API_KEY = KEY;
  t.after(() => { delete process.env.OPENAI_API_KEY; });
  const server = await startLoopback('openai', (req): Action =>
    req.n === 0 ? { raw: '{"id": "chatcmpl-0", "choices": [' } : req.n === 1 ? { raw: '<html>bad gateway</html>' } : { reply: fakeReply(req.item, false) });
  t.after(() => server.close());
  const root = mkdtempSync(join(tmpdir(), 'judge-torn-'));
  writeResultsDir(join(root, 'results'), [3], 1);
  const slept: number[] = [];
  const backend = await createOpenAIBackend({ model: 'm', baseURL: server.url, timeoutMs: 2000 });
  const report = await judgeResults({
    results: join(root, 'results'), out: join(root, 'out'), backend, quiet: true,
    retry: { baseDelayMs: 10, random: () => 0.5, sleep: async (ms) => { slept.push(ms); } },
  });
  assert.equal(server.requests.length, 3);
  assert.deepEqual(slept, [8, 15]);
  assert.equal(report.files[0].totals.total_answer_plus_score, 0);
  assert.equal(report.files[0].totals.total_answer_minus_score, 5);
  assert.equal(report.files[0].totals.n_scored, 1);
});
