// Extraction with the real stories260K model: batched, left-padded rows equal single-text forward captures
// and the independent PyTorch golden reference (residual stream, MLP and attention outputs at a position).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractActivations } from '../../lib/activations/extract';
import { openActivationStore } from '../../lib/activations/store';
import { loadHookedModel } from '../../lib/model/index';
import type { HookedModel, HookName } from '../../lib/model/types';
import { readNpy } from '../../lib/util/npy';
import { maxAbsDiff } from '../../lib/util/matrix';
import { sharedAsset } from '../helpers';

const HOOKS: HookName[] = ['resid', 'mlp', 'attn'];

interface Golden { text: string; S: number; hidden: Float32Array; mlp: Float32Array; attn: Float32Array }

function loadGolden(dir: string): Golden[] {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return m.prompts.map((p: { file: string; text: string; input_ids: number[] }) => {
    const stem = p.file.replace(/\.json$/, '');
    const hs = readNpy(join(dir, 'npy', `${stem}.hidden_states.npy`));
    assert.deepEqual(hs.shape, [6, p.input_ids.length, 64]);
    return {
      text: p.text, S: p.input_ids.length, hidden: hs.data as Float32Array,
      mlp: readNpy(join(dir, 'npy', `${stem}.mlp_out.npy`)).data as Float32Array,
      attn: readNpy(join(dir, 'npy', `${stem}.attn_out.npy`)).data as Float32Array,
    };
  });
}

/** Golden row of one hook at block `layer`, token `pos` (or the mean over tokens). */
function goldenRow(g: Golden, hook: HookName, layer: number, pos: number | 'mean'): Float32Array {
  const H = 64;
  // hidden_states[i + 1] is the output of block i; mlp_out[i] / attn_out[i] are block i's branches.
  const [arr, block] = hook === 'resid' ? [g.hidden, layer + 1] : hook === 'mlp' ? [g.mlp, layer] : [g.attn, layer];
  const at = (t: number): Float32Array => arr.subarray((block * g.S + t) * H, (block * g.S + t + 1) * H);
  if (pos !== 'mean') return at(pos < 0 ? g.S + pos : pos);
  const acc = new Float64Array(H);
  for (let t = 0; t < g.S; t++) { const r = at(t); for (let j = 0; j < H; j++) acc[j] += r[j]; }
  return Float32Array.from(acc, (v) => v / g.S);
}

test('stories260K: extracted rows equal single-text captures and the PyTorch golden reference', async (t) => {
  const modelDir = sharedAsset(t, 'models/stories260K-onnx');
  const goldenDir = sharedAsset(t, 'models/stories260K-golden');
  if (!modelDir || !goldenDir) return;
  const golden = loadGolden(goldenDir);
  // Pairs over the five golden prompts (16-42 tokens), so every batch is left-padded.
  const idx: [number, number][] = [[0, 1], [2, 3], [4, 0], [1, 4], [3, 2]];
  const pairs = idx.map(([a, b], i) => ({ id: `g${i}`, format: 'golden', sycophantic: golden[a].text, non_sycophantic: golden[b].text }));
  const model: HookedModel = await loadHookedModel(modelDir, { threads: 1 });
  t.after(() => model.dispose());

  const worst = new Map<string, number>();
  for (const position of [-2, -1, 'mean'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'syco-act-model-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // batchSize 4 = 2 pairs per pass, so the last pass holds one pair (a smaller, differently padded batch).
    const s = await extractActivations({ model, pairs, outDir: dir, hooks: HOOKS, layers: 'all', position, batchSize: 4, quiet: true });
    assert.equal(s.complete, true);
    assert.deepEqual(s.layers, [0, 1, 2, 3, 4]);
    const store = openActivationStore(dir);
    assert.equal(store.hiddenSize, 64);
    for (const [i, [a, b]] of idx.entries()) {
      for (const [side, gi] of [['pos', a], ['neg', b]] as const) {
        const single = await model.run([golden[gi].text], { hooks: HOOKS, layers: 'all', positions: [position] });
        for (const hook of HOOKS) {
          for (let layer = 0; layer < 5; layer++) {
            const row = store.readRows(hook, layer, side, i, 1).data;
            const solo = single.captures.get(`${hook}.${layer}`)!;
            assert.equal(solo.rows, 1);
            const dSingle = maxAbsDiff(row, solo.data);
            const dGolden = maxAbsDiff(row, goldenRow(golden[gi], hook, layer, position));
            const kS = `single ${position}`;
            const kG = `golden ${position}`;
            worst.set(kS, Math.max(worst.get(kS) ?? 0, dSingle));
            worst.set(kG, Math.max(worst.get(kG) ?? 0, dGolden));
            assert.ok(dSingle <= 1e-5, `pair ${i} ${side} ${hook} L${layer} pos ${position}: batched vs single-text max|Δ| ${dSingle}`);
            assert.ok(dGolden <= 1e-4, `pair ${i} ${side} ${hook} L${layer} pos ${position}: vs PyTorch golden max|Δ| ${dGolden}`);
          }
        }
      }
    }
    // Differences are pos − neg of the same rows.
    const d = store.diff('resid', 3);
    const pos = store.read('resid', 3, 'pos');
    const neg = store.read('resid', 3, 'neg');
    assert.equal(maxAbsDiff(d.data, pos.data.map((v, k) => v - neg.data[k])), 0);
  }
  t.diagnostic(`max |Δ|: ${[...worst].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
});
