// The run folder holds one configuration: a re-run of `syco run --out` with a changed setting is refused before anything
// is written, and --redo recomputes exactly the affected stages. Plus the stage book's rules on their own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, test } from 'node:test';
import { sharedAsset } from '../helpers';
import { StageBook, StageConflictError, stageSettings, withDownstream } from '../../lib/study/stage';
import { studyConfig } from '../../lib/study/config';
import { geometryFigure, probesFigure } from '../../lib/study/figures';
import { readProjections } from '../../lib/geometry/saved';
import { readProbeResults } from '../../lib/probes/sweep';

const tmp = mkdtempSync(join(tmpdir(), 'syco-stage-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('stage settings: each stage carries its own and every upstream setting; redo takes everything downstream', () => {
  const cfg = studyConfig({ model: '/m', pairs: 10, position: -1, normalize: 'unit', multipliers: [3] }, {});
  const s = stageSettings(cfg, { modelSha256: 'a'.repeat(64) });
  assert.equal(s.data.pairs, 10);
  assert.equal(s.data.position, undefined, 'position is not a data setting');
  assert.equal(s.activations.position, -1);
  assert.equal(s.activations.pairs, 10, 'activations depend on the data settings');
  assert.equal(s.activations.modelSha256, 'a'.repeat(64));
  assert.equal(s.steering.modelSha256, 'a'.repeat(64));
  assert.equal(s.steering.normalize, 'unit');
  assert.deepEqual(s.ab.multipliers, [3]);
  assert.equal(s.geometry.normalize, undefined, 'geometry does not depend on the steering vectors');
  assert.equal(s.geometry.batchSize, undefined, 'batch size changes no result');
  assert.deepEqual(withDownstream(['vectors']), ['vectors', 'steering', 'ab', 'judge']);
  assert.deepEqual(withDownstream(['steering']), ['steering', 'judge']);
  assert.deepEqual(withDownstream(['data']).length, 9);
});

test('stage book: equal settings pass, a difference is refused naming the setting and the --redo, redo clears downstream', () => {
  const dir = join(tmp, 'book');
  const sha = 'b'.repeat(64);
  const s1 = stageSettings(studyConfig({ model: '/m' }, {}), { modelSha256: sha });
  const book = new StageBook(dir);
  assert.deepEqual(book.check(s1), []);
  for (const st of ['data', 'activations', 'vectors', 'steering'] as const) book.begin(st, s1[st]);
  mkdirSync(join(dir, 'steering'), { recursive: true });
  writeFileSync(join(dir, 'steering', 'x.json'), '{}');
  const again = new StageBook(dir);
  assert.deepEqual(again.check(s1), []);
  const s2 = stageSettings(studyConfig({ model: '/m', multipliers: [5] }, {}), { modelSha256: sha });
  assert.throws(() => again.check(s2), (err: unknown) => {
    assert.ok(err instanceof StageConflictError);
    assert.deepEqual(err.redo, ['steering']);
    assert.match(err.message, /--multipliers: 2,0 in the folder, 5 now \(stage steering\)/);
    assert.match(err.message, /--redo steering /);
    assert.match(err.message, /nothing was written/);
    return true;
  });
  const s3 = stageSettings(studyConfig({ model: '/m', position: -1, multipliers: [5] }, {}), { modelSha256: sha });
  assert.throws(() => again.check(s3), (err: unknown) => err instanceof StageConflictError && err.redo.join() === 'activations');
  const clear = again.check(s2, ['vectors']);
  assert.deepEqual(clear, ['vectors', 'steering']);
  again.clear(clear);
  assert.deepEqual(readdirSync(dir).sort(), ['stages.json']);
  assert.equal(new StageBook(dir).settingsOf('steering'), undefined);
  assert.deepEqual(new StageBook(dir).settingsOf('activations'), s1.activations);
});

function syco(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/syco.js', ...args], { encoding: 'utf8', env: { ...process.env, SYCO_QUIET: '1' }, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** sha256 and mtime of every file under a folder. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

function timings(stdout: string): Record<string, number> {
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { timings: Record<string, number> }).timings;
}

