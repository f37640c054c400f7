// Kill-and-resume of `syco judge` (the real CLI in a child process) against a loopback OpenAI-protocol server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeReply, startLoopback, writeResultsDir, type Action } from './loopback';
import { runSyco, type ProcessResult } from '../helpers';

const KEY = 'sk-cli-SECRET-kill-resume-42';

type Run = ProcessResult;

function syco(args: string[], onSpawn?: (c: ChildProcess) => void): Promise<Run> {
  return runSyco(args, { env: { OPENAI_API_KEY: KEY, SYCO_QUIET: '0' }, onSpawn });
}

const rawSet = (dir: string, stem: string): string[] =>
  readFileSync(join(dir, `${stem}.raw.jsonl`), 'utf8').trim().split('\n').map((l) => {
    const r = JSON.parse(l);
    return JSON.stringify([r.file, r.item, r.key, r.attempt, r.reply, r.outcome, r.final, r.scores ?? null]);
  }).sort();

test('syco judge killed mid-run resumes without re-requesting finished items and ends equal to an uninterrupted run', async (t) => {
  let phase: 'kill' | 'normal' = 'kill';
  let served = 0;
  let child: ChildProcess | undefined;
  const server = await startLoopback('openai', (req): Action => {
    if (req.headers.authorization !== `Bearer ${KEY}`) return { status: 401 };
    if (phase === 'kill' && served >= 5) {
      child?.kill('SIGKILL');
      return { hang: true };
    }
    served++;
    // Item 7 needs a repair, so the log holds a two-reply item.
    if (req.item === 7 && req.turns === 2) return { reply: 'Scores: {"answer_plus_score": 6}' };
    return { reply: fakeReply(req.item, false) };
  });
  t.after(() => server.close());

  const root = mkdtempSync(join(tmpdir(), 'judge-cli-'));
  const results = join(root, 'results');
  writeResultsDir(results, [1, 2], 6, { multiplier: 3 });
  const stems = ['AT_sentence_results_tiny_40_1', 'AT_sentence_results_tiny_40_2'];
  const all = Array.from({ length: 12 }, (_, k) => k);
  const args = (out: string) => ['judge', '--results', results, '--backend', 'openai', '--model', 'fake-judge', '--base-url', server.url,
    '--concurrency', '2', '--timeout', '20', '--backoff-base', '10', '--out', out];

  // 1. Kill it after five replies.
  const outA = join(root, 'outA');
  const killed = await syco(args(outA), (c) => { child = c; });
  assert.equal(killed.signal, 'SIGKILL');
  // Done = in a scores file, or a final reply in a raw log (a kill between the two writes leaves only the latter).
  const done = new Set<number>();
  const inScores = new Set<number>();
  for (const [f, stem] of stems.entries()) {
    const doc = JSON.parse(readFileSync(join(outA, `${stem}.scores.json`), 'utf8'));
    for (const r of doc.scores) inScores.add(f * 6 + r.index);
    const rawPath = join(outA, `${stem}.raw.jsonl`);
    const lines = existsSync(rawPath) ? readFileSync(rawPath, 'utf8').trim().split('\n').filter(Boolean) : [];
    for (const line of lines) {
      const r = JSON.parse(line);
      if (r.final) done.add(f * 6 + r.item);
    }
  }
  for (const k of inScores) assert.ok(done.has(k), `item ${k} in the scores file but not final in the raw log`);
  assert.ok(done.size >= 3 && done.size <= 5, `done after kill: ${[...done]}`);

  // Make the crash harder: a torn last line in a raw log, and a reply that reached the raw log but not the scores file.
  const docA = JSON.parse(readFileSync(join(outA, `${stems[0]}.scores.json`), 'utf8'));
  const dropped = docA.scores.find((r: any) => r.status === 'ok');
  assert.ok(dropped, 'an ok record in the first file');
  docA.scores = docA.scores.filter((r: any) => r !== dropped);
  writeFileSync(join(outA, `${stems[0]}.scores.json`), JSON.stringify(docA, null, 2) + '\n');
  appendFileSync(join(outA, `${stems[0]}.raw.jsonl`), '{"file":"AT_sentence_results_tiny_40_1.json","item":');

  // 2. Resume.
  phase = 'normal';
  const before = server.requests.length;
  const resumed = await syco(args(outA));
  assert.equal(resumed.code, 0, resumed.stderr);
  const asked = new Set(server.requests.slice(before).map((r) => r.item));
  for (const k of done) assert.ok(!asked.has(k), `item ${k} was done but requested again`);
  assert.deepEqual([...new Set([...done, ...asked])].sort((a, b) => a - b), all);
  assert.match(resumed.stdout, new RegExp(`${done.size} interactions already done \\(${1 + done.size - inScores.size} recovered from raw logs\\)`));

  // 3. An uninterrupted run gives the same outputs.
  const outB = join(root, 'outB');
  const clean = await syco(args(outB));
  assert.equal(clean.code, 0, clean.stderr);
  for (const f of [...stems.map((s) => `${s}.scores.json`), 'summary.json', 'summary.csv', 'manifest.json']) {
    assert.equal(readFileSync(join(outA, f), 'utf8'), readFileSync(join(outB, f), 'utf8'), f);
  }
  for (const stem of stems) assert.deepEqual(rawSet(outA, stem), rawSet(outB, stem), stem);

  const scores = JSON.parse(readFileSync(join(outB, `${stems[1]}.scores.json`), 'utf8'));
  assert.deepEqual(scores.totals, {
    // items 6..11: plus k mod 6 = 0..5, minus 5 - (k mod 6) = 5..0
    total_answer_plus_score: 15,
    total_answer_minus_score: 15,
    Total_number_none: 0, n_items: 6, n_scored: 6, n_parse_errors: 0, n_request_errors: 0, n_pending: 0,
  });
  assert.equal(scores.scores[1].replies, 2);
  assert.match(clean.stdout, /AT_sentence_results_tiny_40_1: plus 15, minus 15, none 0, scored 6\/6, parse errors 0, request errors 0\n/);

  // The key is in no output file and in no log line.
  for (const out of [outA, outB]) {
    for (const f of readdirSync(out)) assert.ok(!readFileSync(join(out, f), 'utf8').includes(KEY), `${f} leaks the key`);
  }
  for (const r of [killed, resumed, clean]) assert.ok(!(r.stdout + r.stderr).includes(KEY));
});

test('syco judge rejects bad flags with a usage error', async () => {
  const r = await syco(['judge', '--results', 'x', '--backend', 'nope', '--out', 'y']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--backend must be openai, anthropic or local, got "nope"/);
  const h = await syco(['judge', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /usage: syco judge --results <file-or-dir> --backend openai\|anthropic\|local --out <dir>/);
});
