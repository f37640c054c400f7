// The hooked stories260K model against the independent PyTorch golden reference (../shared/models/stories260K-golden).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { maxAbsDiff } from '../../lib/util/matrix';
import type { HookedModel, SteeringVector } from '../../lib/model/index';
import { OnnxHookedModel } from '../../lib/model/index';
import { sessionOptions } from '../../lib/model/hooked';
import { POSITIONS_INPUT, MEAN_WEIGHTS_INPUT, steerInputName } from '../../lib/model/hooks';
import { sharedAsset } from '../helpers';
import { golden, stories, slab, PROMPTS } from './_golden';

const TOL = 1e-4;
const H = 64;
const loaded: HookedModel[] = [];
after(async () => { for (const m of loaded) await m.dispose(); });

async function model(t: Parameters<typeof stories>[0], file = 'model.onnx'): Promise<HookedModel | null> {
  const m = await stories(t, file);
  if (m && !loaded.includes(m)) loaded.push(m);
  return m;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = TOL): void {
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= tol, `${what}: max abs diff ${d} > ${tol}`);
}

for (const file of ['model.onnx', 'model_fused.onnx']) {
  for (const p of PROMPTS) {
    test(`${file} ${p}: embeddings, every block's resid/mlp/attn, final norm and logits within 1e-4`, async (t) => {
      const g = golden(t, p);
      const m = await model(t, file);
      if (!g || !m) return;
      const r = await m.run([g.text], { hooks: ['resid', 'mlp', 'attn'], positions: 'all', embeds: true, finalNorm: true, logits: 'positions' });
      assert.deepEqual(r.tokenIds[0], g.input_ids);
      const S = g.seq_len;
      const hs = g.hidden_states.data;
      close(r.captures.get('embeds')!.data, slab(hs, 0, S * H), 'embeds');
      for (let l = 0; l < 5; l++) {
        const resid = r.captures.get(`resid.${l}`)!;
        assert.equal(resid.rows, S);
        assert.equal(resid.cols, H);
        close(resid.data, slab(hs, l + 1, S * H), `resid.${l}`);
        close(r.captures.get(`mlp.${l}`)!.data, slab(g.mlp_out.data, l, S * H), `mlp.${l}`);
        close(r.captures.get(`attn.${l}`)!.data, slab(g.attn_out.data, l, S * H), `attn.${l}`);
      }
      close(r.captures.get('final_norm')!.data, g.final_norm.data, 'final_norm');
      assert.equal(r.logits!.rows, S);
      close(r.logits!.data, g.logits.data, 'logits');
    });

    test(`${file} ${p}: greedy 20 tokens with the KV cache equal the golden ids and step logits`, async (t) => {
      const g = golden(t, p);
      const m = await model(t, file);
      if (!g || !m) return;
      const res = await m.generate(g.text, { maxNewTokens: 20, greedy: true, returnLogits: true });
      assert.deepEqual(res.promptIds, g.input_ids);
      assert.deepEqual(res.ids, g.greedy.ids);
      assert.equal(res.text, g.greedy.text);
      close(res.stepLogits!.data, g.greedy.step_logits.data, 'step logits');
    });
  }

  test(`${file} steer_a: steered hidden states, MLP outputs, logits within 1e-4 and steered greedy ids identical`, async (t) => {
    const g = golden(t, 'steer_a');
    const v = golden(t, 'steer_vector');
    const m = await model(t, file);
    if (!g || !v || !m) return;
    const steering: SteeringVector[] = [{ layer: v.layer, vector: v.v.data, multiplier: 1 }];
    const r = await m.run([g.text], { hooks: ['resid', 'mlp'], positions: 'all', embeds: true, logits: 'positions' }, { steering });
    const S = g.input_ids.length;
    close(r.captures.get('embeds')!.data, slab(g.hidden_states.data, 0, S * H), 'embeds');
    for (let l = 0; l < 5; l++) {
      close(r.captures.get(`resid.${l}`)!.data, slab(g.hidden_states.data, l + 1, S * H), `steered resid.${l}`);
      close(r.captures.get(`mlp.${l}`)!.data, slab(g.mlp_out.data, l, S * H), `steered mlp.${l}`);
    }
    close(r.logits!.data, g.logits.data, 'steered logits');
    const res = await m.generate(g.input_ids, { maxNewTokens: 20, steering, returnLogits: true });
    assert.deepEqual(res.ids, g.greedy.ids);
    close(res.stepLogits!.data, g.greedy.step_logits.data, 'steered step logits');
    // Steering changed between calls without reloading: the unsteered continuation comes back.
    const plain = await m.generate(g.input_ids, { maxNewTokens: 20 });
    assert.deepEqual(plain.ids, g.unsteered_greedy_ids);
  });
}

