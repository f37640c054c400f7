// A stage of `syco run` that throws is a FAILED stage, not the end of the run: on the built-in organism, two stages are
// made to fail for real (a file where their folder must go), the run exits 3 with the report written — both marked
// FAILED with their error, the stages that need them skipped, the others computed — and once the cause is fixed the
// same command resumes, re-using what finished, and exits 0; a corrupt saved result fails its stage the same way. A
// judge refusing every request fails the judge stage only. An abort still stops the run at once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runStageStatuses, runStudy } from '../../lib/study/run';
import { studyConfig } from '../../lib/study/config';
import type { StageStatus } from '../../lib/study/stage-status';
import { startLoopback } from '../judge/loopback';
import { runProcess } from '../helpers';

const tmp = mkdtempSync(join(tmpdir(), 'syco-run-fail-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The organism's study, small (a few seconds), without the judge and without Chromium. */
const SMALL = ['--pairs', '16', '--prompt-limit', '2', '--max-new-tokens', '4', '--ab-items', '4', '--methods', 'pca', '--probes', 'mm', '--figures', 'html'];

/** The environment of a child run: no SYCO_* settings (nor judge keys) leak in from the caller. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYCO_') && !/API_KEY$/.test(k)) env[k] = v;
  return { ...env, SYCO_QUIET: '1', SYCO_RUNS: tmp, ...extra };
}

function syco(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/syco.js', ...args], { encoding: 'utf8', env: childEnv(), timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** syco run without blocking this process (a loopback judge in it must keep answering). */
async function sycoAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runProcess(process.execPath, ['bin/syco.js', ...args], { env: childEnv(env) });
}

interface RunSummary { dir: string; report: string; timings: Record<string, number>; stages: Record<string, string> }

test('syco run: a stage that throws is FAILED with its error, its dependants skipped, the rest computed, exit 3; fixed, the re-run resumes and exits 0', () => {
  const out = join(tmp, 'run');
  mkdirSync(out);
  // A file where the geometry and vectors stages must make their folders: both fail with the real filesystem error.
  writeFileSync(join(out, 'geometry'), 'not a folder\n');
  writeFileSync(join(out, 'vectors'), 'not a folder\n');
  const args = ['run', ...SMALL, '--out', out];
  const r = syco(args);
  assert.equal(r.code, 3, r.stderr.slice(-3000));
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as RunSummary;
  assert.deepEqual(summary.stages, {
    data: 'computed', activations: 'computed', geometry: 'failed', probes: 'computed', mlp: 'computed',
    vectors: 'failed', steering: 'skipped', ab: 'skipped', judge: 'skipped', figures: 'computed',
  });
  // The stages after the first failure that do not need it ran (probes, MLP after geometry failed).
  for (const stage of ['activations', 'probe mm', 'mlp', 'figures', 'report']) assert.ok(stage in summary.timings, `${stage} computed (${Object.keys(summary.timings).join(', ')})`);
  for (const stage of ['steering', 'A/B evaluation']) assert.ok(!(stage in summary.timings), `${stage} not run`);
  assert.ok(!existsSync(join(out, 'steering')) && !existsSync(join(out, 'ab')), 'the skipped stages wrote nothing');

  // stderr: each failed stage with its error, what was skipped for it, and the command that retries.
  assert.match(r.stderr, /study: geometry FAILED: \S+: .*\/run\/geometry/);
  assert.match(r.stderr, /study: steering skipped \(needs vectors, which failed\)/);
  assert.match(r.stderr, new RegExp(`\\nsyco run: geometry FAILED: E[A-Z]+: [^\\n]*${out}/geometry[^\\n]*\\nsyco run: vectors FAILED: E[A-Z]+: [^\\n]*${out}/vectors`));
  assert.match(r.stderr, /syco run: skipped because a stage they need failed: steering \(needs vectors\), ab \(needs vectors\)\n/);
  assert.match(r.stderr, new RegExp(`syco run: the report marks every stage's status: ${out}/report\\.html\\n`));
  assert.ok(r.stderr.includes(`syco run: to retry, fix the cause and re-run \`npm start -- ${SMALL.join(' ')} --out ${out}\``), r.stderr.slice(-1500));

  // summary.json and the report: every stage's status, the failed ones with their first error.
  const saved = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { stages: StageStatus[] };
  const vectors = saved.stages.find((s) => s.stage === 'vectors')!;
  assert.equal(vectors.state, 'failed');
  assert.match(vectors.firstError!, new RegExp(`^E[A-Z]+: .*${out}/vectors`));
  assert.deepEqual(saved.stages.find((s) => s.stage === 'ab'), { stage: 'ab', state: 'skipped', detail: 'needs vectors', needs: ['vectors'] });
  assert.deepEqual(saved.stages.find((s) => s.stage === 'judge'), { stage: 'judge', state: 'skipped', detail: 'no judge configured (--judge)' });
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(html.indexOf('>Stage status</h2>') < html.indexOf('>Data</h2>'), 'status first');
  assert.match(html, /<strong>geometry: FAILED<\/strong> — stopped with an error\. First error: <code>E[A-Z]+: [^<]*\/run\/geometry/);
  assert.match(html, /<strong>vectors: FAILED<\/strong> — stopped with an error\. First error: <code>E[A-Z]+: [^<]*\/run\/vectors/);
  assert.match(html, /<strong>Skipped because a stage they need failed:<\/strong> steering \(needs vectors\), ab \(needs vectors\)/);
  assert.match(html, /<td>vectors<\/td><td>✖ FAILED<\/td>/);
  assert.match(html, /<td>probes<\/td><td>✔ computed<\/td>/);
  assert.match(html, /<td>steering<\/td><td>– skipped<\/td><td><\/td><td>needs vectors<\/td>/);
  // Each stage's own section says what happened to it; the finished stages' sections are there as usual.
  assert.match(html, /<strong>The vectors stage FAILED:<\/strong> <code>E[A-Z]+: [^<]*<\/code>\. The stages that need it \(steering, ab, judge\) were skipped; the others ran\./);
  assert.match(html, />Behavioural \(A\/B\) evaluation<\/h2>\s*<p><strong>Skipped:<\/strong> this stage needs vectors, which failed/);
  for (const title of ['Data', 'Activations', 'Linear probes', 'MLP activations']) assert.ok(html.includes(`>${title}</h2>`), title);

  // Fixed: the same command resumes — finished stages re-used, the failed and skipped ones computed — and exits 0.
  rmSync(join(out, 'geometry'));
  rmSync(join(out, 'vectors'));
  const r2 = syco(args);
  assert.equal(r2.code, 0, r2.stderr.slice(-3000));
  const s2 = JSON.parse(r2.stdout.trim().split('\n').pop()!) as RunSummary;
  assert.deepEqual(s2.stages, {
    data: 'computed', activations: 're-used', geometry: 'computed', probes: 're-used', mlp: 're-used',
    vectors: 'computed', steering: 'computed', ab: 'computed', judge: 'skipped', figures: 'computed',
  });
  assert.doesNotMatch(r2.stderr, /FAILED|INCOMPLETE/);
  const html2 = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html2, /Every stage finished\./);
  assert.doesNotMatch(html2, /FAILED|Skipped:/);

  // A corrupt input a stage reads (its saved result, garbled): that stage FAILED with the whole message — the file and
  // the parse error, which quotes the text, newline included — on one line; nothing else is redone.
  writeFileSync(join(out, 'probes', 'mm.json'), '{"format": garbled\nlayers');
  const r3 = syco(args);
  assert.equal(r3.code, 3, r3.stderr.slice(-3000));
  const s3 = (JSON.parse(r3.stdout.trim().split('\n').pop()!) as RunSummary).stages;
  assert.equal(s3.probes, 'failed');
  for (const stage of ['activations', 'geometry', 'mlp', 'vectors', 'ab']) assert.equal(s3[stage], 're-used', stage);
  assert.match(r3.stderr, new RegExp(`\\nsyco run: probes FAILED: ${out}/probes/mm\\.json: unreadable result \\(Unexpected token [^\\n]* garbled[^\\n]* is not valid JSON\\)\\n`));
  rmSync(join(out, 'probes', 'mm.json'));
  assert.equal(syco(args).code, 0);
});

