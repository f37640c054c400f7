// A/B behavioural evaluation: on stories260K the normalised letter probabilities sum to 1 and equal the softmax of
// logits computed directly (one prompt at a time, steered by hand); prompt formats; letter tokenisation; loaders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHookedModel } from '../../lib/model/index';
import type { HookedModel } from '../../lib/model/types';
import { loadCaaAB } from '../../lib/datasets/caa';
import { readSycophancyFile } from '../../lib/datasets/anthropic';
import {
  abEvaluate, abItemsFromCaa, abItemsFromRows, abPrompt, formatAbTable, letterTokenId, loadAbItems, prepareAbItems, type SteeringVectorSet,
} from '../../lib/steering/index';
import { Rng } from '../../lib/util/rng';
import { sharedAsset } from '../helpers';

function randomSet(seed: number): SteeringVectorSet {
  const rng = new Rng(seed);
  const vectors = new Map<number, Float32Array>();
  for (let l = 0; l < 5; l++) {
    const r = Float32Array.from({ length: 64 }, () => rng.normal());
    const n = Math.sqrt(r.reduce((a, x) => a + x * x, 0));
    vectors.set(l, r.map((x) => x / n));
  }
  return { meta: { model: 'stories260K', hook: 'resid', dataset: 'random', pairs: 0, normalize: 'unit', hidden: 64 }, layers: [0, 1, 2, 3, 4], vectors, norms: new Map() };
}

/** Two-letter softmax from a row of logits, in float64 (the independent reference). */
function twoSoftmax(row: Float32Array, a: number, b: number): number {
  const la = row[a], lb = row[b];
  const m = Math.max(la, lb);
  return Math.exp(la - m) / (Math.exp(la - m) + Math.exp(lb - m));
}

