import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openActivationStore } from '../../lib/activations/store';
import { projectLayers } from '../../lib/geometry/project';
import { writeNpyMatrix } from '../../lib/util/npy';
import type { Matrix } from '../../lib/util/matrix';
import { Rng } from '../../lib/util/rng';
import { tmpFolder } from './helpers';

const PAIRS = 40, HIDDEN = 16;

/** A hand-built activation run: layers 0 and 1 of the resid hook; layer 1 has the classes 6 units apart along e0. */
function makeRun(): string {
  const dir = join(tmpFolder('syco-geom-cli-'), 'run');
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(21);
  for (const layer of [0, 1]) {
    for (const side of ['pos', 'neg'] as const) {
      const m: Matrix = { rows: PAIRS, cols: HIDDEN, data: new Float32Array(PAIRS * HIDDEN) };
      for (let i = 0; i < PAIRS; i++) {
        for (let j = 0; j < HIDDEN; j++) m.data[i * HIDDEN + j] = rng.normal();
        if (layer === 1) m.data[i * HIDDEN] += side === 'pos' ? 3 : -3;
      }
      writeNpyMatrix(join(dir, `resid.L${layer}.${side}.npy`), m);
    }
  }
  const manifest = {
    format_version: 1,
    model: { id: 'hand-built', file: 'none', sha256: '0', dtype: 'fp32', family: 'llama', num_layers: 2, hidden_size: HIDDEN },
    dataset: { source: 'test', format: 'ab', pair_ids: Array.from({ length: PAIRS }, (_, i) => `p${i}`) },
    hooks: ['resid'], layers: [0, 1], position: -2, dtype: 'float32', hidden_size: HIDDEN,
    counts: { pairs: PAIRS, done: PAIRS }, complete: true, code_version: 'test', created: '2026-01-01T00:00:00Z',
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** Run `syco <argv>` as a child process (the CLI as a user runs it). */
async function syco(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = spawnSync(process.execPath, [resolve('bin/syco.js'), ...argv], { encoding: 'utf8', env: { ...process.env, SYCO_THREADS: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface GeomFile {
  complete: boolean;
  settings: { method: string; dims: number };
  pair_ids: string[];
  layers: { layer: number; n: number; coords: number[][]; labels: number[]; pair: number[]; info: Record<string, unknown> }[];
}

test('syco geometry --method pca: per-layer coordinates with labels; the planted layer separates the classes', async () => {
  const dir = makeRun();
  const out = join(dir, '..', 'pca.json');
  const r = await syco(['geometry', '--acts', dir, '--method', 'pca', '--out', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim());
  assert.deepEqual(summary.layers, [0, 1]);
  const f = JSON.parse(readFileSync(out, 'utf8')) as GeomFile;
  assert.equal(f.complete, true);
  assert.equal(f.pair_ids.length, PAIRS);
  assert.deepEqual(f.layers.map((l) => l.layer), [0, 1]);
  for (const l of f.layers) {
    assert.equal(l.coords.length, 2 * PAIRS);
    assert.ok(l.coords.every((c) => c.length === 2));
    assert.deepEqual(l.labels, [...Array(PAIRS).fill(1), ...Array(PAIRS).fill(0)]);
    assert.deepEqual(l.pair, [...Array.from({ length: PAIRS }, (_, i) => i), ...Array.from({ length: PAIRS }, (_, i) => i)]);
    // PCA scores are centred
    const mean = l.coords.reduce((s, c) => s + c[0], 0) / l.coords.length;
    assert.ok(Math.abs(mean) < 1e-4);
  }
  // layer 1: the first principal axis is the planted direction, so its sign splits pos from neg
  const l1 = f.layers[1];
  const sign = Math.sign(l1.coords[0][0]);
  const correct = l1.coords.filter((c, i) => (Math.sign(c[0]) === sign) === (l1.labels[i] === 1)).length;
  assert.equal(correct, 2 * PAIRS);
  const ratio = l1.info.explained_variance_ratio as number[];
  assert.ok(ratio[0] > 0.3, `explained variance ratio ${ratio}`);
});

test('syco geometry: t-SNE 3-D of differences, resume of finished layers, and projectLayers agree', async () => {
  const dir = makeRun();
  const out = join(dir, '..', 'tsne.json');
  const args = ['geometry', '--acts', dir, '--method', 'tsne', '--of', 'diff', '--dims', '3', '--perplexity', '10', '--iterations', '250', '--seed', '4', '--out', out, '--quiet'];
  let r = await syco([...args, '--layers', '1']);
  assert.equal(r.code, 0, r.stderr);
  const first = JSON.parse(readFileSync(out, 'utf8')) as GeomFile;
  assert.equal(first.layers.length, 1);
  assert.equal(first.layers[0].coords.length, PAIRS);
  assert.ok(first.layers[0].coords.every((c) => c.length === 3));
  assert.ok(first.layers[0].labels.every((v) => v === 1));
  r = await syco([...args, '--layers', '0-1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim()).resumed_layers, 1);
  const both = JSON.parse(readFileSync(out, 'utf8')) as GeomFile;
  assert.deepEqual(both.layers.map((l) => l.layer), [0, 1]);
  assert.deepEqual(both.layers[1].coords, first.layers[0].coords);
  // the library driver gives the same coordinates (deterministic for the seed)
  const lib = projectLayers(openActivationStore(dir), { method: 'tsne', of: 'diff', dims: 3, perplexity: 10, iterations: 250, seed: 4, layers: [1] });
  const c = lib[0].coords;
  for (let i = 0; i < PAIRS; i++) for (let a = 0; a < 3; a++) {
    assert.ok(Math.abs(c.data[i * 3 + a] - both.layers[1].coords[i][a]) <= 1e-6 * Math.max(1, Math.abs(c.data[i * 3 + a])));
  }
});

test('syco geometry: usage errors exit 2, bad layers exit 1 naming the layer, --help lists the flags', async () => {
  const dir = makeRun();
  const out = join(dir, '..', 'x.json');
  let r = await syco(['geometry', '--acts', dir, '--method', 'isomap', '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--method must be one of pca, tsne, umap, lle, spectral/);
  r = await syco(['geometry', '--method', 'pca', '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--acts is required/);
  r = await syco(['geometry', '--acts', dir, '--method', 'pca', '--dims', '4', '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--dims must be 2 or 3/);
  r = await syco(['geometry', '--acts', dir, '--method', 'pca', '--layers', '7', '--out', out, '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /layer 7 not captured/);
  const help = spawnSync(process.execPath, [resolve('bin/syco.js'), 'geometry', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--method\s+pca, tsne/);
});