test('syco run whose judge refuses every request (401): the judge stage is FAILED with the error, every other stage computed, exit 3', async () => {
  const server = await startLoopback('openai', () => ({ status: 401, json: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } }));
  try {
    const out = join(tmp, 'judge-401');
    const r = await sycoAsync(['run', ...SMALL, '--out', out, '--judge', 'openai', '--judge-url', server.url], { OPENAI_API_KEY: 'test-key-not-real' });
    assert.equal(r.code, 3, r.stderr.slice(-3000));
    assert.ok(server.requests.length > 0, 'the judge was asked');
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as RunSummary;
    assert.deepEqual(Object.entries(summary.stages).filter(([, v]) => v !== 'computed'), [['judge', 'failed']]);
    assert.match(r.stderr, /\nsyco run: judge FAILED: [^\n]*401[^\n]*Incorrect API key provided/);
    const judge = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { stages: StageStatus[] }).stages.find((s) => s.stage === 'judge')!;
    assert.equal(judge.detail, 'stopped with an error');
    assert.match(judge.firstError!, /401/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /<strong>judge: FAILED<\/strong> — stopped with an error\. First error: <code>[^<]*401/);
    assert.match(html, />LLM judge<\/h2>\s*<p><strong>The judge stage FAILED:<\/strong>/);
  } finally {
    await server.close();
  }
});

