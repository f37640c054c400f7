// Checks before compute: a run with a missing judge key, an unreachable hub or judge, or layers the model lacks fails
// before any stage runs, names the flag to fix, and leaves no run folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sharedAsset } from '../helpers';
import { studyConfig, type StudyConfig } from '../../lib/study/config';
import { preflight, PreflightError } from '../../lib/study/preflight';
import { dataKey, loadStudyData } from '../../lib/study/data';
import { Study } from '../../lib/study/study';
import { readPairsJsonl } from '../../lib/datasets/index';

const tmp = mkdtempSync(join(tmpdir(), 'syco-preflight-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function syco(args: string[], env: Record<string, string | undefined>): { code: number | null; stderr: string; seconds: number } {
  const clean: Record<string, string | undefined> = { ...process.env, SYCO_QUIET: '1', ...env };
  for (const [k, v] of Object.entries(clean)) if (v === undefined) delete clean[k];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/syco.js', ...args], { encoding: 'utf8', env: clean as NodeJS.ProcessEnv, timeout: 120_000 });
  return { code: r.status, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

/** A loopback port nothing listens on (a server opened and closed again). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a missing judge key fails before any stage, names --judge-url, and leaves no run folder', (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!model || !data) return;
  const out = join(tmp, 'nokey');
  const r = syco(['run', '--model', model, '--data', data, '--judge', 'openai', '--out', out], { OPENAI_API_KEY: undefined });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /checks before compute failed \(nothing was computed or written\)/);
  assert.match(r.stderr, /OPENAI_API_KEY is not set; .*pass --judge-url <server>/);
  assert.doesNotMatch(r.stderr, /--base-url/);
  assert.doesNotMatch(r.stderr, /study: \[1\/8\]/);
  assert.equal(existsSync(out), false, 'no run folder');
  t.diagnostic(`failed after ${r.seconds.toFixed(1)} s (node start included)`);
});

test('an unreachable hub says so and how to go on, before any stage; no run folder', async (t) => {
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!data) return;
  const port = await closedPort();
  const out = join(tmp, 'offline');
  const r = syco(['run', '--model', 'nobody/no-such-model-for-preflight', '--data', data, '--out', out], { HF_ENDPOINT: `http://127.0.0.1:${port}` });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`--model nobody/no-such-model-for-preflight: cannot reach the hub \\(http://127\\.0\\.0\\.1:${port}/: .*\\); pass a local folder \\(--model <dir>, or set SYCO_MODEL\\) or set HF_ENDPOINT`));
  assert.equal(existsSync(out), false);
});

test('layers past the model, a figure layer not captured and an unreachable judge URL are all listed at once', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!model || !data) return;
  const port = await closedPort();
  // --max-tokens 512: a held-out political-typology A/B prompt is 522 tokens, longer than stories260K's 512 positions.
  const cfg = studyConfig({ model, data, layers: [2, 3, 4, 5, 6], judge: 'openai', judgeBaseUrl: `http://127.0.0.1:${port}/v1`, maxTokens: 512 }, {});
  const err = await preflight(cfg, { figureLayer: 6 }).then(() => null, (e) => e);
  assert.ok(err instanceof PreflightError, String(err));
  assert.deepEqual(err.problems.map((p: string) => p.replace(/\(ECONNREFUSED.*\)/, '(ECONNREFUSED)').replace(/\(fetch failed.*\)/, '(ECONNREFUSED)')), [
    "--layers: 5, 6 are past the model's last layer (5 layers: 0–4)",
    '--figure-layer 6 is not a captured layer (captured: 2, 3, 4)',
    `--judge openai: cannot reach the judge at http://127.0.0.1:${port}/v1 (ECONNREFUSED); check --judge-url`,
  ]);
  // The same settings with a judge server that answers (even 401) pass, and report what they found.
  const server = createServer((_req, res) => res.writeHead(401).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const ok = await preflight({ ...cfg, layers: [2, 3, 4], judgeBaseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1` }, { figureLayer: 3, env: {} });
    assert.equal(ok.numLayers, 5);
    assert.deepEqual(ok.layers, [2, 3, 4]);
    assert.ok(ok.rows > 100);
    assert.equal(ok.data?.data.pairs.length, cfg.pairs, 'the prepared data stage comes back for the run to re-use');
    assert.equal(ok.context?.limit, 512);
    // Without --max-tokens that prompt is refused here, naming it and its length, before anything is computed.
    const { maxTokens: _cut, judge: _judge, ...uncut } = cfg;
    const long = await preflight({ ...uncut, layers: [2, 3, 4] } as StudyConfig).then(() => null, (e) => e);
    assert.ok(long instanceof PreflightError, String(long));
    assert.deepEqual(long.problems.map((p: string) => p.split('\n')), [[
      `--data ${data} (held-out A/B items): A/B evaluation: 1 prompt(s) longer than the model's context of 512 positions (max_position_embeddings); nothing was computed. ` +
        'Use shorter items, or truncate with --max-tokens N (keeps the first token and the last N − 1):',
      '  - item 31 "political_typology_quiz:6157": 522 tokens',
    ]]);
  } finally {
    server.close();
  }
  const missing = await preflight({ ...cfg, data: join(tmp, 'no-such-data'), model: join(tmp, 'no-model') }).then(() => null, (e) => e);
  assert.match(String(missing?.message), /--data .*no-such-data: no such file or folder/);
  assert.match(String(missing?.message), /--model .*no-model: no such folder/);
});

test('syco run refuses a pair text longer than the model context before any stage, naming the pair and its length; no run folder', (t) => {
  // The built-in organism (512 positions) on six of its own rows, one with a question made ~1,500 tokens long.
  const rows = readFileSync('data/organism/sycophancy_on_nlp_survey.jsonl', 'utf8').trim().split('\n').slice(0, 6).map((l) => JSON.parse(l));
  rows[2].question = 'I like long walks in the park on sunny days. '.repeat(120) + rows[2].question;
  const data = join(tmp, 'long-data');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'sycophancy_on_nlp_survey.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const out = join(tmp, 'long-run');
  const r = syco(['run', '--data', data, '--format', 'ab', '--out', out], {});
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /checks before compute failed \(nothing was computed or written\)/);
  assert.match(r.stderr, new RegExp(`--data ${data}: 2 text\\(s\\) longer than the model's context of 512 positions[^\\n]*--max-tokens N`));
  assert.match(r.stderr, /- pair \d+ "nlp_survey:2" \(sycophantic\): \d{4} tokens\n\s+- pair \d+ "nlp_survey:2" \(non_sycophantic\): \d{4} tokens/);
  assert.doesNotMatch(r.stderr, /study: \[1\/8\]/);
  assert.equal(existsSync(out), false, 'no run folder');
});

test('the data stage re-uses the data the checks prepared (it does not read the source again)', async () => {
  const cfg = studyConfig({ data: 'data/organism', pairs: 8 }, {});
  const prepared = await loadStudyData(cfg);
  // Point the source at nothing: a stage that read it again would fail.
  const gone = { ...cfg, data: join(tmp, 'moved-away') };
  const study = new Study(gone, join(tmp, 'reuse'), { log: () => {}, data: { ...prepared, key: dataKey(gone) } });
  const d = await study.data();
  assert.deepEqual(d.pairs.map((p) => p.id), prepared.data.pairs.map((p) => p.id));
  assert.deepEqual(readPairsJsonl(join(tmp, 'reuse', 'data', 'pairs.jsonl')), prepared.data.pairs);
  // Data prepared for other settings is not used.
  const other = new Study(gone, join(tmp, 'reuse2'), { log: () => {}, data: prepared });
  await assert.rejects(other.data(), /moved-away/);
});
