// Small CLI niceties: an unknown flag suggests the closest one and points to --help; Ctrl-C during `syco run` says how
// to resume (and stops at once: not recorded as a failed stage).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { closestFlag, editDistance } from '../../lib/cli/args';
import { shellArg, withOut } from '../../lib/cli/interrupt';
import { runSyco, sharedAsset } from '../helpers';

const tmp = mkdtempSync(join(tmpdir(), 'syco-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('unknown flag: "did you mean --pairs?" and a pointer to --help', () => {
  const r = spawnSync(process.execPath, ['bin/syco.js', 'run', '--pair', '5'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'syco run: unknown flag --pair; did you mean --pairs? (`syco run --help` lists every flag)');
  const far = spawnSync(process.execPath, ['bin/syco.js', 'probe', '--zzzzzz'], { encoding: 'utf8' });
  assert.equal(far.stderr.trim(), 'syco probe: unknown flag --zzzzzz (`syco probe --help` lists every flag)');
  assert.equal(editDistance('modle', 'model'), 2);
  assert.equal(closestFlag('modle', ['model', 'methods', 'multipliers']), 'model');
  assert.equal(closestFlag('judge-ur', ['judge', 'judge-url', 'judge-model']), 'judge-url');
  assert.equal(closestFlag('qqqq', ['model', 'pairs']), null);
});

test('resume command: --out replaced, arguments shell-quoted', () => {
  assert.deepEqual(withOut(['--pairs', '8', '--out', 'a', '--seed=1', '--out=b'], '/r/x'), ['--pairs', '8', '--seed=1', '--out', '/r/x']);
  assert.equal(shellArg('../shared/models/x'), '../shared/models/x');
  assert.equal(shellArg("it's here"), `'it'\\''s here'`);
});

test('Ctrl-C during syco run prints "interrupted; resume with `npm start -- … --out <dir>`" and exits 130', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!model || !data) return;
  const out = join(tmp, 'run');
  // --max-tokens 512: some texts of the shared data are longer than stories260K's context (refused before compute otherwise).
  let seen = '';
  let sent = false;
  const r = await runSyco(['run', '--model', model, '--data', data, '--pairs', '200', '--max-tokens', '512', '--out', out], {
    onSpawn: (p) => p.stderr!.on('data', (d) => {
      seen += d;
      if (!sent && /study: \[2\/8\]/.test(seen)) sent = p.kill('SIGINT');
    }),
  });
  const stderr = r.stderr;
  assert.equal(r.code, 130, stderr);
  assert.ok(stderr.trim().endsWith(`interrupted; resume with \`npm start -- --model ${model} --data ${data} --pairs 200 --max-tokens 512 --out ${out}\``), stderr.slice(-400));
  // Stopped at once: the interruption is no failed stage the run records and goes on from.
  assert.doesNotMatch(stderr, /FAILED|skipped \(needs/);
  assert.ok(!existsSync(join(out, 'report.html')) && !existsSync(join(out, 'summary.json')), 'no report written');
});
