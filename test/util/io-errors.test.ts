// I/O and parse errors name their file: a truncated or garbage model.onnx (a real broken copy of stories260K, loaded
// by `syco forward`), and a full disk (a real 64 KiB tmpfs mounted in a user namespace) under `syco data` and
// `syco extract` — the error says which file could not be written.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { atomicWriteFile, readJsonFile, withPath } from '../../lib/util/fs';
import { sharedAsset } from '../helpers';

const BIN = resolve('bin/syco.js');
const dir = mkdtempSync(join(tmpdir(), 'syco-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('withPath names the path once and keeps the code; readJsonFile names the file', () => {
  const e = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const w = withPath(e, '/data/x.json') as NodeJS.ErrnoException;
  assert.equal(w.message, '/data/x.json: ENOSPC: no space left on device, write');
  assert.equal(w.code, 'ENOSPC');
  assert.equal(withPath(w, '/data/x.json'), w);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"a": ');
  assert.throws(() => readJsonFile(bad), new RegExp(`^Error: ${esc(bad)}: not valid JSON`));
  assert.throws(() => readJsonFile(join(dir, 'none.json')), new RegExp(`${esc(join(dir, 'none.json'))}.*ENOENT|ENOENT.*${esc(join(dir, 'none.json'))}`));
  assert.throws(() => atomicWriteFile(join(bad, 'sub', 'x.json'), 'x'), new RegExp(`ENOTDIR.*${esc(bad)}|${esc(bad)}.*ENOTDIR`)); // a file where a folder should be
});

test('a truncated or garbage model.onnx is refused naming the file', (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  if (!model) return;
  const m = join(dir, 'broken-model');
  mkdirSync(join(m, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(model, f), join(m, f));
  const onnx = join(m, 'onnx', 'model.onnx');
  const cases: [string, Buffer][] = [
    ['truncated', readFileSync(join(model, 'onnx', 'model.onnx')).subarray(0, 100)],
    ['garbage', Buffer.from('this is not a protobuf\n')],
  ];
  for (const [name, bytes] of cases) {
    writeFileSync(onnx, bytes);
    const r = spawnSync(process.execPath, [BIN, 'forward', '--model', m, '--text', 'Once upon a time', '--out', join(dir, `fwd-${name}`)],
      { encoding: 'utf8', env: { ...process.env, SYCO_ROOT: dir } });
    assert.equal(r.status, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${esc(onnx)}: not a readable ONNX model \\(.+\\); the file may be truncated or corrupt`), name);
  }
});

/** Run a shell command with a 64 KiB tmpfs mounted at `mnt` (a user + mount namespace); null when that is not possible here. */
function withFullDisk(t: TestContext, mnt: string, argv: string[]): { status: number | null; stdout: string; stderr: string } | null {
  mkdirSync(mnt, { recursive: true });
  const probe = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs '${mnt}'`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = `cannot mount a small tmpfs (unshare -rm: ${probe.error?.message ?? probe.stderr.trim()}); install util-linux and allow user namespaces`;
    if (process.env.CI) throw new Error(why);
    t.skip(why);
    return null;
  }
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs ${q(mnt)} && exec ${argv.map(q).join(' ')}`],
    { encoding: 'utf8', env: { ...process.env, SYCO_QUIET: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a full disk: syco data and syco extract name the file they could not write', (t) => {
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  const model = sharedAsset(t, 'models/stories260K-onnx');
  if (!data || !model) return;
  const mnt = join(dir, 'full');
  // pairs JSONL of 10,200 pairs (~10 MB) into 64 KiB
  let r = withFullDisk(t, mnt, [process.execPath, BIN, 'data', '--source', data, '--format', 'sentence', '--out', join(mnt, 'pairs.jsonl')]);
  if (!r) return;
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^syco data: ${esc(join(mnt, 'pairs.jsonl'))}: ENOSPC: no space left on device`));
  // activations of 40 pairs × 5 layers × 2 hooks × 2 sides (200 KiB of rows) into 64 KiB
  const pairs = join(dir, 'pairs.jsonl');
  const d = spawnSync(process.execPath, [BIN, 'data', '--source', data, '--format', 'sentence', '--limit', '40', '--out', pairs], { encoding: 'utf8' });
  assert.equal(d.status, 0, d.stderr);
  r = withFullDisk(t, mnt, [process.execPath, BIN, 'extract', '--model', model, '--pairs', pairs, '--hooks', 'resid,mlp', '--out', join(mnt, 'acts'), '--quiet', '--threads', '1']);
  if (!r) return;
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${esc(join(mnt, 'acts'))}/[^ ]+: ENOSPC: no space left on device`));
});

test('corrupt JSON beside a model, in an old run folder or a sweep folder: the error names that file', async () => {
  // A copy of the organism with a broken generation_config.json.
  const model = join(dir, 'organism-copy');
  mkdirSync(join(model, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join('models/organism', f), join(model, f));
  writeFileSync(join(model, 'generation_config.json'), '{"eos_token_id": ');
  const { loadConfigAndTokenizer } = await import('../../lib/model/resolve');
  await assert.rejects(loadConfigAndTokenizer(model, true), new RegExp(`^Error: ${esc(join(model, 'generation_config.json'))}: not valid JSON`));

  // A run folder from before stages.json: a broken activation manifest is named (not config.json).
  const run = join(dir, 'old-run');
  mkdirSync(join(run, 'activations'), { recursive: true });
  writeFileSync(join(run, 'config.json'), '{}');
  writeFileSync(join(run, 'activations', 'manifest.json'), '{"model": ');
  const { Study } = await import('../../lib/study/study');
  const { studyConfig } = await import('../../lib/study/config');
  await assert.rejects(async () => new Study(studyConfig({}, {}), run, { log: () => {} }).prepare(),
    new RegExp(`${esc(join(run, 'activations', 'manifest.json'))}: not valid JSON .*; use a new --out folder`));

  // A sweep folder whose manifest is torn: the refusal names it.
  const sweep = join(dir, 'sweep');
  mkdirSync(sweep, { recursive: true });
  writeFileSync(join(sweep, 'manifest.json'), '{"settings": ');
  const { loadHookedModel } = await import('../../lib/model/index');
  const { steeringSweep } = await import('../../lib/steering/sweep');
  const m = await loadHookedModel('models/organism', { threads: 1 });
  try {
    const vectors = { meta: { model: 'organism', hook: 'resid' as const, dataset: 'x', pairs: 0, normalize: 'unit' as const, hidden: m.hiddenSize }, layers: [1], vectors: new Map([[1, new Float32Array(m.hiddenSize)]]), norms: new Map() };
    await assert.rejects(steeringSweep(m, { vectors, layers: [1], multipliers: [1], prompts: ['Hi'], maxNewTokens: 1, outDir: sweep, modelTag: 'o', pairsTag: 0, quiet: true }),
      new RegExp(`holds a sweep with other settings[\\s\\S]*${esc(join(sweep, 'manifest.json'))}: not valid JSON`));
  } finally {
    await m.dispose();
  }
});
