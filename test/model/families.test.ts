// The hooked model on tiny random fixtures of each supported family (test/fixtures/models/<name>, built by
// scripts/fixtures/make_fixtures.py) against golden values from an independent functional PyTorch forward.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { maxAbsDiff } from '../../lib/util/matrix';
import { loadHookedModel, type HookedModel, type SteeringVector } from '../../lib/model/index';

const TOL = 1e-4;
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'models');
const NAMES = ['llama', 'mistral', 'qwen2', 'mpt', 'gpt2', 'llama-fused'];

interface Arr { shape: number[]; data: Float32Array }

/** golden.json of a fixture with every {shape, data} array turned into Float32Array data. */
function readGolden(name: string): any {
  const j = JSON.parse(readFileSync(join(FIXTURES, name, 'golden.json'), 'utf8'));
  const fix = (o: any): any => {
    if (o && typeof o === 'object' && Array.isArray(o.shape) && Array.isArray(o.data)) return { shape: o.shape, data: Float32Array.from(o.data) };
    if (o && typeof o === 'object') for (const k of Object.keys(o)) o[k] = fix(o[k]);
    return o;
  };
  return fix(j);
}

/** Entry `index` of the leading axis of a golden array. */
function slab(a: Arr, index: number): Float32Array {
  const size = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return a.data.subarray(index * size, (index + 1) * size);
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = TOL): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= tol, `${what}: max abs diff ${d} > ${tol}`);
}

const models = new Map<string, Promise<HookedModel>>();
after(async () => { for (const m of models.values()) await (await m).dispose(); });

function model(name: string): Promise<HookedModel> {
  if (!models.has(name)) models.set(name, loadHookedModel(join(FIXTURES, name), { threads: 1 }));
  return models.get(name)!;
}