test('steering at layer L shifts resid.L by exactly v and leaves earlier layers and L\'s branches untouched', async (t) => {
  const g = golden(t, 'p1');
  const v = golden(t, 'steer_vector');
  const m = await model(t);
  if (!g || !v || !m) return;
  const base = await m.run([g.text], { hooks: ['resid', 'mlp', 'attn'], positions: 'all' });
  for (const L of [0, 2, 4]) {
    const mult = 3.5;
    const r = await m.run([g.text], { hooks: ['resid', 'mlp', 'attn'], positions: 'all' }, { steering: [{ layer: L, vector: v.v.data, multiplier: mult }] });
    for (let l = 0; l < L; l++) {
      for (const h of ['resid', 'mlp', 'attn']) {
        assert.equal(maxAbsDiff(r.captures.get(`${h}.${l}`)!.data, base.captures.get(`${h}.${l}`)!.data), 0, `${h}.${l} changed by steering at ${L}`);
      }
    }
    assert.equal(maxAbsDiff(r.captures.get(`mlp.${L}`)!.data, base.captures.get(`mlp.${L}`)!.data), 0, `mlp.${L} must stay unsteered`);
    assert.equal(maxAbsDiff(r.captures.get(`attn.${L}`)!.data, base.captures.get(`attn.${L}`)!.data), 0, `attn.${L} must stay unsteered`);
    const a = r.captures.get(`resid.${L}`)!;
    const b = base.captures.get(`resid.${L}`)!;
    let worst = 0;
    for (let row = 0; row < a.rows; row++) {
      for (let h = 0; h < H; h++) worst = Math.max(worst, Math.abs(a.data[row * H + h] - b.data[row * H + h] - mult * v.v.data[h]));
    }
    assert.ok(worst < 1e-5, `resid.${L} shift differs from ${mult}·v by ${worst}`);
    if (L < 4) assert.ok(maxAbsDiff(r.captures.get(`resid.${L + 1}`)!.data, base.captures.get(`resid.${L + 1}`)!.data) > 1e-3, 'later layers see the steered stream');
  }
});

/** Logits of the last token for a sequence recomputed from scratch (no cache). */
async function fullLogits(m: HookedModel, ids: number[], steering?: SteeringVector[]): Promise<Float32Array> {
  const r = await m.nextTokenLogits([ids], { steering });
  return r.data;
}

test('KV-cache generation equals full recomputation (plain, steered at all positions, steered from generated tokens)', async (t) => {
  const g = golden(t, 'p2');
  const v = golden(t, 'steer_vector');
  const m = await model(t);
  if (!g || !v || !m) return;
  const vec = v.v.data;
  const cases: { name: string; gen?: SteeringVector[]; full: (n: number) => SteeringVector[] | undefined }[] = [
    { name: 'plain', full: () => undefined },
    { name: 'steered', gen: [{ layer: 1, vector: vec, multiplier: 2 }], full: () => [{ layer: 1, vector: vec, multiplier: 2 }] },
    {
      name: 'generated-only', gen: [{ layer: 3, vector: vec, multiplier: 4, fromPosition: 'generated' }],
      full: () => [{ layer: 3, vector: vec, multiplier: 4, fromPosition: g.input_ids.length }],
    },
    {
      name: 'from position 5', gen: [{ layer: 2, vector: vec, multiplier: -3, fromPosition: 5 }],
      full: () => [{ layer: 2, vector: vec, multiplier: -3, fromPosition: 5 }],
    },
  ];
  for (const c of cases) {
    const res = await m.generate(g.input_ids, { maxNewTokens: 8, steering: c.gen, returnLogits: true });
    assert.equal(res.ids.length, 8);
    for (let k = 0; k < res.ids.length; k++) {
      const seq = [...g.input_ids, ...res.ids.slice(0, k)];
      const full = await fullLogits(m, seq, c.full(k));
      const step = res.stepLogits!.data.subarray(k * 512, (k + 1) * 512);
      close(step, full, `${c.name} step ${k}`, 1e-4);
    }
  }
  // The generated-only vector must leave the prompt pass (the first token's logits) unsteered.
  const plain = await m.generate(g.input_ids, { maxNewTokens: 1, returnLogits: true });
  const gen = await m.generate(g.input_ids, { maxNewTokens: 1, returnLogits: true, steering: [{ layer: 3, vector: vec, multiplier: 4, fromPosition: 'generated' }] });
  assert.equal(maxAbsDiff(plain.stepLogits!.data, gen.stepLogits!.data), 0);
});

