// The hooked model on every graph in ../shared/models/hf-optimum — twelve architectures exported by the real Optimum
// exporter, their legacy/no-past/merged exports, and every file variant the transformers.js tools write — against
// golden values from the real transformers modeling code (models/) and each variant's own graph (variants/ref).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SHARED, sharedAsset } from '../helpers';
import { loadHookedModel, OnnxHookedModel, type HookedModel, type HookName, type SteeringVector } from '../../lib/model/index';
import { HF_REL, npy, slab, modelNames, goldenNameOf, variantBase, onnxFile, meta, excess, untilEos } from './_hfoptimum';

const ROOT = join(SHARED, HF_REL);
const TOL = 1e-5;
/** One fp16 rounding at the tensor's scale (a unit in the last place of its largest value, 2^-10 relative). */
const FP16_ULP = 2 ** -10;
const EOS = [2];
const loaded: HookedModel[] = [];
after(async () => { for (const m of loaded) await m.dispose(); });

/** Max error per kind of tensor, over texts and layers (reported as diagnostics). */
class Errors {
  readonly max = new Map<string, number>();
  /** abs: tolerance; fp16: add one fp16 rounding at the scale of the reference tensor (max |ref| · 2^-10). */
  constructor(readonly abs: number, readonly fp16 = false) {}
  check(kind: string, what: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
    assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
    let scale = 0;
    if (this.fp16) for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
    const tol = this.abs + scale * FP16_ULP;
    const { worst, maxAbs } = excess(actual, expected, tol, 0);
    this.max.set(kind, Math.max(this.max.get(kind) ?? 0, maxAbs));
    assert.ok(worst <= 0, `${what}: max abs diff ${maxAbs} exceeds ${tol.toExponential(2)}${this.fp16 ? ' (1e-5 + one fp16 rounding at the tensor scale)' : ''}`);
  }
  report(t: TestContext): void {
    t.diagnostic([...this.max].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', '));
  }
}

async function load(t: TestContext, dir: string): Promise<HookedModel> {
  const m = await loadHookedModel(dir, { modelFileName: onnxFile(dir), threads: 1 });
  loaded.push(m);
  t.after(() => m.dispose().then(() => loaded.splice(loaded.indexOf(m), 1)));
  return m;
}

/** The hooks a model offers for every block. */
function hooksOf(m: HookedModel, l = 0): HookName[] {
  return (['resid', 'mlp', 'attn'] as HookName[]).filter((h) => (m as OnnxHookedModel).info.captures.includes(`${h}.${l}`));
}

/** Left-padded batch of mixed lengths equals one-at-a-time runs (captures and logits). */
async function checkBatch(m: HookedModel, ids: number[][], err: Errors): Promise<void> {
  const req = { hooks: hooksOf(m), layers: 'all' as const, positions: 'all' as const, embeds: true, finalNorm: true, logits: 'positions' as const };
  const order = [2, 0, 1].filter((k) => k < ids.length);
  const batched = await m.run(order.map((k) => ids[k]), req);
  const H = m.hiddenSize;
  const V = m.vocabSize;
  let row = 0;
  for (const k of order) {
    const one = await m.run([ids[k]], req);
    const n = ids[k].length;
    for (const [key, mat] of one.captures) {
      err.check('batch', `batched ${key} text t${k} vs alone`, batched.captures.get(key)!.data.subarray(row * H, (row + n) * H), mat.data);
    }
    err.check('batch', `batched logits t${k} vs alone`, batched.logits!.data.subarray(row * V, (row + n) * V), one.logits!.data);
    row += n;
  }
}

test('hf-optimum assets are present (models and variants)', (t) => {
  // The per-model tests below are generated from the folder listing: without the folder, this one fails under CI.
  if (!sharedAsset(t, join(HF_REL, 'models')) || !sharedAsset(t, join(HF_REL, 'variants', 'models'))) return;
  assert.ok(modelNames(ROOT).length >= 24, `expected the 24 exports in ${ROOT}/models`);
  assert.ok(modelNames(join(ROOT, 'variants')).length >= 41, `expected the 41 variants in ${ROOT}/variants/models`);
});