for (const name of NAMES) {
  const g = readGolden(name);
  const L: number = g.num_layers;
  const H: number = g.hidden_size;
  const V: number = g.vocab_size;

  test(`${name}: family, sizes and tokenizer ids`, async () => {
    const m = await model(name);
    assert.equal(m.family, g.family);
    assert.equal(m.numLayers, L);
    assert.equal(m.hiddenSize, H);
    assert.equal(m.vocabSize, V);
    for (const p of g.prompts) assert.deepEqual(m.encode(p.text), p.input_ids, `encode ${JSON.stringify(p.text)}`);
  });

  test(`${name}: embeddings, every block's resid/mlp/attn, final norm and logits within 1e-4`, async () => {
    const m = await model(name);
    for (const [pi, p] of g.prompts.entries()) {
      const r = await m.run([p.text], { hooks: ['resid', 'mlp', 'attn'], layers: 'all', positions: 'all', embeds: true, finalNorm: true, logits: 'positions' });
      assert.deepEqual(r.tokenIds[0], p.input_ids);
      close(r.captures.get('embeds')!.data, slab(p.hidden_states, 0), `prompt ${pi} embeds`);
      for (let l = 0; l < L; l++) {
        const resid = r.captures.get(`resid.${l}`)!;
        assert.equal(resid.rows, p.seq_len);
        assert.equal(resid.cols, H);
        close(resid.data, slab(p.hidden_states, l + 1), `prompt ${pi} resid.${l}`);
        close(r.captures.get(`mlp.${l}`)!.data, slab(p.mlp_out, l), `prompt ${pi} mlp.${l}`);
        close(r.captures.get(`attn.${l}`)!.data, slab(p.attn_out, l), `prompt ${pi} attn.${l}`);
      }
      close(r.captures.get('final_norm')!.data, p.final_norm.data, `prompt ${pi} final_norm`);
      assert.equal(r.logits!.rows, p.seq_len);
      assert.equal(r.logits!.cols, V);
      close(r.logits!.data, p.logits.data, `prompt ${pi} logits`);
    }
  });

  test(`${name}: greedy continuation with the KV cache equals the golden ids`, async () => {
    const m = await model(name);
    for (const [pi, p] of g.prompts.entries()) {
      const res = await m.generate(p.input_ids, { maxNewTokens: p.greedy.n, greedy: true, ignoreEos: true });
      assert.deepEqual(res.promptIds, p.input_ids);
      assert.deepEqual(res.ids, p.greedy.ids, `prompt ${pi} greedy ids`);
    }
  });

  test(`${name}: steering block ${g.steer.layer} reproduces the steered hidden states, logits and greedy ids`, async () => {
    const m = await model(name);
    const s = g.steer;
    const steering: SteeringVector[] = [{ layer: s.layer, vector: s.vector.data, multiplier: 1 }];
    const r = await m.run([s.input_ids], { hooks: ['resid', 'mlp'], layers: 'all', positions: 'all', embeds: true, logits: 'positions' }, { steering });
    close(r.captures.get('embeds')!.data, slab(s.hidden_states, 0), 'steered embeds');
    for (let l = 0; l < L; l++) {
      close(r.captures.get(`resid.${l}`)!.data, slab(s.hidden_states, l + 1), `steered resid.${l}`);
      close(r.captures.get(`mlp.${l}`)!.data, slab(s.mlp_out, l), `steered mlp.${l}`);
    }
    close(r.logits!.data, s.logits.data, 'steered logits');
    const res = await m.generate(s.input_ids, { maxNewTokens: s.greedy.n, greedy: true, ignoreEos: true, steering, returnLogits: true });
    assert.deepEqual(res.ids, s.greedy.ids, 'steered greedy ids');
    close(res.stepLogits!.data, s.greedy.step_logits.data, 'steered step logits');
    assert.notDeepEqual(s.greedy.ids, s.unsteered_greedy_ids, 'the golden steered case must differ from the plain one');
    const plain = await m.generate(s.input_ids, { maxNewTokens: s.greedy.n, greedy: true, ignoreEos: true });
    assert.deepEqual(plain.ids, s.unsteered_greedy_ids, 'unsteered ids after changing the steering');
  });

  test(`${name}: left-padded batch equals the golden rows and one-at-a-time runs`, async () => {
    const m = await model(name);
    const b = g.batch;
    const ids: number[][] = b.prompt_indices.map((i: number) => g.prompts[i].input_ids);
    const req = { hooks: ['resid', 'mlp', 'attn'] as ('resid' | 'mlp' | 'attn')[], layers: 'all' as const, positions: [-1, -2, 'mean', 0] as (number | 'mean')[], embeds: true, finalNorm: true, logits: 'last' as const };
    const batched = await m.run(ids, req);
    const B = ids.length;
    assert.equal(batched.logits!.rows, B);
    for (let k = 0; k < B; k++) {
      // golden: last-position hidden states [L+1, B, H] and logits [B, V] of each unpadded prompt
      const P = 4;
      close(batched.captures.get('embeds')!.data.subarray(k * P * H, k * P * H + H), slab(b.last_hidden_states, 0).subarray(k * H, (k + 1) * H), `batch row ${k} embeds @-1`);
      for (let l = 0; l < L; l++) {
        close(batched.captures.get(`resid.${l}`)!.data.subarray(k * P * H, k * P * H + H), slab(b.last_hidden_states, l + 1).subarray(k * H, (k + 1) * H), `batch row ${k} resid.${l} @-1`);
      }
      close(batched.logits!.data.subarray(k * V, (k + 1) * V), slab(b.last_logits, k), `batch row ${k} last logits`);
      const one = await m.run([ids[k]], req);
      assert.deepEqual(batched.tokenIds[k], one.tokenIds[0]);
      assert.deepEqual(batched.positions[k], one.positions[0]);
      for (const [key, mat] of one.captures) {
        close(batched.captures.get(key)!.data.subarray(k * P * H, (k + 1) * P * H), mat.data, `batched ${key} row ${k} vs alone`, 1e-5);
      }
      close(batched.logits!.data.subarray(k * V, (k + 1) * V), one.logits!.data, `batched logits row ${k} vs alone`, 1e-5);
    }
    const next = await m.nextTokenLogits(ids);
    for (let k = 0; k < B; k++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (next.data[k * V + v] > next.data[k * V + best]) best = v;
      assert.equal(best, b.greedy_ids[k][0], `batched next token row ${k}`);
    }
  });

  if (g.chat) {
    test(`${name}: chat template renders the golden ChatML prompt and its ids`, async () => {
      const m = await model(name);
      const text = m.chatPrompt(g.chat.messages, { addGenerationPrompt: true });
      assert.equal(text, g.chat.prompt);
      assert.deepEqual(m.encode(text!), g.chat.input_ids);
    });
  }
}