test('batched left-padded results equal one-at-a-time results (captures, means, logits, steering from a position)', async (t) => {
  const gs = PROMPTS.map((p) => golden(t, p));
  const v = golden(t, 'steer_vector');
  const m = await model(t);
  if (gs.some((g) => !g) || !v || !m) return;
  const texts = gs.map((g) => g.text as string);
  const req = { hooks: ['resid', 'mlp', 'attn'] as ('resid' | 'mlp' | 'attn')[], positions: [-1, -2, 'mean', 0, 3] as (number | 'mean')[], embeds: true, finalNorm: true };
  for (const steering of [undefined, [{ layer: 1, vector: v.v.data, multiplier: 2, fromPosition: 4 }]]) {
    const batched = await m.run(texts, { ...req, logits: false }, { steering });
    const last = await m.nextTokenLogits(texts, { steering });
    for (let k = 0; k < texts.length; k++) {
      const one = await m.run([texts[k]], req, { steering });
      const oneLast = await m.nextTokenLogits([texts[k]], { steering });
      assert.deepEqual(batched.tokenIds[k], one.tokenIds[0]);
      assert.deepEqual(batched.positions[k], one.positions[0]);
      for (const [key, mat] of one.captures) {
        const b = batched.captures.get(key)!;
        close(b.data.subarray(k * 5 * H, (k + 1) * 5 * H), mat.data, `batched ${key} text ${k}`, 1e-5);
      }
      close(last.data.subarray(k * 512, (k + 1) * 512), oneLast.data, `batched next-token logits text ${k}`, 1e-5);
    }
  }
});

test('positions -1, -2, 0 and mean pick the right rows of the golden hidden states', async (t) => {
  const g = golden(t, 'p3');
  const m = await model(t);
  if (!g || !m) return;
  const S = g.seq_len;
  const r = await m.run([g.text], { hooks: ['resid', 'mlp'], positions: [-1, -2, 'mean', 0], logits: false });
  assert.deepEqual(r.positions[0], [S - 1, S - 2, null, 0]);
  for (let l = 0; l < 5; l++) {
    const gold = slab(g.hidden_states.data, l + 1, S * H);
    const mat = r.captures.get(`resid.${l}`)!;
    assert.equal(mat.rows, 4);
    close(mat.data.subarray(0, H), gold.subarray((S - 1) * H, S * H), `resid.${l} @-1`);
    close(mat.data.subarray(H, 2 * H), gold.subarray((S - 2) * H, (S - 1) * H), `resid.${l} @-2`);
    close(mat.data.subarray(3 * H, 4 * H), gold.subarray(0, H), `resid.${l} @0`);
    const mean = new Float64Array(H);
    for (let s = 0; s < S; s++) for (let h = 0; h < H; h++) mean[h] += gold[s * H + h] / S;
    close(mat.data.subarray(2 * H, 3 * H), mean, `resid.${l} mean`);
    const mlpGold = slab(g.mlp_out.data, l, S * H);
    close(r.captures.get(`mlp.${l}`)!.data.subarray(H, 2 * H), mlpGold.subarray((S - 2) * H, (S - 1) * H), `mlp.${l} @-2`);
  }
  await assert.rejects(m.run([g.text], { positions: [S] }), /position 27 is out of range for text 0 \(27 tokens\)/);
  await assert.rejects(m.run([g.text], { positions: [-S - 1] }), /out of range/);
});

test('candidateProbs and nextTokenLogits match a softmax of the golden last-position logits', async (t) => {
  const g = golden(t, 'p4');
  const m = await model(t);
  if (!g || !m) return;
  const S = g.seq_len;
  const gold = g.logits.data.subarray((S - 1) * 512, S * 512);
  const next = await m.nextTokenLogits([g.text]);
  close(next.data, gold, 'next-token logits');
  let max = -Infinity;
  for (const x of gold) max = Math.max(max, x);
  let z = 0;
  for (const x of gold) z += Math.exp(x - max);
  const cands = [g.greedy.ids[0], 1, 2, 300];
  const probs = await m.candidateProbs([g.text, g.text], cands);
  assert.equal(probs.length, 2);
  cands.forEach((c, k) => {
    const want = Math.exp(gold[c] - max) / z;
    assert.ok(Math.abs(probs[0][k] - want) < 1e-5, `p(${c}) = ${probs[0][k]}, want ${want}`);
    assert.equal(probs[1][k], probs[0][k]);
  });
});

