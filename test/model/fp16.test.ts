// float16 conversion by hand-derived bit patterns, and a float16 model (the llama fixture converted): the hooks
// cast captures to float32 and steering vectors to float16 inside the graph; KV-cache inputs are float16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModelToFloat16, loadHookedModel } from '../../lib/model/index';
import { float32ToFloat16Bits, float16BitsToFloat32 } from '../../lib/model/fp16';
import { decodeModel, encodeModel } from '../../lib/model/onnx';

test('float32 → float16 bits: exact values, rounding to nearest even, subnormals, overflow, NaN', () => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00],
    [-Infinity, 0xfc00], [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [1.5 * 2 ** -25, 0x0001],
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [1 + 2 ** -10, 0x3c01], [0.1, 0x2e66], [3.140625, 0x4248],
  ];
  for (const [x, bits] of cases) assert.equal(float32ToFloat16Bits(x), bits, `${x}`);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  for (const [x, bits] of cases) {
    if (Math.abs(x) <= 65504 && bits !== 0x0000 && bits !== 0x0001) assert.ok(Math.abs(float16BitsToFloat32(bits) - x) <= Math.abs(x) * 2 ** -11, `${x}`);
  }
  for (let h = 0; h < 0x7c00; h += 37) assert.equal(float32ToFloat16Bits(float16BitsToFloat32(h)), h);
});

const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'models', 'llama');

test('a float16 model: captures, logits and steering within float16 precision of the fp32 golden values', async (t) => {
  if (!existsSync(join(FIXTURE, 'golden.json'))) {
    if (process.env.CI) throw new Error(`fixture missing: ${FIXTURE}`);
    t.skip('llama fixture not built');
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'syco-fp16-'));
  try {
    mkdirSync(join(tmp, 'onnx'));
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(FIXTURE, f), join(tmp, f));
    writeFileSync(join(tmp, 'onnx', 'model_fp16.onnx'), encodeModel(convertModelToFloat16(decodeModel(readFileSync(join(FIXTURE, 'onnx', 'model.onnx'))))));
    const g = JSON.parse(readFileSync(join(FIXTURE, 'golden.json'), 'utf8'));
    const m = await loadHookedModel(tmp, { dtype: 'fp16', cacheDir: join(tmp, 'cache'), threads: 1 });
    try {
      assert.equal(m.dtype, 'fp16');
      const p = g.prompts[0];
      const S = p.seq_len;
      const H = g.hidden_size;
      const r = await m.run([p.input_ids], { hooks: ['resid', 'mlp'], positions: 'all', logits: 'positions', finalNorm: true });
      const rel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
        let d = 0;
        let s = 0;
        for (let i = 0; i < a.length; i++) {
          d = Math.max(d, Math.abs(a[i] - b[i]));
          s = Math.max(s, Math.abs(b[i]));
        }
        return d / s;
      };
      for (let l = 0; l < g.num_layers; l++) {
        const e = rel(r.captures.get(`resid.${l}`)!.data, p.hidden_states.data.slice((l + 1) * S * H, (l + 2) * S * H));
        assert.ok(e < 1e-2, `resid.${l}: relative error ${e}`);
        assert.ok(r.captures.get(`resid.${l}`)!.data instanceof Float32Array);
      }
      assert.ok(rel(r.captures.get('final_norm')!.data, p.final_norm.data) < 1e-2);
      assert.ok(rel(r.logits!.data, p.logits.data) < 1e-2);
      const v = Float32Array.from(g.steer.vector.data ?? g.steer.vector);
      const base = await m.run([p.input_ids], { hooks: ['resid'], positions: [-1] });
      const st = await m.run([p.input_ids], { hooks: ['resid'], positions: [-1] }, { steering: [{ layer: 1, vector: v, multiplier: 1 }] });
      const a = st.captures.get('resid.1')!.data;
      const b = base.captures.get('resid.1')!.data;
      for (let h = 0; h < H; h++) assert.ok(Math.abs(a[h] - b[h] - v[h]) < 1e-2 * (1 + Math.abs(b[h])), `steer shift dim ${h}`);
      const gen = await m.generate(p.input_ids, { maxNewTokens: 4, returnLogits: true });
      assert.equal(gen.ids.length, 4);
      assert.ok(rel(gen.stepLogits!.data.subarray(0, g.vocab_size), p.logits.data.slice((S - 1) * g.vocab_size, S * g.vocab_size)) < 1e-2);
    } finally {
      await m.dispose();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
