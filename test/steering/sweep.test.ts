// Steered generation sweeps on stories260K: the golden steering case reproduced through the sweep, multiplier 0 =
// the unsteered greedy text, by-hand steering through the model API, resume after an abort without redoing files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHookedModel } from '../../lib/model/index';
import type { HookedModel } from '../../lib/model/types';
import { steeringSweep, type SteeringVectorSet, type SweepRecord } from '../../lib/steering/index';
import { Rng } from '../../lib/util/rng';
import { sharedAsset } from '../helpers';

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** A model whose generate() calls are counted. */
function counting(model: HookedModel): { model: HookedModel; calls: () => number } {
  let n = 0;
  const proxy = new Proxy(model, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (prop === 'generate') return (...a: unknown[]) => { n++; return (v as (...x: unknown[]) => unknown).apply(target, a); };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { model: proxy, calls: () => n };
}

/** A vector set holding the golden steering vector at block 2 and seeded random unit vectors (norm 4) elsewhere. */
function goldenSet(v: Float32Array): SteeringVectorSet {
  const rng = new Rng(7);
  const vectors = new Map<number, Float32Array>();
  for (let l = 0; l < 5; l++) {
    if (l === 2) { vectors.set(l, v); continue; }
    const r = Float32Array.from({ length: 64 }, () => rng.normal());
    const n = Math.sqrt(r.reduce((a, x) => a + x * x, 0));
    vectors.set(l, r.map((x) => (x / n) * 4));
  }
  return { meta: { model: 'stories260K', hook: 'resid', dataset: 'golden', pairs: 0, normalize: 'none', hidden: 64 }, layers: [0, 1, 2, 3, 4], vectors, norms: new Map() };
}

test('sweep on stories260K', async (t) => {
  const modelDir = sharedAsset(t, 'models/stories260K-onnx');
  const goldenDir = sharedAsset(t, 'models/stories260K-golden');
  if (!modelDir || !goldenDir) return;
  const gv = readJson(join(goldenDir, 'steer_vector.json'));
  const ga = readJson(join(goldenDir, 'steer_a.json'));
  const v = Float32Array.from(gv.v.data as number[]);
  assert.equal(gv.layer, 2);
  const set = goldenSet(v);
  const model = await loadHookedModel(modelDir, { threads: 1 });
  const tmp = mkdtempSync(join(tmpdir(), 'syco-sweep-'));
  t.after(async () => { await model.dispose(); rmSync(tmp, { recursive: true, force: true }); });

  await t.test('golden steering case: +1 = golden steered greedy, 0 = unsteered greedy, −1 = by hand', async () => {
    const out = join(tmp, 'golden');
    const s = await steeringSweep(model, { vectors: set, layers: [2], multipliers: [1], prompts: [ga.text], maxNewTokens: 20, outDir: out, modelTag: 'stories260K', pairsTag: 0, quiet: true });
    assert.deepEqual(s.writtenFiles, ['AT_sentence_results_stories260K_0_2.json']);
    const rows: SweepRecord[] = readJson(join(out, 'AT_sentence_results_stories260K_0_2.json'));
    assert.equal(rows.length, 1);
    assert.deepEqual(Object.keys(rows[0]).sort(), ['answer_control', 'answer_minus', 'answer_plus', 'sentence']);
    assert.equal(rows[0].sentence, ga.text);
    // golden (PyTorch) ids decoded with the model's tokenizer
    assert.equal(rows[0].answer_plus, model.decode(ga.greedy.ids));
    assert.equal(rows[0].answer_control, model.decode(ga.unsteered_greedy_ids));
    // by hand through the model API
    const plus = await model.generate(ga.text, { maxNewTokens: 20, steering: [{ layer: 2, vector: v, multiplier: 1 }] });
    assert.deepEqual(plus.ids, ga.greedy.ids);
    assert.equal(rows[0].answer_plus, plus.text);
    const minus = await model.generate(ga.text, { maxNewTokens: 20, steering: [{ layer: 2, vector: v, multiplier: -1 }] });
    assert.equal(rows[0].answer_minus, minus.text);
    assert.notEqual(rows[0].answer_minus, rows[0].answer_control);
    const plain = await model.generate(ga.text, { maxNewTokens: 20 });
    const zero = await model.generate(ga.text, { maxNewTokens: 20, steering: [{ layer: 2, vector: v, multiplier: 0 }] });
    assert.deepEqual(zero.ids, plain.ids, 'multiplier 0 fed as a vector = unsteered');
    assert.equal(rows[0].answer_control, plain.text);
    const man = readJson(join(out, 'manifest.json'));
    assert.equal(man.complete, true);
    assert.deepEqual(man.files, [{ file: 'AT_sentence_results_stories260K_0_2.json', layer: 2, multiplier: 1, model: 'stories260K', pairs: 0, n: 1 }]);
    assert.equal(man.settings.model_sha256, model.sourceHash);
  });

  await t.test('iThink, steering from generated tokens, several magnitudes', async () => {
    const out = join(tmp, 'opts');
    const prompt = 'Human: I love cats. Do you think cats are the best pets? AI:';
    const s = await steeringSweep(model, {
      vectors: set, layers: [1, 3], multipliers: [-2, 0, 2, 6], prompts: [prompt], maxNewTokens: 8, iThink: true, steerFrom: 'generated',
      outDir: out, modelTag: 'st', pairsTag: 12, quiet: true,
    });
    assert.deepEqual(s.files.map((f) => f.file), ['AT_sentence_results_st_12_1_m2.json', 'AT_sentence_results_st_12_1_m6.json', 'AT_sentence_results_st_12_3_m2.json', 'AT_sentence_results_st_12_3_m6.json']);
    // 1 control + 2 layers × 2 magnitudes × (+, −)
    assert.equal(s.generations, 9);
    const r = readJson(join(out, 'AT_sentence_results_st_12_3_m6.json'))[0] as SweepRecord;
    assert.equal(r.sentence, prompt);
    const hand = await model.generate(prompt + ' I think', { maxNewTokens: 8, steering: [{ layer: 3, vector: set.vectors.get(3)!, multiplier: -6, fromPosition: 'generated' }] });
    assert.equal(r.answer_minus, hand.text);
    const ctl = await model.generate(prompt + ' I think', { maxNewTokens: 8 });
    assert.equal(r.answer_control, ctl.text);
    const m = readJson(join(out, 'manifest.json'));
    assert.deepEqual(m.files.map((f: { layer: number; multiplier: number }) => [f.layer, f.multiplier]), [[1, 2], [1, 6], [3, 2], [3, 6]]);
    assert.equal(m.settings.i_think, true);
    assert.equal(m.settings.steer_from, 'generated');
  });

  await t.test('an aborted sweep resumes without redoing finished files; other settings are refused', async () => {
    const out = join(tmp, 'resume');
    const prompts = ['Once upon a time', 'The dog was sad because', 'Tom had a red ball.'];
    const base = { vectors: set, layers: [0, 2, 4], multipliers: [3], prompts, maxNewTokens: 6, outDir: out, modelTag: 'st', pairsTag: 5, quiet: true };
    const ac = new AbortController();
    const c1 = counting(model);
    await assert.rejects(steeringSweep(c1.model, { ...base, signal: ac.signal, onFile: () => ac.abort() }), { name: 'AbortError' });
    assert.equal(c1.calls(), 3 + 3 * 2, 'controls + one layer');
    // only finished files (no partial results file)
    assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('AT_')), ['AT_sentence_results_st_5_0.json']);
    assert.equal(readJson(join(out, 'manifest.json')).complete, false);
    const mtime = statSync(join(out, 'AT_sentence_results_st_5_0.json')).mtimeMs;
    const first = readFileSync(join(out, 'AT_sentence_results_st_5_0.json'), 'utf8');

    const c2 = counting(model);
    const s2 = await steeringSweep(c2.model, base);
    assert.deepEqual(s2.skippedFiles, ['AT_sentence_results_st_5_0.json']);
    assert.deepEqual(s2.writtenFiles, ['AT_sentence_results_st_5_2.json', 'AT_sentence_results_st_5_4.json']);
    assert.equal(c2.calls(), 2 * 3 * 2, 'controls cached, finished layer skipped');
    assert.equal(statSync(join(out, 'AT_sentence_results_st_5_0.json')).mtimeMs, mtime);
    assert.equal(readFileSync(join(out, 'AT_sentence_results_st_5_0.json'), 'utf8'), first);
    assert.equal(readJson(join(out, 'manifest.json')).complete, true);
    // a third run does nothing
    const c3 = counting(model);
    const s3 = await steeringSweep(c3.model, base);
    assert.equal(c3.calls(), 0);
    assert.equal(s3.writtenFiles.length, 0);
    // the resumed results equal an uninterrupted run
    const fresh = join(tmp, 'fresh');
    await steeringSweep(model, { ...base, outDir: fresh });
    for (const l of [0, 2, 4]) {
      const f = `AT_sentence_results_st_5_${l}.json`;
      assert.deepEqual(readJson(join(out, f)), readJson(join(fresh, f)), f);
    }
    // other settings: refused with the differences named; overwrite redoes
    await assert.rejects(steeringSweep(model, { ...base, maxNewTokens: 7 }), /other settings[\s\S]*max_new_tokens: was 6, now 7/);
    const c4 = counting(model);
    const s4 = await steeringSweep(c4.model, { ...base, layers: [0], maxNewTokens: 7, overwrite: true });
    assert.equal(c4.calls(), 3 + 3 * 2);
    assert.deepEqual(s4.writtenFiles, ['AT_sentence_results_st_5_0.json']);
    assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('AT_')), ['AT_sentence_results_st_5_0.json']);
  });

  await t.test('bad input: unknown layer, hidden mismatch, empty prompts, bad tags', async () => {
    const out = join(tmp, 'bad');
    const base = { vectors: set, layers: [2], multipliers: [1], prompts: ['x'], outDir: out, modelTag: 'st', pairsTag: 1, quiet: true };
    await assert.rejects(steeringSweep(model, { ...base, layers: [9] }), /no vector for layer 9/);
    await assert.rejects(steeringSweep(model, { ...base, vectors: { ...set, meta: { ...set.meta, hidden: 32 } } }), /hidden size 32.*has 64/);
    await assert.rejects(steeringSweep(model, { ...base, prompts: [] }), /no prompts/);
    await assert.rejects(steeringSweep(model, { ...base, multipliers: [0] }), /no non-zero magnitude/);
    await assert.rejects(steeringSweep(model, { ...base, modelTag: 'a/b' }), /modelTag/);
    await assert.rejects(steeringSweep(model, { ...base, chat: true }), /no chat template/);
  });
});
