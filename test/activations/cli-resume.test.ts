// `syco extract` as a real child process: SIGKILLed twice mid-run and resumed, the files are byte-identical
// to an uninterrupted run; a mismatched re-run is refused by the CLI; numpy reads the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sharedAsset } from '../helpers';
import { readNpyMatrix } from '../../lib/util/npy';
import { numpyWouldWrite } from '../npy-reference';

const BIN = resolve('bin/syco.js');
const N = 40;

function writePairs(path: string): void {
  const topics = ['taxes', 'parks', 'schools', 'roads', 'trade', 'energy', 'health', 'housing'];
  const lines = Array.from({ length: N }, (_, i) => {
    const q = `Question: Lily wants to know about ${topics[i % 8]} number ${i}. She thinks it is ${i % 2 ? 'good' : 'bad'} for the town.`;
    return JSON.stringify({
      id: `political_typology_quiz:${i}`, subset: 'political_typology_quiz', format: 'sentence', source_row: i,
      sycophantic: `${q} Given this information as an AI agent I would select: I agree with her`,
      non_sycophantic: `${q} Given this information as an AI agent I would select: The park was big and the sun was warm`,
    });
  });
  writeFileSync(path, lines.join('\n') + '\n');
}

function args(model: string, pairs: string, out: string, extra: string[] = []): string[] {
  return [BIN, 'extract', '--model', model, '--pairs', pairs, '--hooks', 'resid,mlp', '--layers', 'all',
    '--position', '-2', '--batch-size', '4', '--out', out, '--threads', '1', '--quiet', ...extra];
}

function doneCount(dir: string): number {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).counts.done;
  } catch {
    return -1; // not written yet (or mid-rename)
  }
}

/** Start the CLI and SIGKILL it once the manifest shows at least `atLeast` pairs done; returns the count seen then. */
async function killWhenDone(argv: string[], dir: string, atLeast: number): Promise<number> {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise<NodeJS.Signals | number | null>((res) => child.on('exit', (code, sig) => res(sig ?? code)));
  let seen = -1;
  for (;;) {
    if (child.exitCode !== null) break;
    seen = doneCount(dir);
    if (seen >= atLeast) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 3));
  }
  const how = await exited;
  assert.equal(how, 'SIGKILL', `child should still be running when killed (exit ${how}; stderr: ${stderr})`);
  return seen;
}

function npyFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.npy')) out.set(f, readFileSync(join(dir, f)));
  return out;
}

function manifestWithoutTimes(dir: string): Record<string, unknown> {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  delete m.created;
  delete m.finished;
  return m;
}

test('syco extract survives SIGKILL at two points and resumes to byte-identical files', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  if (!model) return;
  const tmp = mkdtempSync(join(tmpdir(), 'syco-cli-extract-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const pairs = join(tmp, 'pairs.jsonl');
  writePairs(pairs);

  const ref = join(tmp, 'ref');
  const r = spawnSync(process.execPath, args(model, pairs, ref), { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const refSummary = JSON.parse(r.stdout.trim());
  assert.equal(refSummary.complete, true);
  assert.equal(refSummary.computed, N);
  assert.equal(refSummary.files, 2 * 5 * 2);
  assert.equal(refSummary.hidden_size, 64);
  assert.equal(refSummary.position, -2);

  const run = join(tmp, 'run');
  const first = await killWhenDone(args(model, pairs, run), run, 3);
  const afterFirst = doneCount(run);
  assert.ok(afterFirst >= first && afterFirst < N, `first kill mid-run (done ${afterFirst}/${N})`);
  const second = await killWhenDone(args(model, pairs, run), run, afterFirst + 10);
  const afterSecond = doneCount(run);
  assert.ok(afterSecond >= second && afterSecond < N, `second kill mid-run (done ${afterSecond}/${N})`);
  t.diagnostic(`killed at ${afterFirst}/${N} and ${afterSecond}/${N} pairs committed`);

  const fin = spawnSync(process.execPath, args(model, pairs, run), { encoding: 'utf8' });
  assert.equal(fin.status, 0, fin.stderr);
  const s = JSON.parse(fin.stdout.trim());
  assert.equal(s.resumed, true);
  assert.equal(s.skipped, afterSecond, 'nothing committed is recomputed');
  assert.equal(s.computed, N - afterSecond);
  assert.equal(s.complete, true);

  const a = npyFiles(ref);
  const b = npyFiles(run);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f)!), `${f} differs from the uninterrupted run`);
  assert.deepEqual(manifestWithoutTimes(run), manifestWithoutTimes(ref));
  assert.deepEqual(readdirSync(run).filter((f) => !f.endsWith('.npy')), ['manifest.json'], 'no lock or temporary file left');

  // The same folder with other settings is refused with a message naming the difference.
  const bad = spawnSync(process.execPath, args(model, pairs, run, ['--layers', '1-3']), { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /refusing to mix them/);
  assert.match(bad.stderr, /layers: store has 0,1,2,3,4, request has 1,2,3/);
  const lim = spawnSync(process.execPath, args(model, pairs, run, ['--limit', '30']), { encoding: 'utf8' });
  assert.equal(lim.status, 1);
  assert.match(lim.stderr, /pair ids: the store has 40 pairs, the request 30/);
  assert.ok(npyFiles(run).get('resid.L0.pos.npy')!.equals(a.get('resid.L0.pos.npy')!), 'refused runs change nothing');

  // every file is exactly what numpy.save writes for float32 [40, 64], with finite values.
  const files = readdirSync(run).filter((f) => f.endsWith('.npy')).sort();
  assert.equal(files.length, 20);
  for (const f of files) {
    assert.equal(numpyWouldWrite(join(run, f), '<f4', [40, 64]), null);
    assert.ok(readNpyMatrix(join(run, f)).data.every(Number.isFinite), `${f}: finite`);
  }
  assert.ok(!existsSync(join(run, '.extract.lock')));
});
