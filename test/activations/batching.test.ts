// Length-aware batching: the plan (windows, budget, determinism), and stores written with it byte-identical to the
// file-order batches (fake model: captures depend on the text only), also across a crash + resume; the real
// stories260K model agrees to float round-off.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planBatches, DonePrefix } from '../../lib/activations/batching';
import { extractActivations, type ExtractOptions } from '../../lib/activations/extract';
import { openActivationStore } from '../../lib/activations/store';
import { loadHookedModel } from '../../lib/model/index';
import { maxAbsDiff } from '../../lib/util/matrix';
import { sharedAsset } from '../helpers';
import { FakeModel } from './fake-model';

const made: string[] = [];
const tmp = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `syco-bucket-${name}-`));
  made.push(d);
  return d;
};
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** Pairs whose texts have very different lengths (so sorting matters). */
function pairs(n: number): ExtractOptions['pairs'] {
  return Array.from({ length: n }, (_, i) => {
    const pad = 'x'.repeat((i * 37) % 50);
    return { id: `p${i}`, subset: 'fake', format: 'sentence', sycophantic: `Q${i} ${pad} agree`, non_sycophantic: `Q${i} ${pad} disagree` };
  });
}

function npys(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.npy')) out.set(f, readFileSync(join(dir, f)));
  return out;
}

test('planBatches: file-order chunks without a budget; sorted windows packed to the token budget with one', () => {
  assert.deepEqual(planBatches([5, 5, 5, 5, 5], { maxItems: 2 }), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(planBatches([5, 5, 5, 5, 5], { maxItems: 2 }, 3), [[3, 4]]);
  const lens = [3, 10, 4, 9, 1, 8, 2, 7];
  // Window 4: [0..3] sorted desc by length = 1(10), 3(9), 2(4), 0(3); budget 2 rows × count × longest ≤ 40.
  const plan = planBatches(lens, { batchTokens: 40, maxItems: 8, window: 4, rowsPerItem: 2 });
  assert.deepEqual(plan, [[1, 3], [2, 0], [5, 7], [6, 4]]);
  for (const b of plan) assert.ok(2 * b.length * Math.max(...b.map((i) => lens[i])) <= 40 || b.length === 1);
  assert.deepEqual(plan.flat().sort((a, b) => a - b), lens.map((_, i) => i), 'every item exactly once');
  // An item longer than the budget still gets a batch of its own; maxItems caps the count.
  assert.deepEqual(planBatches([100, 1, 1, 1], { batchTokens: 10, maxItems: 2, window: 4 }), [[0], [1, 2], [3]]);
  // Windows are aligned to absolute indices, so a plan from a window boundary is a suffix of the full plan.
  assert.deepEqual(planBatches(lens, { batchTokens: 40, maxItems: 8, window: 4, rowsPerItem: 2 }, 4), plan.slice(2));
  const d = new DonePrefix(5, 1);
  assert.equal(d.mark([3]), 1);
  assert.equal(d.mark([1, 2]), 4);
  assert.throws(() => planBatches([1], { batchTokens: 0, maxItems: 1 }), /batchTokens must be a positive integer/);
});

test('length-bucketed extraction writes byte-identical arrays to file-order batches, and resumes byte-identically after a crash', async () => {
  const P = pairs(23);
  const base = (outDir: string, model: FakeModel, over: Partial<ExtractOptions> = {}): ExtractOptions =>
    ({ model, pairs: P, outDir, hooks: ['resid', 'mlp'], layers: 'all', position: -2, quiet: true, ...over });
  const plain = tmp('plain');
  await extractActivations(base(plain, new FakeModel(), { batchSize: 4 }));
  const bucketed = tmp('bucketed');
  const fm = new FakeModel();
  const s = await extractActivations(base(bucketed, fm, { batchTokens: 120, sortWindow: 8 }));
  assert.equal(s.complete, true);
  assert.notEqual(fm.textsRun[0], P[0].sycophantic, 'the longest pair of the first window runs first');
  assert.deepEqual(npys(bucketed), npys(plain));
  const m = JSON.parse(readFileSync(join(bucketed, 'manifest.json'), 'utf8'));
  assert.equal(m.batch_tokens, 120);
  assert.equal(m.sort_window, 8);
  assert.equal(m.counts.done, 23);

  // Crash on the 4th forward pass: counts.done is the written prefix; the resume replays the same plan.
  const crash = tmp('crash');
  await assert.rejects(extractActivations(base(crash, new FakeModel({ failOnCall: 3 }), { batchTokens: 120, sortWindow: 8 })), /simulated crash/);
  const partial = JSON.parse(readFileSync(join(crash, 'manifest.json'), 'utf8'));
  assert.equal(partial.counts.batches, 3);
  assert.ok(partial.counts.done >= 0 && partial.counts.done < 23);
  assert.equal(openActivationStore(crash).pairs, partial.counts.done);
  const resumer = new FakeModel();
  const r = await extractActivations(base(crash, resumer, { batchTokens: 120, sortWindow: 8 }));
  assert.equal(r.resumed, true);
  assert.deepEqual(resumer.textsRun, fm.textsRun.slice(fm.textsRun.length - resumer.textsRun.length), 'the remaining batches of the same plan, in order');
  assert.deepEqual(npys(crash), npys(plain));
});

test('stories260K: length-bucketed rows equal file-order rows to float round-off', async (t) => {
  const dir = sharedAsset(t, 'models/stories260K-onnx');
  if (!dir) return;
  const m = await loadHookedModel(dir, { threads: 1 });
  try {
    const texts = ['Once upon a time there was a little girl named Lily.', 'The cat sat.', 'One day, a big dog came to the park and wanted to play with the ball.', 'Tom was sad.'];
    const P = Array.from({ length: 9 }, (_, i) => ({ id: `s${i}`, sycophantic: `${texts[i % 4]} ${texts[(i + 1) % 4]}`.repeat(1 + (i % 3)), non_sycophantic: texts[(i + 2) % 4] }));
    const a = tmp('s-plain');
    const b = tmp('s-bucket');
    await extractActivations({ model: m, pairs: P, outDir: a, hooks: ['resid', 'mlp'], batchSize: 4, quiet: true });
    await extractActivations({ model: m, pairs: P, outDir: b, hooks: ['resid', 'mlp'], batchTokens: 200, quiet: true });
    const sa = openActivationStore(a);
    const sb = openActivationStore(b);
    let worst = 0;
    for (const l of sa.layers) for (const h of ['resid', 'mlp'] as const) for (const side of ['pos', 'neg'] as const) {
      worst = Math.max(worst, maxAbsDiff(sa.read(h, l, side).data, sb.read(h, l, side).data));
    }
    t.diagnostic(`max |Δ| bucketed vs file order: ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-5, `max abs diff ${worst}`);
  } finally {
    await m.dispose();
  }
});
