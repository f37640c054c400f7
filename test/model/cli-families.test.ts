// `syco forward` and `syco generate` from the command line on one model of every family and export kind that the
// hf-optimum test added (Reshape before the Gather, embedding scale, embedding LayerNorm, 2-D stream, parallel
// blocks, merged If decoder, no past inputs, q8), against the golden values from the real transformers code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED, sharedAsset, runSyco } from '../helpers';
import { HF_REL, npy, slab, goldenNameOf, variantBase, meta, excess, untilEos } from './_hfoptimum';

const ROOT = join(SHARED, HF_REL);
const TOL = 1e-5;

async function cli(args: string[], quiet = true): Promise<{ code: number; out: string; err: string }> {
  const r = await runSyco(args, { env: { SYCO_QUIET: quiet ? '1' : '' } });
  return { code: r.code ?? 1, out: r.stdout, err: r.stderr };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const { worst, maxAbs } = excess(actual, expected, TOL, 0);
  assert.ok(worst <= 0, `${what}: max abs diff ${maxAbs} > ${TOL}`);
}

const EXPORTS = ['gpt2', 'gemma', 'opt', 'bloom', 'gpt_neox', 'phi', 'llama-legacy-merged', 'gpt2-legacy-nopast'];

for (const name of EXPORTS) {
  test(`syco forward and syco generate on hf-optimum ${name} equal HF (resid/mlp/attn/logits ≤ 1e-5, greedy and steered ids)`, async (t) => {
    const dir = sharedAsset(t, join(HF_REL, 'models', name));
    if (!dir) return;
    const gname = goldenNameOf(name);
    const gdir = join(ROOT, 'golden', gname);
    const g = meta(ROOT, gname);
    const text = g.texts[1];
    const out = mkdtempSync(join(tmpdir(), 'syco-cli-fam-'));
    try {
      const f = await cli(['forward', '--model', dir, '--text', text.text, '--hooks', 'resid,mlp,attn', '--out', out, '--threads', '1']);
      assert.equal(f.code, 0, f.err);
      const blocks = npy(join(gdir, 't1.block_out.npy'));
      const attn = npy(join(gdir, 't1.attn.npy'));
      const mlp = npy(join(gdir, 't1.mlp.npy'));
      for (let l = 0; l < g.num_layers; l++) {
        const resid = npy(join(out, `resid.L${l}.npy`));
        assert.deepEqual(resid.shape, [text.n_tokens, g.hidden]);
        close(resid.data, slab(blocks, l), `resid.L${l}`);
        close(npy(join(out, `attn.L${l}.npy`)).data, slab(attn, l), `attn.L${l}`);
        const m = npy(join(out, `mlp.L${l}.npy`)).data;
        close(mlp.shape.length === 2 ? m.subarray(0, g.hidden) : m, slab(mlp, l), `mlp.L${l}`); // OPT's golden mlp: position 0 only
      }
      close(npy(join(out, 'logits.npy')).data, npy(join(gdir, 't1.logits.npy')).data, 'logits');
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      assert.deepEqual(manifest.tokenIds, text.ids);

      const p = g.texts[0];
      const n = String(p.greedy_ids.length);
      const plain = await cli(['generate', '--model', dir, '--prompt', p.text, '--max-new-tokens', n, '--greedy', '--ignore-eos', '--threads', '1'], false);
      assert.equal(plain.code, 0, plain.err);
      // A graph without past inputs says, once, that generation recomputes the sequence; others say nothing of it.
      const notices = plain.err.split('\n').filter((x) => /no past_key_values inputs: generation recomputes the whole sequence each step \(slower\)/.test(x));
      assert.equal(notices.length, name.includes('nopast') ? 1 : 0, plain.err);
      assert.deepEqual(JSON.parse(plain.out).ids, p.greedy_ids, 'greedy ids');
      const steered = await cli(['generate', '--model', dir, '--prompt', p.text, '--max-new-tokens', n, '--greedy', '--ignore-eos', '--threads', '1',
        '--steer-layer', String(g.steer_layer), '--steer-vector', join(gdir, 'steer_vector.npy'), '--multiplier', '1']);
      assert.equal(steered.code, 0, steered.err);
      assert.deepEqual(JSON.parse(steered.out).ids, p.steered_greedy_ids, 'steered greedy ids');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test('syco forward and syco generate on the q8 variant (--dtype q8) equal its own graph', async (t) => {
  const name = 'llama-q8';
  const dir = sharedAsset(t, join(HF_REL, 'variants', 'models', name));
  if (!dir) return;
  const rdir = join(ROOT, 'variants', 'ref', name);
  const g = meta(ROOT, variantBase(name));
  const out = mkdtempSync(join(tmpdir(), 'syco-cli-q8-'));
  try {
    const f = await cli(['forward', '--model', dir, '--dtype', 'q8', '--text', g.texts[2].text, '--hooks', 'resid,mlp,attn', '--out', out, '--threads', '1']);
    assert.equal(f.code, 0, f.err);
    for (let l = 0; l < g.num_layers; l++) {
      for (const h of ['resid', 'mlp', 'attn']) close(npy(join(out, `${h}.L${l}.npy`)).data, npy(join(rdir, `t2.${h}.${l}.npy`)).data, `${h}.L${l}`);
    }
    close(npy(join(out, 'logits.npy')).data, npy(join(rdir, 't2.logits.npy')).data, 'logits');
    const plain = JSON.parse(readFileSync(join(rdir, 'plain_result.json'), 'utf8'));
    const r = await cli(['generate', '--model', dir, '--dtype', 'q8', '--prompt', g.texts[0].text, '--max-new-tokens', '12', '--greedy', '--ignore-eos', '--threads', '1']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(untilEos(JSON.parse(r.out).ids, [2]), untilEos(plain.texts[0].greedy_ids, [2]));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
