import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sharedAsset } from '../helpers';
import { Study, studyConfig } from '../../lib/study/index';

const tmp = mkdtempSync(join(tmpdir(), 'syco-study-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('Study: saved stages are re-used for the same settings and recomputed when the vectors they used change', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!model || !data) return;
  const dir = join(tmp, 'run');
  const base = { model, data, pairs: 24, abItems: 6, steerLayers: [3], multipliers: [4], methods: ['pca' as const], probes: ['mm' as const], runsDir: tmp };
  const log = () => {};

  const a = new Study(studyConfig({ ...base, normalize: 'unit' }, {}), dir, { log });
  const abUnit = (await a.abEval({ quiet: true })).anthropic;
  const mlpA = await a.mlp();
  await a.close();
  assert.ok('A/B evaluation' in a.timings && 'mlp' in a.timings);

  const b = new Study(studyConfig({ ...base, normalize: 'unit' }, {}), dir, { log });
  assert.deepEqual((await b.abEval({ quiet: true })).anthropic.table, abUnit.table);
  assert.deepEqual(await b.mlp(), mlpA);
  assert.ok(!('A/B evaluation' in b.timings) && !('mlp' in b.timings), `re-used from disk (${Object.keys(b.timings).join(', ')})`);
  await b.close();

  // Another normalisation in the same folder is refused unless the vectors stage is redone (with everything downstream).
  const refused = new Study(studyConfig({ ...base, normalize: 'common' }, {}), dir, { log });
  await assert.rejects(() => refused.abEval({ quiet: true }), /--normalize: unit in the folder, common now \(stage vectors\)[\s\S]*--redo vectors /);
  const c = new Study(studyConfig({ ...base, normalize: 'common' }, {}), dir, { log, redo: ['vectors'] });
  const abCommon = (await c.abEval({ quiet: true })).anthropic;
  await c.close();
  assert.ok('vectors' in c.timings && 'A/B evaluation' in c.timings, `new vectors -> A/B recomputed (${Object.keys(c.timings).join(', ')})`);
  const at = (r: typeof abUnit, m: number) => r.table.find((row) => row.multiplier === m)!.meanP;
  assert.equal(at(abCommon, 0), at(abUnit, 0), 'the unsteered score does not depend on the vector');
  assert.notEqual(at(abCommon, 4), at(abUnit, 4), 'a differently normalised vector steers differently');
});

test('Study A/B stage resumes per cell: finished cells kept beside the result are re-used, the rest computed', async () => {
  const dir = join(tmp, 'ab-cells');
  const cfg = studyConfig({ pairs: 8, abItems: 4, steerLayers: [1], multipliers: [2], methods: ['pca'], probes: ['mm'], runsDir: tmp }, {});
  const a = new Study(cfg, dir, { log: () => {} });
  const full = (await a.abEval({ quiet: true })).anthropic;
  await a.close();
  assert.deepEqual(full.cells.map((c) => [c.layer, c.multiplier]), [[1, -2], [1, 0], [1, 2]]);
  assert.ok(!existsSync(join(dir, 'ab', 'anthropic.cells.json')), 'the cells file goes once the result is saved');
  // As a crash after two cells would leave it (the first marked, to see that it is re-used and not recomputed).
  const saved = JSON.parse(readFileSync(join(dir, 'ab', 'anthropic.json'), 'utf8'));
  rmSync(join(dir, 'ab', 'anthropic.json'));
  const kept = [{ ...full.cells[0], meanP: 0.123 }, full.cells[1]];
  writeFileSync(join(dir, 'ab', 'anthropic.cells.json'), JSON.stringify({ key: saved.key, cells: kept }));
  const b = new Study(cfg, dir, { log: () => {} });
  const resumed = (await b.abEval({ quiet: true })).anthropic;
  await b.close();
  assert.equal(resumed.cells[0].meanP, 0.123, 'cell (1, -2) re-used');
  assert.deepEqual(resumed.cells[2], full.cells[2], 'cell (1, 2) computed again, equal');
  assert.ok(!existsSync(join(dir, 'ab', 'anthropic.cells.json')));
});