test('a graph without past inputs generates as the with-past graph does, also steered from a position or on generated tokens only', async (t) => {
  const withPast = sharedAsset(t, join(HF_REL, 'models', 'llama'));
  const noPast = sharedAsset(t, join(HF_REL, 'models', 'llama-nopast'));
  if (!withPast || !noPast) return;
  const a = await load(t, withPast);
  const b = await load(t, noPast);
  const g = meta(ROOT, 'llama');
  const vector = npy(join(ROOT, 'golden', 'llama', 'steer_vector.npy')).data;
  const err = new Errors(TOL);
  for (const fromPosition of [undefined, 3, 'generated'] as const) {
    const steering: SteeringVector[] = [{ layer: g.steer_layer, vector, multiplier: 1, fromPosition }];
    const opts = { maxNewTokens: 8, greedy: true, ignoreEos: true, returnLogits: true, steering };
    const x = await a.generate(g.texts[1].ids, opts);
    const y = await b.generate(g.texts[1].ids, opts);
    assert.deepEqual(y.ids, x.ids, `ids, steered from ${fromPosition ?? 'every position'}`);
    err.check('step_logits', `step logits, steered from ${fromPosition ?? 'every position'}`, y.stepLogits!.data, x.stepLogits!.data);
  }
  err.report(t);
});

for (const name of modelNames(ROOT)) {
  test(`hf-optimum ${name}: embeds, every block's resid/mlp/attn, final norm, logits ≤ 1e-5 of HF; greedy and steered greedy ids; padded batch`, async (t) => {
    const dir = sharedAsset(t, join(HF_REL, 'models', name));
    if (!dir) return;
    const gname = goldenNameOf(name);
    const gdir = join(ROOT, 'golden', gname);
    const g = meta(ROOT, gname);
    const m = await load(t, dir);
    const err = new Errors(TOL);
    const L: number = g.num_layers;
    assert.equal(m.numLayers, L);
    assert.equal(m.hiddenSize, g.hidden);
    const hooks = hooksOf(m);
    assert.deepEqual(hooks, ['resid', 'mlp', 'attn'], 'resid, mlp and attn are offered for every block');
    const steering: SteeringVector[] = [{ layer: g.steer_layer, vector: npy(join(gdir, 'steer_vector.npy')).data, multiplier: 1 }];
    const ids: number[][] = g.texts.map((x: any) => x.ids);
    for (const [k, text] of g.texts.entries()) {
      assert.deepEqual(m.encode(text.text), text.ids, `t${k} token ids`);
      const r = await m.run([text.ids], { hooks, layers: 'all', positions: 'all', embeds: true, finalNorm: true, logits: 'positions' });
      const hs = npy(join(gdir, `t${k}.hidden_states.npy`));
      const blocks = npy(join(gdir, `t${k}.block_out.npy`));
      const mlp = npy(join(gdir, `t${k}.mlp.npy`));
      const attn = npy(join(gdir, `t${k}.attn.npy`));
      err.check('embeds', `t${k} embeds`, r.captures.get('embeds')!.data, slab(hs, 0));
      for (let l = 0; l < L; l++) {
        err.check('resid', `t${k} resid.${l}`, r.captures.get(`resid.${l}`)!.data, slab(blocks, l));
        const ours = r.captures.get(`mlp.${l}`)!.data;
        if (mlp.shape.length === 2) {
          // OPT's fc2 output is 2-D [T, H], so the golden writer's output[0] kept only position 0: check that row, and
          // every row against the block's own sum: mlp = resid.L − (stream entering L + attn.L).
          err.check('mlp', `t${k} mlp.${l} @0`, ours.subarray(0, g.hidden), slab(mlp, l));
          const entering = l === 0 ? slab(hs, 0) : slab(blocks, l - 1);
          const sum = slab(blocks, l).map((v, i) => v - entering[i] - slab(attn, l)[i]);
          err.check('mlp', `t${k} mlp.${l} = resid − stream − attn`, ours, sum);
        } else {
          err.check('mlp', `t${k} mlp.${l}`, ours, slab(mlp, l));
        }
        err.check('attn', `t${k} attn.${l}`, r.captures.get(`attn.${l}`)!.data, slab(attn, l));
      }
      err.check('final_norm', `t${k} final_norm`, r.captures.get('final_norm')!.data, slab(hs, L));
      err.check('logits', `t${k} logits`, r.logits!.data, npy(join(gdir, `t${k}.logits.npy`)).data);

      const s = await m.run([text.ids], { hooks: ['resid'], layers: 'all', positions: 'all', logits: 'positions' }, { steering });
      const sblocks = npy(join(gdir, `t${k}.steered.block_out.npy`));
      for (let l = 0; l < L; l++) err.check('steered', `t${k} steered resid.${l}`, s.captures.get(`resid.${l}`)!.data, slab(sblocks, l));
      err.check('steered', `t${k} steered logits`, s.logits!.data, npy(join(gdir, `t${k}.steered.logits.npy`)).data);

      const n = text.greedy_ids.length;
      const gen = await m.generate(text.ids, { maxNewTokens: n, greedy: true, ignoreEos: true, returnLogits: true });
      assert.deepEqual(gen.ids, text.greedy_ids, `t${k} greedy ids`);
      err.check('greedy_logits', `t${k} greedy step logits`, gen.stepLogits!.data, npy(join(gdir, `t${k}.greedy_step_logits.npy`)).data);
      const sgen = await m.generate(text.ids, { maxNewTokens: n, greedy: true, ignoreEos: true, steering, returnLogits: true });
      assert.deepEqual(sgen.ids, text.steered_greedy_ids, `t${k} steered greedy ids`);
      err.check('greedy_logits', `t${k} steered greedy step logits`, sgen.stepLogits!.data, npy(join(gdir, `t${k}.steered.greedy_step_logits.npy`)).data);
    }
    await checkBatch(m, ids, err);
    err.report(t);
  });
}

