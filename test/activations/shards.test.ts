// Sharded extraction: shards + merge give a store byte-identical to one run (fake model, both batchings; the real
// stories260K model through the CLI), and merge refuses missing, duplicated, foreign and incomplete shards.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractActivations, type ExtractOptions } from '../../lib/activations/extract';
import { mergeShards, parseShard, shardRange } from '../../lib/activations/shards';
import { sharedAsset, runSyco } from '../helpers';
import { FakeModel } from './fake-model';

const made: string[] = [];
const tmp = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `syco-shard-${name}-`));
  made.push(d);
  return d;
};
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

function pairs(n: number): ExtractOptions['pairs'] {
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`, subset: i % 2 ? 'a' : 'b', format: 'sentence',
    sycophantic: `Q${i} ${'y'.repeat((i * 13) % 29)} agree`, non_sycophantic: `Q${i} ${'y'.repeat((i * 13) % 29)} disagree`,
  }));
}

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.npy')) out.set(f, readFileSync(join(dir, f)));
  return out;
}

function stable(dir: string): Record<string, unknown> {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  delete m.created;
  delete m.finished;
  return m;
}

test('parseShard and shardRange: whole units, even split, clear errors', () => {
  assert.deepEqual(parseShard('2/8'), { index: 2, count: 8 });
  assert.throws(() => parseShard('8/8'), /need 0 ≤ i < n/);
  assert.throws(() => parseShard('a/b'), /--shard must be i\/n/);
  assert.deepEqual([0, 1, 2].map((i) => shardRange(23, { index: i, count: 3 }, 4)), [{ start: 0, end: 8 }, { start: 8, end: 16 }, { start: 16, end: 23 }]);
  assert.throws(() => shardRange(5, { index: 0, count: 3 }, 4), /only 2 unit\(s\) of 4 pairs .* at most 2 shards/);
});

for (const [label, over] of [['length-aware', { batchTokens: 100, sortWindow: 4 }], ['file-order', { batchSize: 4 }]] as [string, Partial<ExtractOptions>][]) {
  test(`${label}: shards + merge are byte-identical to one run`, async () => {
    const P = pairs(23);
    const base = (outDir: string, extra: Partial<ExtractOptions> = {}): ExtractOptions =>
      ({ model: new FakeModel(), pairs: P, outDir, hooks: ['resid', 'mlp'], position: -2, quiet: true, source: 'pairs.jsonl', ...over, ...extra });
    const single = tmp('single');
    await extractActivations(base(single));
    const dirs = [0, 1, 2].map((i) => tmp(`s${i}`));
    for (const [i, d] of dirs.entries()) await extractActivations(base(d, { shard: { index: i, count: 3 } }));
    const shard1 = JSON.parse(readFileSync(join(dirs[1], 'manifest.json'), 'utf8'));
    assert.equal(shard1.shard.offset, 8);
    assert.deepEqual(shard1.dataset.pair_ids, P.slice(8, 16).map((p) => p.id));
    const out = join(tmp('merged'), 'store');
    const s = mergeShards([dirs[2], dirs[0], dirs[1]], out);
    assert.equal(s.pairs, 23);
    assert.deepEqual(files(out), files(single));
    assert.deepEqual(stable(out), stable(single));
  });
}

test('merge refuses a missing, duplicated, foreign or incomplete shard, a non-shard store and a non-empty output', async () => {
  const P = pairs(12);
  const base = (outDir: string, i: number, extra: Partial<ExtractOptions> = {}): ExtractOptions =>
    ({ model: new FakeModel(), pairs: P, outDir, quiet: true, batchTokens: 100, sortWindow: 4, shard: { index: i, count: 3 }, ...extra });
  const dirs = [0, 1, 2].map((i) => tmp(`r${i}`));
  for (const [i, d] of dirs.entries()) await extractActivations(base(d, i));
  const out = (): string => join(tmp('out'), 'x');
  assert.throws(() => mergeShards([dirs[0], dirs[2]], out()), /missing shard\(s\) 1\/3 \(have 0, 2\)/);
  assert.throws(() => mergeShards([dirs[0], dirs[1], dirs[1], dirs[2]], out()), /shard 1\/3 given twice/);
  const foreign = tmp('foreign');
  await extractActivations(base(foreign, 1, { model: new FakeModel({ sourceHash: 'e'.repeat(64) }) }));
  assert.throws(() => mergeShards([dirs[0], foreign, dirs[2]], out()), /shard of another extraction .*model_sha256/);
  const otherData = tmp('otherdata');
  await extractActivations(base(otherData, 1, { pairs: P.map((p, i) => (i === 0 ? { ...p, sycophantic: 'changed' } : p)) }));
  assert.throws(() => mergeShards([dirs[0], otherData, dirs[2]], out()), /shard of another extraction .*dataset/);
  const otherCount = tmp('othercount');
  await extractActivations(base(otherCount, 1, { shard: { index: 1, count: 2 } }));
  assert.throws(() => mergeShards([dirs[0], otherCount, dirs[2]], out()), /shard of another extraction .*shard_count/);
  const partial = tmp('partial');
  await assert.rejects(extractActivations(base(partial, 1, { model: new FakeModel({ failOnCall: 1 }) })), /simulated crash/);
  assert.throws(() => mergeShards([dirs[0], partial, dirs[2]], out()), /is not complete/);
  const plain = tmp('plain');
  await extractActivations({ model: new FakeModel(), pairs: P, outDir: plain, quiet: true });
  assert.throws(() => mergeShards([plain], out()), /not a shard/);
  const busy = tmp('busy');
  writeFileSync(join(busy, 'x.txt'), 'x');
  assert.throws(() => mergeShards(dirs, busy), /not empty/);
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runSyco(args);
  return { code: r.code ?? 1, out: r.stdout, err: r.stderr };
}

test('stories260K through the CLI: syco extract --shard i/3 + syco extract merge = one run, byte for byte', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  if (!model) return;
  const dir = tmp('cli');
  const texts = ['Once upon a time there was a little girl.', 'The cat sat on the mat and looked at the sun.', 'Tom was sad.', 'A big dog ran to the park to play.'];
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({
    id: `s${i}`, subset: 'story', source_row: i, format: 'sentence', sycophantic: `${texts[i % 4]} ${texts[(i + 1) % 4]}`, non_sycophantic: texts[(i + 3) % 4],
  }));
  const pairsFile = join(dir, 'pairs.jsonl');
  writeFileSync(pairsFile, lines.join('\n') + '\n');
  const common = ['--model', model, '--pairs', pairsFile, '--hooks', 'resid,mlp', '--batch-tokens', '120', '--quiet'];
  // Length-aware: 10 pairs are one sorting window (256 pairs), so one shard; file-order batches of 2 pairs: 3 shards.
  const one = await cli(['extract', ...common, '--out', join(dir, 'single')]);
  assert.equal(one.code, 0, one.err);
  const s0 = await cli(['extract', ...common, '--shard', '0/1', '--out', join(dir, 'only')]);
  assert.equal(s0.code, 0, s0.err);
  const m0 = await cli(['extract', 'merge', join(dir, 'only'), '--out', join(dir, 'merged1')]);
  assert.equal(m0.code, 0, m0.err);
  assert.deepEqual(files(join(dir, 'merged1')), files(join(dir, 'single')));
  const fixed = ['--model', model, '--pairs', pairsFile, '--hooks', 'resid,mlp', '--batch-size', '4', '--quiet'];
  const ref = await cli(['extract', ...fixed, '--out', join(dir, 'single-fixed')]);
  assert.equal(ref.code, 0, ref.err);
  for (let i = 0; i < 3; i++) {
    const r = await cli(['extract', ...fixed, '--shard', `${i}/3`, '--out', join(dir, `fixed-${i}`)]);
    assert.equal(r.code, 0, r.err);
  }
  const m = await cli(['extract', 'merge', ...[0, 1, 2].map((i) => join(dir, `fixed-${i}`)), '--out', join(dir, 'merged3')]);
  assert.equal(m.code, 0, m.err);
  assert.deepEqual(JSON.parse(m.out.trim()), { out: join(dir, 'merged3'), shards: 3, pairs: 10, files: 20 });
  assert.deepEqual(files(join(dir, 'merged3')), files(join(dir, 'single-fixed')), 'real model rows byte-identical');
  const stableSingle = stable(join(dir, 'single-fixed'));
  const stableMerged = stable(join(dir, 'merged3'));
  assert.deepEqual(stableMerged, stableSingle);
  const bad = await cli(['extract', 'merge', join(dir, 'fixed-0'), join(dir, 'fixed-2'), '--out', join(dir, 'never')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /missing shard\(s\) 1\/3/);
});
