// `syco ab-eval`'s result file, cell by cell, on the built-in organism model: a crash mid-run (a real exception out of
// the model's forward pass) leaves every finished cell saved; the re-run computes only the missing cells and ends
// equal to an uninterrupted run; other settings are refused naming the difference; the file is locked while written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHookedModel } from '../../lib/model/index';
import type { HookedModel } from '../../lib/model/types';
import { abEvaluateToFile, loadAbItems, type AbEvalFile, type AbFileOptions, type SteeringVectorSet } from '../../lib/steering/index';
import { Rng } from '../../lib/util/rng';
import { holdLock } from '../helpers';

const dir = mkdtempSync(join(tmpdir(), 'syco-ab-file-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function randomSet(seed: number, hidden: number, layers: number): SteeringVectorSet {
  const rng = new Rng(seed);
  const vectors = new Map<number, Float32Array>();
  for (let l = 0; l < layers; l++) {
    const r = Float32Array.from({ length: hidden }, () => rng.normal());
    const n = Math.sqrt(r.reduce((a, x) => a + x * x, 0));
    vectors.set(l, r.map((x) => (4 * x) / n));
  }
  return { meta: { model: 'organism', hook: 'resid', dataset: 'random', pairs: 0, normalize: 'unit', hidden }, layers: [...vectors.keys()], vectors, norms: new Map() };
}

/** The model with its forward passes counted; the pass after `crashAfter` throws, as a crash would. */
function counted(model: HookedModel, crashAfter = Infinity): { model: HookedModel; calls: () => number } {
  let n = 0;
  const wrapped = new Proxy(model, {
    get(target, key) {
      if (key === 'nextTokenLogits') {
        return (...args: Parameters<HookedModel['nextTokenLogits']>) => {
          if (++n > crashAfter) throw new Error('simulated crash in a forward pass');
          return target.nextTokenLogits(...args);
        };
      }
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { model: wrapped, calls: () => n };
}

const read = (p: string): AbEvalFile => JSON.parse(readFileSync(p, 'utf8'));
const grid = (f: AbEvalFile) => f.cells.map((c) => [c.layer, c.multiplier]);

test('ab-eval file: resumable per cell, refuses other settings, locked while written', async (t) => {
  const model = await loadHookedModel('models/organism', { threads: 1 });
  t.after(() => model.dispose());
  const vectors = randomSet(7, model.hiddenSize, model.numLayers);
  const { items } = loadAbItems('data/organism/pairs/ab.jsonl', { limit: 6 });
  const lines: string[] = [];
  // batchSize 4: the control in 2 passes (4 + 2 items), each layer's two multipliers in 3 passes (2 items × 2 rows).
  const base = (out: string, more: Partial<AbFileOptions> = {}): AbFileOptions => ({
    vectors, layers: [1, 2, 3], multipliers: [-2, 0, 2], items, batchSize: 4, quiet: false, log: (l) => lines.push(l),
    out, settings: { model: model.id, model_sha256: model.sourceHash, dataset: 'data/organism/pairs/ab.jsonl' }, ...more,
  });

  const ref = join(dir, 'ref.json');
  const c0 = counted(model);
  await abEvaluateToFile(c0.model, base(ref));
  assert.equal(c0.calls(), 2 + 3 * 3);
  const want = read(ref);
  assert.equal(want.complete, true);
  assert.deepEqual(grid(want), [[1, -2], [1, 0], [1, 2], [2, -2], [2, 0], [2, 2], [3, -2], [3, 0], [3, 2]]);
  assert.equal(want.kind, 'ab-eval');
  assert.deepEqual(Object.keys(want.table[0]), ['layer', 'multiplier', 'meanP', 'n', 'stderr']);

  // A crash in the second pass of layer 2: the control (every layer) and layer 1 are saved, layer 2's cells are lost.
  const out = join(dir, 'ab.json');
  await assert.rejects(abEvaluateToFile(counted(model, 2 + 3 + 1).model, base(out)), /simulated crash/);
  const partial = read(out);
  assert.equal(partial.complete, false);
  assert.deepEqual(grid(partial), [[1, -2], [1, 0], [1, 2], [2, 0], [3, 0]]);
  assert.deepEqual(partial.cells, want.cells.filter((c) => c.layer === 1 || c.multiplier === 0));

  // The re-run computes layers 2 and 3 only (no control pass) and ends equal to the uninterrupted run.
  lines.length = 0;
  const c1 = counted(model);
  const r = await abEvaluateToFile(c1.model, base(out));
  assert.equal(c1.calls(), 2 * 3);
  assert.equal(r.resumed, 5);
  assert.ok(lines.includes(`ab-eval: re-using 5 finished cells from ${out}`), lines.join('\n'));
  const got = read(out);
  assert.equal(got.complete, true);
  assert.equal(got.cells_resumed, 5);
  for (const k of ['cells', 'table', 'items', 'layers', 'multipliers', 'settings', 'key', 'truncated_items'] as const) assert.deepEqual(got[k], want[k], k);

  // Other settings are refused, naming each difference, and the file is left as it was.
  const before = readFileSync(out, 'utf8');
  await assert.rejects(abEvaluateToFile(model, base(out, { steerFrom: 'answer' })), (err: Error) => {
    assert.match(err.message, new RegExp(`^${out}: holds an A/B evaluation made with other settings; refusing to mix them:\\n  - steer_from: was "all", now "answer"\\n`));
    assert.match(err.message, /--overwrite to discard it/);
    return true;
  });
  await assert.rejects(abEvaluateToFile(model, base(out, { items: items.slice(0, 5) })), /items_sha256: was "[0-9a-f]+", now "[0-9a-f]+"/);
  await assert.rejects(abEvaluateToFile(model, base(out, { vectors: randomSet(8, model.hiddenSize, model.numLayers) })), /vector of layer 1 changed/);
  assert.equal(readFileSync(out, 'utf8'), before);
  // A batching change is allowed (only the last bits may move), with a note.
  lines.length = 0;
  const c2 = counted(model);
  await abEvaluateToFile(c2.model, base(out, { batchSize: 2 }));
  assert.equal(c2.calls(), 0, 'every cell re-used');
  assert.ok(lines.some((l) => l.startsWith('ab-eval: note: the re-used cells were computed with batch size 4')), lines.join('\n'));

  // Another grid: finished cells of it are re-used, the new multiplier computed, cells not asked for left out.
  lines.length = 0;
  const c3 = counted(model);
  const g = await abEvaluateToFile(c3.model, base(out, { layers: [2, 3], multipliers: [-2, 0, 2, 4] }));
  assert.equal(g.resumed, 6);
  assert.equal(c3.calls(), 2 * 2, 'multiplier 4 alone at layers 2 and 3 (one row per item: 4 + 2 items per pass)');
  assert.deepEqual(grid(read(out)), [[2, -2], [2, 0], [2, 2], [2, 4], [3, -2], [3, 0], [3, 2], [3, 4]]);
  assert.ok(lines.includes(`ab-eval: 3 cells of ${out} for layers or multipliers not asked for this time are left out of it`), lines.join('\n'));

  // --overwrite discards a file made with other settings.
  const o = await abEvaluateToFile(model, base(out, { steerFrom: 'answer', overwrite: true }));
  assert.equal(o.resumed, 0);
  assert.equal(read(out).settings.steer_from, 'answer');

  // A second writer (a real process holding the lock) is refused before anything is computed.
  const holder = await holdLock(`${out}.lock`, 'A/B evaluation');
  try {
    const c4 = counted(model);
    await assert.rejects(abEvaluateToFile(c4.model, base(out)), new RegExp(`another A/B evaluation \\(pid ${holder.pid}\\) is writing here`));
    assert.equal(c4.calls(), 0);
  } finally {
    await holder.stop();
  }
});