test('syco run --out with a changed --position, --layers, --pairs or --model is refused before anything is written; --redo recomputes exactly the affected stages', async (t) => {
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!data) return;
  const fixtures = resolve('test/fixtures/models');
  const out = join(tmp, 'run');
  const args = (multipliers: string): string[] => [
    '--data', data, '--out', out, '--pairs', '8', '--methods', 'pca', '--probes', 'mm', '--multipliers', multipliers, '--steer-layers', '1',
    '--prompt-limit', '1', '--max-tokens', '256', '--max-new-tokens', '2', '--ab-items', '4', '--figures', 'html',
  ];
  const base = args('4');
  const model = ['--model', join(fixtures, 'llama')];
  const first = syco(['run', ...model, ...base]);
  assert.equal(first.code, 0, first.stderr);
  const before = snapshot(out);
  assert.ok(Object.keys(before).includes('stages.json'));

  // `syco geometry` and `syco probe` on the run's activations write the format the run folder holds; both load into the figure builders.
  const g = syco(['geometry', '--acts', join(out, 'activations'), '--method', 'pca', '--out', join(tmp, 'pca.json'), '--quiet']);
  assert.equal(g.code, 0, g.stderr);
  const p = syco(['probe', '--acts', join(out, 'activations'), '--probe', 'mm', '--out', join(tmp, 'mm.json'), '--quiet']);
  assert.equal(p.code, 0, p.stderr);
  const cliProj = readProjections(join(tmp, 'pca.json'));
  const runProj = readProjections(join(out, 'geometry', 'pca.json'));
  assert.deepEqual(cliProj.map((x) => x.layer), [0, 1, 2]);
  assert.deepEqual(cliProj.map((x) => Array.from(x.coords.data)), runProj.map((x) => Array.from(x.coords.data)), 'same coordinates from the CLI and the study');
  const fig = geometryFigure(cliProj);
  assert.equal(fig.data.filter((tr) => (tr as { x?: unknown[] }).x?.length === 8).length >= 2, true, 'one trace per class with 8 points each');
  const cliProbes = readProbeResults(join(tmp, 'mm.json'));
  assert.deepEqual(cliProbes.map((r) => r.layer), [0, 1, 2]);
  const pf = probesFigure({ mm: cliProbes });
  assert.ok(pf.data.length >= 1);
  assert.deepEqual(cliProbes.map((r) => r.train_acc), readProbeResults(join(out, 'probes', 'mm.json')).map((r) => r.train_acc));

  const changes: [string[], RegExp, string][] = [
    [[...model, '--position', '-1'], /--position: -2 in the folder, -1 now/, 'activations'],
    [[...model, '--layers', '0-1'], /--layers: all in the folder, 0,1 now/, 'activations'],
    [[...model, '--pairs', '10'], /--pairs: 8 in the folder, 10 now/, 'data'],
    [['--model', join(fixtures, 'llama-fused')], /model sha256: [0-9a-f]{12}… in the folder, [0-9a-f]{12}… now/, 'activations'],
    [['--model', join(fixtures, 'qwen2')], /--model: .*llama in the folder, .*qwen2 now/, 'activations'],
  ];
  for (const [args, why, redo] of changes) {
    const r = syco(['run', ...base, ...args]);
    assert.notEqual(r.code, 0, `${args.join(' ')} refused`);
    assert.match(r.stderr, why);
    assert.match(r.stderr, new RegExp(`--redo ${redo} `));
    assert.match(r.stderr, /nothing was written/);
    assert.deepEqual(snapshot(out), before, `${args.join(' ')}: every file unchanged`);
  }

  // --redo activations with the new position: activations and everything after them, the data stage untouched.
  const redo = syco(['run', ...model, ...base, '--position', '-1', '--redo', 'activations']);
  assert.equal(redo.code, 0, redo.stderr);
  const tm = timings(redo.stdout);
  for (const stage of ['activations', 'geometry pca', 'probe mm', 'mlp', 'vectors', 'A/B evaluation']) assert.ok(stage in tm, `${stage} recomputed (${Object.keys(tm)})`);
  const afterRedo = snapshot(out);
  for (const f of Object.keys(before).filter((f) => f.startsWith('data/'))) assert.equal(afterRedo[f], before[f], `${f} kept`);
  const manifest = JSON.parse(readFileSync(join(out, 'activations', 'manifest.json'), 'utf8')) as { position: number };
  assert.equal(manifest.position, -1);

  // New multipliers on the same activations: refused with --redo steering,ab; with it only those two stages run.
  const mult = [...model, ...args('3'), '--position', '-1'];
  const refused = syco(['run', ...mult]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /--multipliers: 4 in the folder, 3 now/);
  assert.match(refused.stderr, /--redo steering,ab /);
  const r2 = syco(['run', ...mult, '--redo', 'steering,ab']);
  assert.equal(r2.code, 0, r2.stderr);
  const t2 = timings(r2.stdout);
  assert.ok('steering' in t2 && 'A/B evaluation' in t2, Object.keys(t2).join());
  for (const stage of ['activations', 'geometry pca', 'probe mm', 'mlp', 'vectors']) assert.ok(!(stage in t2), `${stage} re-used (${Object.keys(t2)})`);
  const ab = JSON.parse(readFileSync(join(out, 'ab', 'anthropic.json'), 'utf8')) as { result: { table: { multiplier: number }[] } };
  assert.deepEqual([...new Set(ab.result.table.map((r) => r.multiplier))].sort((a, b) => a - b), [-3, 0, 3]);
});