test('fused model: a padded batch is run one text at a time and equals the plain model', async (t) => {
  const gs = ['p0', 'p2'].map((p) => golden(t, p));
  const fused = await model(t, 'model_fused.onnx');
  const plain = await model(t);
  if (gs.some((g) => !g) || !fused || !plain) return;
  const texts = gs.map((g) => g.text as string);
  const a = await fused.run(texts, { hooks: ['resid'], positions: [-1, -2], logits: 'last' });
  const b = await plain.run(texts, { hooks: ['resid'], positions: [-1, -2], logits: 'last' });
  for (const [k, mat] of b.captures) close(a.captures.get(k)!.data, mat.data, `fused vs plain ${k}`, 1e-4);
  close(a.logits!.data, b.logits!.data, 'fused vs plain logits');
});

test('bad requests give one clear error', async (t) => {
  const m = await model(t);
  if (!m) return;
  await assert.rejects(m.run(['hi'], { layers: [5] }), /layer 5 out of range \[0, 5\)/);
  await assert.rejects(m.run(['hi'], { hooks: ['nope' as 'resid'] }), /unknown hook "nope"/);
  await assert.rejects(m.run(['hi'], {}, { steering: [{ layer: 1, vector: new Float32Array(3), multiplier: 1 }] }), /vector has 3 values, the model's hidden size is 64/);
  await assert.rejects(m.generate('hi', { steering: [{ layer: 9, vector: new Float32Array(64), multiplier: 1 }] }), /layer 9 out of range/);
  await assert.rejects(m.run([]), /non-empty list/);
});

test('generation stops on stop ids and stop strings; BOS as the stop id ends the 256-token BOS sample after it', async (t) => {
  const g = golden(t, 'p0');
  const m = await model(t);
  if (!g || !m) return;
  const ids: number[] = g.greedy.ids;
  const k = ids.findIndex((x, i) => ids.indexOf(x) === i && i >= 3);
  const byId = await m.generate(g.text, { maxNewTokens: 20, stop: [ids[k]] });
  assert.deepEqual(byId.ids, ids.slice(0, k + 1));
  const byString = await m.generate(g.text, { maxNewTokens: 20, stop: [' park'] });
  const full = m.decode(ids);
  assert.ok(full.includes(' park'));
  const n = byString.ids.length;
  assert.ok(m.decode(ids.slice(0, n)).includes(' park') && !m.decode(ids.slice(0, n - 1)).includes(' park'));
  assert.deepEqual(byString.ids, ids.slice(0, n));
  const none = await m.generate(g.text, { maxNewTokens: 0 });
  assert.deepEqual(none.ids, []);
  // stories260K ends stories with BOS (id 1), not its EOS (2): with 1 as the stop id the sample from BOS ends there.
  const eos = await m.generate([1], { maxNewTokens: 400, stop: [1] });
  const bos = golden(t, 'bos_sample');
  if (!bos) return;
  assert.deepEqual(eos.ids.slice(0, 256), bos.ids);
  assert.equal(eos.ids[eos.ids.length - 1], 1);
  assert.ok(eos.ids.length < 400);
});

test('the hooked graph with zero steering computes the same logits and KV cache as the unedited graph', async (t) => {
  const g = golden(t, 'p3');
  const dir = sharedAsset(t, 'models/stories260K-onnx');
  const m = await model(t);
  if (!g || !dir || !m) return;
  const ort = await import('onnxruntime-node');
  const plain = await ort.InferenceSession.create(`${dir}/onnx/model.onnx`, sessionOptions(1));
  try {
    const S = g.input_ids.length;
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(g.input_ids.map(BigInt)), [1, S]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, i) => BigInt(i)), [1, S]),
    };
    for (let l = 0; l < 5; l++) for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 8]);
    const out = await plain.run(feeds);
    const r = await m.run([g.input_ids], { hooks: [], layers: [], positions: 'all', logits: 'positions' });
    assert.equal(maxAbsDiff(r.logits!.data, out.logits.data as Float32Array), 0);
    // The hooked session's presents equal the unedited graph's too (fed by generate's first step).
    const hooked = await (m as OnnxHookedModel).fullSession();
    const hookFeeds = {
      ...feeds,
      [POSITIONS_INPUT]: new ort.Tensor('int64', BigInt64Array.from([BigInt(S - 1)]), [1]),
      [MEAN_WEIGHTS_INPUT]: new ort.Tensor('float32', new Float32Array(S), [1, S]),
      ...Object.fromEntries(Array.from({ length: 5 }, (_, l) => [steerInputName(l), new ort.Tensor('float32', new Float32Array(64), [1, 1, 64])])),
    };
    const hout = await hooked.run(hookFeeds, ['present.3.key', 'present.4.value']);
    assert.equal(maxAbsDiff(hout['present.3.key'].data as Float32Array, out['present.3.key'].data as Float32Array), 0);
    assert.equal(maxAbsDiff(hout['present.4.value'].data as Float32Array, out['present.4.value'].data as Float32Array), 0);
  } finally {
    await plain.release();
  }
});