const VARIANTS = join(ROOT, 'variants');
for (const name of modelNames(VARIANTS)) {
  test(`hf-optimum variant ${name}: embeds, resid/mlp/attn, logits and steered logits vs its own graph; greedy ids; padded batch`, async (t) => {
    const dir = sharedAsset(t, join(HF_REL, 'variants', 'models', name));
    if (!dir) return;
    const rdir = join(VARIANTS, 'ref', name);
    const base = variantBase(name);
    const g = meta(ROOT, base);
    const file = onnxFile(dir);
    const m = await load(t, dir);
    const err = new Errors(TOL, /f16|fp16/.test(file));
    const L: number = g.num_layers;
    assert.equal(m.numLayers, L);
    const hooks = hooksOf(m);
    assert.deepEqual(hooks, ['resid', 'mlp', 'attn']);
    const steering: SteeringVector[] = [{ layer: g.steer_layer, vector: npy(join(ROOT, 'golden', base, 'steer_vector.npy')).data, multiplier: 1 }];
    const plain = JSON.parse(readFileSync(join(rdir, 'plain_result.json'), 'utf8'));
    const aug = JSON.parse(readFileSync(join(rdir, 'aug_result.json'), 'utf8'));
    const ids: number[][] = g.texts.map((x: any) => x.ids);
    for (const [k, text] of g.texts.entries()) {
      const r = await m.run([text.ids], { hooks, layers: 'all', positions: 'all', embeds: true, logits: 'positions' });
      err.check('embeds', `t${k} embeds`, r.captures.get('embeds')!.data, npy(join(rdir, `t${k}.embeds.npy`)).data);
      for (let l = 0; l < L; l++) {
        for (const h of hooks) err.check(h, `t${k} ${h}.${l}`, r.captures.get(`${h}.${l}`)!.data, npy(join(rdir, `t${k}.${h}.${l}.npy`)).data);
      }
      err.check('logits', `t${k} logits`, r.logits!.data, npy(join(rdir, `t${k}.logits.npy`)).data);
      const s = await m.run([text.ids], { hooks: [], layers: [], positions: 'all', logits: 'positions' }, { steering });
      err.check('steered', `t${k} steered logits`, s.logits!.data, npy(join(rdir, `t${k}.steered.logits.npy`)).data);
      const n = plain.texts[k].greedy_ids.length;
      const gen = await m.generate(text.ids, { maxNewTokens: n, greedy: true, ignoreEos: true });
      assert.deepEqual(untilEos(gen.ids, EOS), untilEos(plain.texts[k].greedy_ids, EOS), `t${k} greedy ids`);
      const sgen = await m.generate(text.ids, { maxNewTokens: n, greedy: true, ignoreEos: true, steering });
      assert.deepEqual(untilEos(sgen.ids, EOS), untilEos(aug.texts[k].steered_greedy_ids, EOS), `t${k} steered greedy ids`);
    }
    await checkBatch(m, ids, err);
    err.report(t);
  });
}