test('A/B evaluation on stories260K', async (t) => {
  const modelDir = sharedAsset(t, 'models/stories260K-onnx');
  const caaPath = sharedAsset(t, 'datasets/caa-sycophancy/test_dataset_ab.json');
  const anthPath = sharedAsset(t, 'datasets/anthropic-sycophancy/sycophancy_on_political_typology_quiz.jsonl');
  if (!modelDir || !caaPath || !anthPath) return;
  const model = await loadHookedModel(modelDir, { threads: 1 });
  t.after(() => model.dispose());
  const set = randomSet(3);
  const caa = abItemsFromCaa(loadCaaAB(caaPath)).slice(0, 4);
  const rows = readSycophancyFile(anthPath).rows.slice(0, 40);
  const anth = abItemsFromRows(rows.slice(0, 4));
  const items = [...caa, ...anth];

  await t.test('prompts: plain format (no chat template) and letter ids', () => {
    const prep = prepareAbItems(model, items);
    assert.ok(prep.every((p) => p.format === 'plain'));
    // Anthropic rows: exactly the study's ab text before the letter ("Question: " + question + " (A)").
    const r0 = rows[0];
    assert.equal(prep[4].text, 'Question: ' + r0.question + ' (');
    assert.equal(prep[4].text + r0.answer_matching_behavior.trim().slice(1), 'Question: ' + r0.question + r0.answer_matching_behavior);
    // CAA items have no Answer: line; it is added.
    assert.ok(prep[0].text.endsWith('\n\nAnswer: ('));
    assert.ok(prep[0].text.startsWith('Question: '));
    for (const p of prep) {
      assert.equal(model.decode([p.sycId]), p.sycophantic);
      assert.equal(model.decode([p.otherId]), p.other);
      assert.deepEqual(model.encode(p.text + p.sycophantic), [...p.promptIds, p.sycId]);
    }
  });

  await t.test('probabilities sum to 1 over the letters and equal the softmax of directly computed logits', async () => {
    // some CAA prompts are longer than stories260K's 512 positions: cut to the first token and the last 511
    const res = await abEvaluate(model, { vectors: set, layers: [3, 1], multipliers: [4, -4, 0], items, batchSize: 3, maxTokens: 512, quiet: true });
    assert.equal(res.format, 'plain');
    assert.deepEqual(res.layers, [1, 3]);
    assert.deepEqual(res.multipliers, [-4, 0, 4]);
    assert.deepEqual(res.table.map((r) => [r.layer, r.multiplier]), [[1, -4], [1, 0], [1, 4], [3, -4], [3, 0], [3, 4]]);
    const prep = prepareAbItems(model, items);
    const cut = (ids: number[]): number[] => (ids.length > 512 ? [ids[0], ...ids.slice(ids.length - 511)] : ids);
    const long = prep.filter((p) => p.promptIds.length > 512).length;
    assert.ok(long > 0, 'the test covers a truncated prompt');
    assert.deepEqual(res.truncated, { maxTokens: 512, items: long });
    let worst = 0;
    for (const cell of res.cells) {
      const steering = cell.multiplier === 0 ? [] : [{ layer: cell.layer, vector: set.vectors.get(cell.layer)!, multiplier: cell.multiplier }];
      for (let i = 0; i < items.length; i++) {
        const p = cell.p[i];
        assert.ok(p > 0 && p < 1);
        // sums to one over the two letters (from the full-softmax probabilities too)
        const q = cell.pOther[i] / (cell.pSyc[i] + cell.pOther[i]);
        assert.ok(Math.abs(p + q - 1) < 1e-9, `p + q = ${p + q}`);
        // one prompt at a time, by hand
        const logits = await model.nextTokenLogits([cut(prep[i].promptIds)], { steering });
        const want = twoSoftmax(logits.data, prep[i].sycId, prep[i].otherId);
        worst = Math.max(worst, Math.abs(p - want));
        const [full] = await model.candidateProbs([cut(prep[i].promptIds)], [prep[i].sycId, prep[i].otherId], { steering });
        assert.ok(Math.abs(cell.pSyc[i] - full[0]) < 1e-5 && Math.abs(cell.pOther[i] - full[1]) < 1e-5);
      }
      const mean = cell.p.reduce((a, x) => a + x, 0) / cell.p.length;
      assert.ok(Math.abs(cell.meanP - mean) < 1e-12);
      const sd = Math.sqrt(cell.p.reduce((a, x) => a + (x - mean) ** 2, 0) / (cell.p.length - 1));
      assert.ok(Math.abs(cell.stderr - sd / Math.sqrt(cell.p.length)) < 1e-12);
      assert.equal(cell.n, items.length);
    }
    assert.ok(worst < 1e-5, `batched vs single-prompt probabilities differ by ${worst}`);
    // the unsteered cell is shared by every layer; steering changes the values
    const z1 = res.cells.find((c) => c.layer === 1 && c.multiplier === 0)!;
    const z3 = res.cells.find((c) => c.layer === 3 && c.multiplier === 0)!;
    assert.deepEqual(z1.p, z3.p);
    assert.notDeepEqual(res.cells.find((c) => c.layer === 1 && c.multiplier === 4)!.p, z1.p);
    const txt = formatAbTable(res);
    assert.match(txt, /^layer\s+m=-4\s+m=0\s+m=4\n1 /);
    assert.equal(txt.split('\n').length, 3);
  });

  await t.test("steerFrom 'answer' steers only from the end of the question", async () => {
    const res = await abEvaluate(model, { vectors: set, layers: [2], multipliers: [8], items: anth.slice(0, 2), steerFrom: 'answer', quiet: true });
    const prep = prepareAbItems(model, anth.slice(0, 2));
    for (let i = 0; i < 2; i++) {
      assert.ok(prep[i].answerStart > 0 && prep[i].answerStart < prep[i].promptIds.length);
      assert.equal(prep[i].answerStart, model.encode('Question: ' + rows[i].question.replace(/\n\nAnswer:$/, '')).length);
      const logits = await model.nextTokenLogits([prep[i].promptIds], { steering: [{ layer: 2, vector: set.vectors.get(2)!, multiplier: 8, fromPosition: prep[i].answerStart }] });
      assert.ok(Math.abs(res.cells[0].p[i] - twoSoftmax(logits.data, prep[i].sycId, prep[i].otherId)) < 1e-6);
    }
  });

  await t.test('one pass per layer: every nonzero multiplier of a layer shares the forward passes, per-row steering', async () => {
    const calls: { rows: number; steering: number }[] = [];
    const counting: HookedModel = Object.create(model);
    counting.nextTokenLogits = async (texts, opts) => {
      calls.push({ rows: texts.length, steering: opts?.steering?.length ?? 0 });
      return model.nextTokenLogits(texts, opts);
    };
    // five items that fit stories260K's 512 positions (longer prompts are refused without maxTokens)
    const fits = prepareAbItems(model, items).map((x, i) => (x.promptIds.length <= 512 ? i : -1)).filter((i) => i >= 0);
    const few = fits.slice(0, 5).map((i) => items[i]);
    assert.equal(few.length, 5);
    const res = await abEvaluate(counting, { vectors: set, layers: [0, 4], multipliers: [-3, 0, 3, 6], items: few, steerFrom: 'answer', quiet: true });
    // Token budget 2048 with 3 nonzero multipliers: every pass holds 3 rows per item; one control row per item.
    const control = calls.filter((c) => c.steering === 0);
    const steered = calls.filter((c) => c.steering > 0);
    assert.equal(control.reduce((a, c) => a + c.rows, 0), few.length, 'the control runs once');
    assert.equal(steered.reduce((a, c) => a + c.rows, 0), 2 * 3 * few.length, 'each (layer, multiplier, item) once');
    assert.ok(steered.every((c) => c.rows % 3 === 0), 'all three multipliers in the same pass');
    const prep = prepareAbItems(model, few);
    for (const cell of res.cells) {
      for (let i = 0; i < few.length; i++) {
        const steering = cell.multiplier === 0 ? [] : [{ layer: cell.layer, vector: set.vectors.get(cell.layer)!, multiplier: cell.multiplier, fromPosition: prep[i].answerStart }];
        const logits = await model.nextTokenLogits([prep[i].promptIds], { steering });
        const want = twoSoftmax(logits.data, prep[i].sycId, prep[i].otherId);
        assert.ok(Math.abs(cell.p[i] - want) < 1e-5, `layer ${cell.layer} × ${cell.multiplier} item ${i}: ${cell.p[i]} vs ${want}`);
      }
    }
  });

  await t.test('bad input', async () => {
    await assert.rejects(abEvaluate(model, { vectors: set, layers: [7], multipliers: [1], items, quiet: true }), /no vector for layer 7/);
    // prompts past the context are refused, each named with its length, unless maxTokens is given
    await assert.rejects(abEvaluate(model, { vectors: set, layers: [1], multipliers: [1], items, quiet: true }),
      /A\/B evaluation: \d+ prompt\(s\) longer than the model's context of 512 positions[^]*item 0 "[^"]+": \d+ tokens/);
    await assert.rejects(abEvaluate(model, { vectors: set, layers: [1], multipliers: [1], items, chat: true, quiet: true }), /no chat template/);
    await assert.rejects(abEvaluate(model, { vectors: set, layers: [1], multipliers: [1], items: [{ id: 'x', question: 'q', sycophantic: 'C' }], quiet: true }), /item 0 \(x\).*not A or B/);
  });
});

/** A tiny character-level stand-in model: tokens are char codes (+ BOS 1), optionally merging "(A" into one token. */
function charModel(opts: { template?: boolean; mergeParenA?: boolean }): HookedModel {
  const enc = (s: string): number[] => {
    const out = [1];
    for (let i = 0; i < s.length; i++) {
      if (opts.mergeParenA && s[i] === '(' && s[i + 1] === 'A') { out.push(1000); i++; continue; }
      out.push(s.charCodeAt(i));
    }
    return out;
  };
  return {
    id: 'char-model', family: 'fake', numLayers: 1, hiddenSize: 2, vocabSize: 2000, sourceHash: 'x', modelFile: 'x', dtype: 'fp32',
    encode: (s: string) => enc(s),
    decode: (ids: number[]) => ids.filter((i) => i !== 1).map((i) => (i === 1000 ? '(A' : String.fromCharCode(i))).join(''),
    chatPrompt: (m: { role: string; content: string }[]) => (opts.template ? `[INST] ${m[0].content} [/INST] ` : null),
    run: async () => { throw new Error('not used'); },
    generate: async () => { throw new Error('not used'); },
    nextTokenLogits: async () => { throw new Error('not used'); },
    candidateProbs: async () => { throw new Error('not used'); },
    dispose: async () => {},
  } as HookedModel;
}

test('chat template format, and a letter merged with "(" is refused clearly', () => {
  const item = { id: 'q1', question: 'Do you agree?\n\nChoices:\n (A) Yes\n (B) No\n\nAnswer:', sycophantic: 'A' };
  const chat = charModel({ template: true });
  const [p] = prepareAbItems(chat, [item]);
  assert.equal(p.format, 'chat');
  assert.equal(p.text, '[INST] Do you agree?\n\nChoices:\n (A) Yes\n (B) No [/INST] (');
  assert.equal(p.sycId, 'A'.charCodeAt(0));
  assert.equal(p.otherId, 'B'.charCodeAt(0));
  assert.equal(p.other, 'B');
  assert.equal(prepareAbItems(chat, [item], { chat: false })[0].text, 'Question: Do you agree?\n\nChoices:\n (A) Yes\n (B) No\n\nAnswer: (');
  assert.equal(abPrompt(chat, item.question, 'plain').head, 'Question: Do you agree?\n\nChoices:\n (A) Yes\n (B) No');
  const merging = charModel({ mergeParenA: true });
  assert.throws(() => prepareAbItems(merging, [item]), (e: Error) => /item 0 \(q1\)/.test(e.message) && /letter "A"/.test(e.message) && /not one token of its own/.test(e.message));
  assert.throws(() => letterTokenId(merging, 'x (', 'A'), /not one token/);
  assert.equal(letterTokenId(merging, 'x (', 'B'), 'B'.charCodeAt(0));
});

test('loadAbItems detects CAA JSON, Anthropic JSONL and ab pairs JSONL; held-out rows; clear errors', (t) => {
  const caaPath = sharedAsset(t, 'datasets/caa-sycophancy/test_dataset_ab.json');
  const anthPath = sharedAsset(t, 'datasets/anthropic-sycophancy/sycophancy_on_political_typology_quiz.jsonl');
  if (!caaPath || !anthPath) return;
  const dir = mkdtempSync(join(tmpdir(), 'syco-ab-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = loadAbItems(caaPath);
  assert.equal(c.kind, 'caa');
  assert.equal(c.items.length, 50);
  assert.equal(c.items[0].sycophantic, 'B');
  assert.equal(c.items[0].other, 'A');
  const a = loadAbItems(anthPath, { limit: 5 });
  assert.equal(a.kind, 'anthropic');
  assert.deepEqual(a.items.map((x) => x.id), [0, 1, 2, 3, 4].map((i) => `political_typology_quiz:${i}`));
  const held = loadAbItems(anthPath, { limit: 3, excludeIds: ['political_typology_quiz:0', 'political_typology_quiz:2:1'] });
  assert.deepEqual(held.items.map((x) => x.id), ['political_typology_quiz:1', 'political_typology_quiz:3', 'political_typology_quiz:4']);
  const first = readFileSync(anthPath, 'utf8').split('\n')[0];
  const row = JSON.parse(first);
  const pairsPath = join(dir, 'pairs.jsonl');
  writeFileSync(pairsPath, JSON.stringify({
    id: 'political_typology_quiz:0', subset: 'political_typology_quiz', format: 'ab', source_row: 0,
    sycophantic: 'Question: ' + row.question + row.answer_matching_behavior, non_sycophantic: 'Question: ' + row.question + row.answer_not_matching_behavior,
    question: row.question, sycophantic_answer: row.answer_matching_behavior, non_sycophantic_answer: row.answer_not_matching_behavior,
  }) + '\n');
  const p = loadAbItems(pairsPath);
  assert.equal(p.kind, 'pairs');
  assert.deepEqual(p.items[0], { id: 'political_typology_quiz:0', question: row.question, sycophantic: 'B', other: 'A' });
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"text": "hello"}\n');
  assert.throws(() => loadAbItems(bad), /bad\.jsonl:1: unknown A\/B dataset.*found fields text/);
  const txt = join(dir, 'x.txt');
  writeFileSync(txt, 'hello\n');
  assert.throws(() => loadAbItems(txt), /x\.txt: unknown A\/B dataset/);
  assert.throws(() => loadAbItems(join(dir, 'missing.json')), /missing\.json: no such file/);
});
