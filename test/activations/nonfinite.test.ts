// A NaN or Inf planted in a real activation store (written by extractActivations) is refused by every reader —
// the five probes, PCA, t-SNE, UMAP and `syco vectors` as real CLI processes — with one error naming the file,
// the row (and its pair id) and the column; no result file claims to be complete.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extractActivations } from '../../lib/activations/extract';
import { activationFileName, openActivationStore } from '../../lib/activations/store';
import { readNpyHeader } from '../../lib/util/npy';
import { assertFinite } from '../../lib/util/matrix';
import { PROBE_KINDS } from '../../lib/probes/types';
import { trainProbe } from '../../lib/probes/train';
import { pca } from '../../lib/geometry/pca';
import { FakeModel, fakePairs } from './fake-model';

const BIN = resolve('bin/syco.js');
const made: string[] = [];
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

const H = 6;
const PAIRS = 24;

/** A real store from the extractor, then `value` written over (row, col) of one file in place. */
async function plantedStore(value: number, file: string, row: number, col: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'syco-nonfinite-'));
  made.push(dir);
  await extractActivations({
    model: new FakeModel({ numLayers: 3, hiddenSize: H }), pairs: fakePairs(PAIRS), outDir: dir,
    hooks: ['resid'], layers: 'all', position: -2, batchSize: 4, quiet: true,
  });
  const p = join(dir, file);
  const { offset } = readNpyHeader(p);
  const fd = openSync(p, 'r+');
  try {
    writeSync(fd, new Uint8Array(Float32Array.of(value).buffer), 0, 4, offset + (row * H + col) * 4);
  } finally {
    closeSync(fd);
  }
  return dir;
}

function syco(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, SYCO_QUIET: '1' } });
  return { code: r.status, stderr: r.stderr };
}

test('assertFinite names the first NaN/Inf by row (with offset and label) and column; finite data passes', () => {
  assertFinite('x', Float32Array.of(1, 2, 3, 4), 2);
  assert.throws(() => assertFinite('f.npy', Float32Array.of(1, 2, 3, NaN), 2, 10, (r) => `pair "p${r}"`),
    /^Error: f\.npy: row 11 \(pair "p11"\), column 1 is NaN/);
  assert.throws(() => assertFinite('m', Float64Array.of(0, -Infinity), 1), /m: row 1, column 0 is -Infinity/);
  // in-memory matrices handed straight to the library are refused too
  const X = { rows: 8, cols: 3, data: Float32Array.from({ length: 24 }, (_, i) => (i === 13 ? NaN : Math.sin(i))) };
  const y = Uint8Array.from({ length: 8 }, (_, i) => i % 2);
  assert.throws(() => pca(X, 2), /pca: input: row 4, column 1 is NaN/);
  for (const k of PROBE_KINDS) assert.throws(() => trainProbe(k, X, y, { epochs: 5, tries: 1 }), new RegExp(`probe ${k}: input: row 4, column 1 is NaN`));
});

test('a NaN in a real store: five probes, PCA, t-SNE, UMAP and syco vectors all exit 1 naming file, row, column', async () => {
  const file = activationFileName('resid', 1, 'neg');
  const dir = await plantedStore(NaN, file, 7, 3);
  const want = new RegExp(`${join(dir, file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: row 7 \\(pair "p7"\\), column 3 is NaN`);
  // the store itself refuses the read, whichever way it is read
  const store = openActivationStore(dir);
  assert.throws(() => store.labelled('resid', 1), want);
  assert.throws(() => store.diff('resid', 1), want);
  assert.throws(() => store.readRows('resid', 1, 'neg', 4, 6), want);
  assert.doesNotThrow(() => store.readRows('resid', 1, 'neg', 0, 7)); // rows before the NaN are fine
  assert.doesNotThrow(() => store.labelled('resid', 0));
  const runs: [string, string[]][] = [
    ...PROBE_KINDS.map((k): [string, string[]] => [`probe ${k}`, ['probe', '--acts', dir, '--probe', k, '--epochs', '20', '--tries', '1', '--out', join(dir, `probe-${k}.json`), '--quiet']]),
    ...['pca', 'tsne', 'umap'].map((m): [string, string[]] => [`geometry ${m}`, ['geometry', '--acts', dir, '--method', m, '--perplexity', '5', '--iterations', '250', '--neighbors', '5', '--out', join(dir, `geo-${m}.json`)]]),
    ['vectors', ['vectors', '--acts', dir, '--out', join(dir, 'vectors')]],
  ];
  for (const [name, args] of runs) {
    const r = syco(args);
    assert.equal(r.code, 1, `${name} must fail: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, want, `${name}: ${r.stderr}`);
    const out = args[args.indexOf('--out') + 1];
    if (existsSync(out) && out.endsWith('.json')) assert.notEqual(JSON.parse(readFileSync(out, 'utf8')).complete, true, `${name} wrote complete: true`);
  }
});

test('an Inf in a real store is refused the same way (pos side, last row)', async () => {
  const file = activationFileName('resid', 2, 'pos');
  const dir = await plantedStore(Infinity, file, PAIRS - 1, 0);
  const r = syco(['probe', '--acts', dir, '--probe', 'mm', '--out', join(dir, 'p.json'), '--quiet']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${file}: row ${PAIRS - 1} \\(pair "p${PAIRS - 1}"\\), column 0 is Infinity`));
  assert.equal(JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8')).complete, false); // layers 0 and 1 saved, not complete
});
