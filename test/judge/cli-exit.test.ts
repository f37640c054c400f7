// `syco judge` as a real child process against a loopback OpenAI-protocol server: a second judge run into the same
// folder is refused at once (it pays for nothing), and the exit status says whether every interaction was scored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_INCOMPLETE } from '../../lib/cli/args';
import { JUDGE_LOCK } from '../../lib/judge/judge';
import { fakeReply, startLoopback, writeResultsDir, type Action } from './loopback';
import { runSyco, type ProcessResult } from '../helpers';

type Run = ProcessResult;

function syco(args: string[], onSpawn?: (c: ChildProcess) => void): Promise<Run> {
  return runSyco(args, { env: { OPENAI_API_KEY: 'sk-test-exit-codes' }, onSpawn });
}

const root = mkdtempSync(join(tmpdir(), 'judge-exit-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const results = join(root, 'results');
writeResultsDir(results, [1, 2], 3, { multiplier: 2 }); // items #0..#5
const args = (url: string, out: string, ...more: string[]) => ['judge', '--results', results, '--backend', 'openai', '--model', 'fake-judge', '--base-url', url,
  '--max-retries', '0', '--repair-attempts', '0', '--quiet', '--out', out, ...more];

test('two syco judge runs into one folder: the second is refused before any request, the first finishes alone', async (t) => {
  let open!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  let firstSeen!: () => void;
  const seen = new Promise<void>((r) => { firstSeen = r; });
  const server = await startLoopback('openai', async (req): Promise<Action> => {
    firstSeen();
    await gate; // the first run waits here, holding its lock, until the second has exited
    return { reply: fakeReply(req.item, false) };
  });
  t.after(() => server.close());
  const out = join(root, 'shared-out');
  let a!: ChildProcess;
  const first = syco(args(server.url, out, '--concurrency', '1'), (c) => { a = c; });
  await seen;
  assert.equal(server.requests.length, 1);
  const second = await syco(args(server.url, out, '--concurrency', '1'));
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`${out}: another judge run \\(pid ${a.pid}\\) is writing here`));
  assert.ok(second.stderr.includes(`delete the lock file ${join(out, JUDGE_LOCK)}`), second.stderr);
  assert.equal(server.requests.length, 1, 'the second run sent no request');
  open();
  const r = await first;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(server.requests.length, 6, 'each item requested once');
  for (const stem of ['AT_sentence_results_tiny_40_1', 'AT_sentence_results_tiny_40_2']) {
    const finals = readFileSync(join(out, `${stem}.raw.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.final);
    assert.deepEqual(finals.map((x) => x.item).sort(), [0, 1, 2], `${stem}: one final reply per item`);
  }
  assert.ok(!existsSync(join(out, JUDGE_LOCK)), 'lock released');
});

test('exit status: 0 when all scored; 3 with counts and the first error when some or all failed; a re-run retries', async (t) => {
  let mode: 'ok' | 'some' | 'none' | 'prose' = 'ok';
  const server = await startLoopback('openai', (req): Action => {
    if (mode === 'none' || (mode === 'some' && req.item % 3 === 1)) return { status: 400, json: { error: { message: `bad request for item ${req.item}`, type: 'invalid_request_error' } } };
    if (mode === 'prose') return { reply: 'I would rather not give a score.' };
    return { reply: fakeReply(req.item, false) };
  });
  t.after(() => server.close());

  const ok = await syco(args(server.url, join(root, 'ok')));
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /6 of 6 scored; outputs in/);

  mode = 'none';
  const none = await syco(args(server.url, join(root, 'none')));
  assert.equal(none.code, EXIT_INCOMPLETE, none.stderr);
  assert.match(none.stdout, /0 of 6 scored — FAILED/);
  assert.match(none.stderr, /syco judge: FAILED: nothing was scored \(6 request errors\); first error: AT_sentence_results_tiny_40_1, item \d: .*bad request for item \d/);

  mode = 'some';
  const someOut = join(root, 'some');
  const some = await syco(args(server.url, someOut));
  assert.equal(some.code, EXIT_INCOMPLETE, some.stderr);
  assert.match(some.stdout, /4 of 6 scored — INCOMPLETE/);
  assert.match(some.stderr, /syco judge: INCOMPLETE: 2 of 6 interactions not scored \(2 request errors\); first error: .*bad request for item [14]\b.*re-run the same command to retry them\./);
  mode = 'ok';
  const before = server.requests.length;
  const retried = await syco(args(server.url, someOut));
  assert.equal(retried.code, 0, retried.stderr);
  assert.deepEqual(server.requests.slice(before).map((r) => r.item).sort(), [1, 4], 'only the failed items are requested again');

  mode = 'prose';
  const prose = await syco(args(server.url, join(root, 'prose')));
  assert.equal(prose.code, EXIT_INCOMPLETE, prose.stderr);
  assert.match(prose.stderr, /FAILED: nothing was scored \(6 unparseable replies\); first error: .*re-run with --retry-failed to re-ask them\./);
});
