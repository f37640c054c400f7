// `syco forward` and `syco generate` on ../shared/models/stories260K-onnx, checked against the golden files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../lib/util/npy';
import { maxAbsDiff } from '../../lib/util/matrix';
import { sharedAsset, runSyco } from '../helpers';
import { golden } from './_golden';

/** Run the CLI in a child process (the test runner reports over this process's stdout); exit code, stdout, stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runSyco(args);
  return { code: r.code ?? 1, out: r.stdout, err: r.stderr };
}

test('syco forward writes <hook>.L<layer>.npy at the requested positions, logits.npy and manifest.json', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const g = golden(t, 'p1');
  if (!model || !g) return;
  const out = mkdtempSync(join(tmpdir(), 'syco-forward-'));
  try {
    const r = await cli(['forward', '--model', model, '--text', g.text, '--hooks', 'resid,mlp,attn', '--layers', '1-3', '--positions', '-2,-1,0', '--out', out]);
    assert.equal(r.code, 0, r.err);
    const files = readdirSync(out).sort();
    assert.deepEqual(files, ['attn.L1.npy', 'attn.L2.npy', 'attn.L3.npy', 'logits.npy', 'manifest.json', 'mlp.L1.npy', 'mlp.L2.npy', 'mlp.L3.npy', 'resid.L1.npy', 'resid.L2.npy', 'resid.L3.npy']);
    const S = g.seq_len;
    const H = 64;
    const rows = [S - 2, S - 1, 0];
    for (let l = 1; l <= 3; l++) {
      for (const [hook, arr, idx] of [['resid', g.hidden_states.data, l + 1], ['mlp', g.mlp_out.data, l], ['attn', g.attn_out.data, l]] as const) {
        const a = readNpy(join(out, `${hook}.L${l}.npy`));
        assert.equal(a.dtype, '<f4');
        assert.deepEqual(a.shape, [3, H]);
        const want = new Float32Array(3 * H);
        rows.forEach((s, k) => want.set(arr.subarray((idx * S + s) * H, (idx * S + s + 1) * H), k * H));
        assert.ok(maxAbsDiff(a.data as Float32Array, want) < 1e-4, `${hook}.L${l}`);
      }
    }
    const logits = readNpy(join(out, 'logits.npy'));
    assert.deepEqual(logits.shape, [S, 512]);
    assert.ok(maxAbsDiff(logits.data as Float32Array, g.logits.data) < 1e-4);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.tokenIds, g.input_ids);
    assert.deepEqual(manifest.positions, rows);
    assert.deepEqual(manifest.layers, [1, 2, 3]);
    assert.deepEqual(manifest.hooks, ['resid', 'mlp', 'attn']);
    assert.equal(manifest.numLayers, 5);
    assert.equal(manifest.sourceHash, '6b431f10db27465bb591df26137c798e0623c4b8230446147d2b4318a40d969c');
    assert.equal(manifest.tokens[0], '<s>');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('syco generate prints {"ids", "text"}: greedy and steered equal the golden continuations', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const g = golden(t, 'p0');
  const s = golden(t, 'steer_a');
  const vec = sharedAsset(t, 'models/stories260K-golden/npy/steer_vector.v.npy');
  if (!model || !g || !s || !vec) return;
  const plain = await cli(['generate', '--model', model, '--prompt', g.text, '--max-new-tokens', '20', '--greedy']);
  assert.equal(plain.code, 0, plain.err);
  assert.equal(plain.out.trim().split('\n').length, 1);
  assert.deepEqual(JSON.parse(plain.out), { ids: g.greedy.ids, text: g.greedy.text });
  const steered = await cli(['generate', '--model', model, '--prompt', g.text, '--steer-layer', '2', '--steer-vector', vec, '--multiplier', '1']);
  assert.equal(steered.code, 0, steered.err);
  assert.deepEqual(JSON.parse(steered.out).ids, s.greedy.ids);
  const negated = await cli(['generate', '--model', model, '--prompt', g.text, '--steer-layer', '2', '--steer-vector', vec, '--multiplier', '-1', '--max-new-tokens', '5']);
  assert.equal(negated.code, 0, negated.err);
  assert.equal(JSON.parse(negated.out).ids.length, 5);
  const a = await cli(['generate', '--model', model, '--prompt', 'Once upon a time', '--temperature', '0.9', '--top-p', '0.9', '--seed', '7', '--max-new-tokens', '10']);
  const b = await cli(['generate', '--model', model, '--prompt', 'Once upon a time', '--temperature', '0.9', '--top-p', '0.9', '--seed', '7', '--max-new-tokens', '10']);
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out, b.out, 'the same seed gives the same sample');
});

test('CLI usage errors name the flag', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  if (!model) return;
  let r = await cli(['forward', '--text', 'x', '--out', '/tmp/x']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--model is required/);
  r = await cli(['generate', '--model', model, '--prompt', 'x', '--steer-layer', '2']);
  assert.equal(r.code, 2);
  assert.match(r.err, /1 --steer-layer but 0 --steer-vector/);
  r = await cli(['forward', '--model', model, '--text', 'x', '--positions', 'first', '--out', '/tmp/x']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--positions: "first" is not an integer or "mean"/);
  r = await cli(['generate', '--model', '/nonexistent/model-folder', '--prompt', 'x']);
  assert.equal(r.code, 1);
  assert.match(r.err, /model folder not found: \/nonexistent\/model-folder/);
});
