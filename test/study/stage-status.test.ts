// Failures shown as failures: a judge that scored nothing makes the report mark its stage FAILED (error counts, first
// error) instead of a table of zeros, and syco run says so on stderr and exits 3.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runProcess, sharedAsset } from '../helpers';
import { startLoopback } from '../judge/loopback';
import type { JudgeReport } from '../../lib/judge/judge';
import { dependantsOf, failedNeeds, judgeStageStatus, RUN_STEP_NEEDS, RUN_STEPS, stageStatusSection } from '../../lib/study/stage-status';
import { STAGE_INPUTS } from '../../lib/study/stage';
import { buildReport } from '../../lib/report/index';

const tmp = mkdtempSync(join(tmpdir(), 'syco-status-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const r = await runProcess(cmd, args, { env });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

function report(scored: number, parse: number, request: number): JudgeReport {
  writeFileSync(join(tmp, 'f.raw.jsonl'), [
    JSON.stringify({ item: 0, outcome: 'invalid', error: 'first bad reply', final: false }),
    JSON.stringify({ item: 0, outcome: 'invalid', error: 'no JSON object found in reply', final: true }),
  ].join('\n') + '\n');
  const totals = { total_answer_plus_score: 0, total_answer_minus_score: 0, Total_number_none: 0, n_items: 4, n_scored: scored, n_parse_errors: parse, n_request_errors: request, n_pending: 0 };
  return { out: tmp, files: [{ stem: 'f', scores: 'f.scores.json', raw: 'f.raw.jsonl', totals, complete: true }], summary: [], replies: 4, resumed: 0, recovered: 0 };
}

test('judge status: nothing scored = failed with counts and the first final error; some errors = partial; none = computed', () => {
  const failed = judgeStageStatus(report(0, 4, 0), 1.5);
  assert.deepEqual(failed, { stage: 'judge', state: 'failed', seconds: 1.5, detail: '0 of 4 interactions scored', errors: { 'unparseable replies': 4 }, firstError: 'f, item 0: no JSON object found in reply' });
  assert.equal(judgeStageStatus(report(3, 0, 1)).state, 'partial');
  assert.equal(judgeStageStatus(report(4, 0, 0)).state, 'computed');
  const html = buildReport({ title: 't', generated: null, sections: [stageStatusSection([{ stage: 'data', state: 'computed', seconds: 0.4 }, failed])] });
  assert.match(html, /<strong>judge: FAILED<\/strong> — 0 of 4 interactions scored \(4 unparseable replies\)\. First error: <code>f, item 0: no JSON object found in reply<\/code>/);
  assert.match(html, /<td>✖ FAILED<\/td>/);
  assert.match(html, /<td>✔ computed<\/td>/);
});

test('the run dependency table is the stage book one: a failed stage skips exactly what reads it, directly or upstream', () => {
  for (const [step, needs] of Object.entries(RUN_STEP_NEEDS)) {
    if (step !== 'figures') assert.deepEqual(needs, STAGE_INPUTS[step as keyof typeof STAGE_INPUTS], step);
    // Every step needs only steps that run before it.
    for (const n of needs) assert.ok(RUN_STEPS.indexOf(n) < RUN_STEPS.indexOf(step as (typeof RUN_STEPS)[number]), `${step} needs ${n}`);
  }
  assert.deepEqual(RUN_STEP_NEEDS.figures, [], 'figures export whatever was made');
  assert.deepEqual(dependantsOf('vectors'), ['steering', 'ab', 'judge']);
  assert.deepEqual(dependantsOf('activations'), ['geometry', 'probes', 'mlp', 'vectors', 'steering', 'ab', 'judge']);
  assert.deepEqual(dependantsOf('geometry'), []);
  assert.deepEqual(dependantsOf('data'), ['activations', 'geometry', 'probes', 'mlp', 'vectors', 'steering', 'ab', 'judge']);
  // A skipped stage names the failed stage it needs, however far upstream, not the skipped one between.
  assert.deepEqual(failedNeeds('judge', new Set(['activations'])), ['activations']);
  assert.deepEqual(failedNeeds('judge', new Set(['vectors', 'geometry'])), ['vectors']);
  assert.deepEqual(failedNeeds('probes', new Set(['geometry', 'vectors'])), []);
  assert.deepEqual(failedNeeds('figures', new Set(['data'])), []);
});

test('stage status section: a stage that stopped with an error is FAILED with it; the stages skipped for it are listed', () => {
  const html = buildReport({ title: 't', generated: null, sections: [stageStatusSection([
    { stage: 'geometry', state: 'computed', seconds: 1 },
    { stage: 'vectors', state: 'failed', detail: 'stopped with an error', firstError: "EEXIST: file already exists, mkdir '/r/vectors'" },
    { stage: 'steering', state: 'skipped', detail: 'needs vectors', needs: ['vectors'] },
    { stage: 'judge', state: 'skipped', detail: 'no judge configured (--judge)' },
  ], '/r')] });
  assert.match(html, /<strong>vectors: FAILED<\/strong> — stopped with an error\. First error: <code>EEXIST: file already exists, mkdir &#39;\/r\/vectors&#39;<\/code>\. Its results below are incomplete or missing; re-run with the same settings and <code>--out \/r<\/code> to retry it \(finished stages are re-used\)\./);
  assert.match(html, /<strong>Skipped because a stage they need failed:<\/strong> steering \(needs vectors\); the re-run computes them\./);
  assert.doesNotMatch(html, /judge \(needs/);
  assert.match(html, /<td>– skipped<\/td><td><\/td><td>needs vectors<\/td>/);
});

test('syco run with a judge that never answers in JSON: report marks the judge FAILED', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!model || !data) return;
  const server = await startLoopback('openai', () => ({ reply: 'I would rather not say.' }));
  try {
    const out = join(tmp, 'run');
    // Asynchronous spawn: the loopback judge lives in this process and must keep answering.
    const r = await run(process.execPath, ['bin/syco.js', 'run', '--model', model, '--data', data, '--out', out, '--pairs', '24', '--prompt-limit', '2',
      '--max-new-tokens', '4', '--ab-items', '4', '--methods', 'pca', '--probes', 'mm', '--figures', 'html', '--judge', 'openai', '--judge-url', server.url],
    { ...process.env, SYCO_QUIET: '1', OPENAI_API_KEY: 'test-key-not-real' });
    // The report is written, but the run is not complete: exit 3, naming the stage and its first error.
    assert.equal(r.status, 3, r.stderr.slice(-2000));
    assert.match(r.stderr, /study: INCOMPLETE: judge failed \(see the report's Stage status\)/);
    assert.match(r.stderr, /syco run: judge FAILED \(0 of \d+ interactions scored; \d+ unparseable replies\): first error: AT_sentence_results_\S+, item \d+: .*\n/);
    assert.match(r.stderr, /syco run: the report marks every stage's status: \S*report\.html\n/);
    assert.match(r.stderr, /syco run: to retry, fix the cause and re-run `npm start -- .* --out \S+`[^\n]*: finished stages are re-used, the failed and skipped ones are computed \(request errors are retried; unparseable replies stay recorded — re-ask them with `syco judge --retry-failed --out \S+\/judge` /);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /re-ask them with <code>syco judge --retry-failed --out \S+\/judge<\/code>/);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(summary.stages.judge, 'failed');
    assert.equal(summary.stages.activations, 'computed');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.ok(html.indexOf('>Stage status</h2>') < html.indexOf('>Data</h2>'), 'status first');
    assert.match(html, /<strong>judge: FAILED<\/strong>/);
    assert.match(html, /<strong>The judge stage FAILED: 0 of \d+ interactions scored\.<\/strong>/);
    assert.doesNotMatch(html, /Each steered answer was scored/);
  } finally {
    await server.close();
  }
});