test('runStudy with an AbortSignal: the abort stops the run; no stage is counted as failed and no report is written', async () => {
  const dir = join(tmp, 'aborted');
  const ac = new AbortController();
  const lines: string[] = [];
  const cfg = studyConfig({ pairs: 16, promptLimit: 2, maxNewTokens: 4, abItems: 4, methods: ['pca'], probes: ['mm'], runsDir: tmp }, {});
  await assert.rejects(() => runStudy(cfg, {
    dir, formats: ['html'], quiet: true, signal: ac.signal,
    log: (line) => {
      lines.push(line);
      if (line.includes('[4/8] probes')) ac.abort();
    },
  }), (err: Error) => err.name === 'AbortError');
  assert.ok(lines.some((l) => l.includes('[4/8] probes')));
  assert.ok(!lines.some((l) => /FAILED|skipped \(needs|\[5\/8\]/.test(l)), lines.join('\n'));
  assert.ok(!existsSync(join(dir, 'report.html')) && !existsSync(join(dir, 'summary.json')));
  assert.ok(!existsSync(join(dir, 'probes')), 'the stage after the abort did not start');
  assert.ok(!existsSync(join(dir, '.run.lock')), 'the run folder is unlocked');
});

test('runStageStatuses: failed and skipped outcomes override the timings; a step not run or re-used reads as such', () => {
  const judge: StageStatus = { stage: 'judge', state: 'skipped', detail: 'no judge configured (--judge)' };
  const st = runStageStatuses({ data: 0.1, activations: 2, 'geometry pca': 0.5, 'probe mm': 0.2, figures: 0.3 }, {
    mlp: true, pairs: 16, judge, failed: { geometry: 'EACCES: permission denied, open \'/r/geometry/pca.json\'\nmore' }, skipped: { steering: ['vectors'] },
  });
  const by = Object.fromEntries(st.map((s) => [s.stage, s]));
  assert.deepEqual(st.map((s) => s.stage), ['data', 'activations', 'geometry', 'probes', 'mlp', 'vectors', 'steering', 'ab', 'judge', 'figures']);
  assert.deepEqual(by.geometry, { stage: 'geometry', state: 'failed', seconds: 0.5, detail: 'stopped with an error', firstError: 'EACCES: permission denied, open \'/r/geometry/pca.json\' more' });
  assert.deepEqual(by.steering, { stage: 'steering', state: 'skipped', detail: 'needs vectors', needs: ['vectors'] });
  assert.equal(by.probes.state, 'computed');
  assert.equal(by.mlp.state, 're-used');
  assert.equal(by.data.detail, '16 pairs');
  assert.equal(by.judge, judge);
  // The MLP row when the hook was not captured, unless a failed stage it needs explains it.
  assert.equal(runStageStatuses({}, { mlp: false, judge }).find((s) => s.stage === 'mlp')!.detail, 'mlp hook not captured');
  assert.equal(runStageStatuses({}, { mlp: false, judge, skipped: { mlp: ['activations'] } }).find((s) => s.stage === 'mlp')!.detail, 'needs activations');
});
