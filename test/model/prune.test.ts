// Purpose-built (pruned) graphs give the same captures, next-token probabilities and generations as the full hooked
// graph (≤ 1e-6) on stories260K (plain and fused), the hf-optimum exports and the committed family fixtures, and
// really drop the LM head, the present.* outputs and the unused upper layers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxAbsDiff } from '../../lib/util/matrix';
import { loadHookedModel, UnsupportedGraphError, type HookedModel, type HookName } from '../../lib/model/index';
import { OnnxGraphEditor } from '../../lib/model/onnx';
import { eliminateDeadNodes } from '../../lib/model/prune';
import { sharedAsset } from '../helpers';

const TOL = 1e-6;
const cache = mkdtempSync(join(tmpdir(), 'syco-prune-'));
after(() => rmSync(cache, { recursive: true, force: true }));

/** Run fn with pruning off (the full hooked graph), restoring the setting after. */
async function full<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.SYCO_PRUNE;
  process.env.SYCO_PRUNE = '0';
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.SYCO_PRUNE;
    else process.env.SYCO_PRUNE = before;
  }
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const d = maxAbsDiff(a, b);
  assert.ok(d <= TOL, `${what}: max abs diff ${d} > ${TOL}`);
}

/** Pruned graph files written into a cache folder (recursively), newest set. */
function prunedFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.pruned-[0-9a-f]{16}-p\d+\.onnx$/.test(f)).map((f) => join(dir, f));
}

/** Every check on one model: captures (deep and shallow), candidate probabilities, steered greedy generation. */
async function checkModel(m: HookedModel, dir: string, name: string): Promise<void> {
  const V = m.vocabSize;
  const L = m.numLayers;
  const ids = [[1, 5, 9, 17, 33, 60, 2, 11].map((x) => x % V), [1, 7, 3].map((x) => x % V)];
  const hooks: HookName[] = (m as any).info.parallel ? ['resid'] : ['resid', 'mlp', 'attn']; // eslint-disable-line @typescript-eslint/no-explicit-any
  const vec = new Float32Array(m.hiddenSize).map((_, i) => Math.sin(i) * 0.3);
  const steering = [{ layer: Math.min(1, L - 1), vector: vec, multiplier: 2 }];

  // All layers, rows and means, steered.
  const req = { hooks, layers: 'all' as const, positions: [-2, 'mean'] as (number | 'mean')[], embeds: true, finalNorm: true };
  const a = await m.run(ids, req, { steering });
  const b = await full(() => m.run(ids, req, { steering }));
  for (const [k, mat] of b.captures) close(a.captures.get(k)!.data, mat.data, `${name} ${k}`);

  // Shallow capture: the graph ends at block 0 (no head, no presents, no upper layers).
  const before = new Set(prunedFiles(dir));
  const s = await m.run(ids, { hooks: ['resid'], layers: [0], positions: [-1] });
  const sf = await full(() => m.run(ids, { hooks: ['resid'], layers: [0], positions: [-1] }));
  close(s.captures.get('resid.0')!.data, sf.captures.get('resid.0')!.data, `${name} shallow resid.0`);
  const added = prunedFiles(dir).filter((f) => !before.has(f));
  assert.equal(added.length, 1, `${name}: one new pruned graph for the shallow capture`);
  const g = new OnnxGraphEditor(added[0]);
  try {
    assert.deepEqual(g.outputs.map((o) => o.name), ['hook.resid.0'], `${name}: only the requested capture is an output`);
    const inputs = g.inputs.map((i) => i.name);
    assert.ok(!inputs.some((i) => /^steer\.[1-9]/.test(i)), `${name}: no steering inputs above block 0 (${inputs.join(', ')})`);
    assert.ok(!inputs.includes('hook.mean_weights'), `${name}: no mean weights input without a mean capture`);
    // Block 0's own present may stay (its attention reads the concatenated cache); nothing above it, no logits.
    const produced = g.nodes.flatMap((n) => n.output);
    assert.ok(!produced.includes('logits'), `${name}: no LM head`);
    assert.ok(!produced.some((o) => /^present[._]?([1-9]\d*)\./.test(o)), `${name}: no presents of upper blocks`);
  } finally {
    g.close();
  }

  // Next-token probabilities: the head runs on the last rows only, same numbers.
  const cands = [0, 3, V - 1];
  const p = await m.candidateProbs(ids, cands, { steering });
  const pf = await full(() => m.candidateProbs(ids, cands, { steering }));
  close(p.flat(), pf.flat(), `${name} candidateProbs`);
  const lg = await m.nextTokenLogits(ids);
  const lgf = await full(() => m.nextTokenLogits(ids));
  assert.ok(maxAbsDiff(lg.data, lgf.data) <= 1e-5, `${name}: next-token logits ${maxAbsDiff(lg.data, lgf.data)}`);

  // Generation (presents kept, head at the last row): same ids and step logits.
  const gen = await m.generate(ids[0], { maxNewTokens: 4, ignoreEos: true, returnLogits: true, steering });
  const genf = await full(() => m.generate(ids[0], { maxNewTokens: 4, ignoreEos: true, returnLogits: true, steering }));
  assert.deepEqual(gen.ids, genf.ids, `${name}: greedy ids`);
  assert.ok(maxAbsDiff(gen.stepLogits!.data, genf.stepLogits!.data) <= 1e-5, `${name}: step logits`);
}

const STORIES = ['model.onnx', 'model_fused.onnx'];
for (const file of STORIES) {
  test(`stories260K ${file}: pruned graphs equal the full hooked graph`, async (t) => {
    const dir = sharedAsset(t, 'models/stories260K-onnx');
    if (!dir) return;
    const c = join(cache, `stories-${file}`);
    const m = await loadHookedModel(dir, { modelFileName: file, threads: 1, cacheDir: c });
    try {
      await checkModel(m, c, `stories260K/${file}`);
    } finally {
      await m.dispose();
    }
  });
}

const OPTIMUM = ['llama', 'llama_gqa', 'mistral', 'mpt', 'qwen2', 'phi3', 'gpt2', 'gemma', 'opt', 'bloom', 'gpt_neox', 'phi', 'llama-legacy-withpast'];
test('hf-optimum exports: pruned graphs equal the full hooked graph', async (t) => {
  const root = sharedAsset(t, 'models/hf-optimum/models');
  if (!root) return;
  // Families the hooked model does not support yet (a clear UnsupportedGraphError) are listed, not failed; the
  // ones it supports today must all be checked.
  const checked: string[] = [];
  const unsupported: string[] = [];
  for (const name of OPTIMUM) {
    const c = join(cache, `opt-${name}`);
    let m: HookedModel;
    try {
      m = await loadHookedModel(join(root, name), { threads: 1, cacheDir: c });
    } catch (err) {
      if (!(err instanceof UnsupportedGraphError)) throw err;
      unsupported.push(name);
      continue;
    }
    try {
      await checkModel(m, c, name);
      checked.push(name);
    } finally {
      await m.dispose();
    }
  }
  t.diagnostic(`checked: ${checked.join(', ')}; not supported by the hooked model yet: ${unsupported.join(', ') || 'none'}`);
  for (const name of ['llama', 'llama_gqa', 'mistral', 'qwen2', 'phi3', 'mpt', 'llama-legacy-withpast']) assert.ok(checked.includes(name), `${name} checked`);
});

test('committed family fixtures (incl. fused GroupQueryAttention): pruned graphs equal the full hooked graph', async () => {
  for (const name of ['llama', 'mistral', 'qwen2', 'mpt', 'gpt2', 'llama-fused']) {
    const c = join(cache, `fix-${name}`);
    const m = await loadHookedModel(join(process.cwd(), 'test', 'fixtures', 'models', name), { threads: 1, cacheDir: c });
    try {
      await checkModel(m, c, `fixture ${name}`);
    } finally {
      await m.dispose();
    }
  }
});

test('dead-node elimination refuses a name that is not an output', () => {
  const dir = join(process.cwd(), 'test', 'fixtures', 'models', 'llama', 'onnx', 'model.onnx');
  const g = new OnnxGraphEditor(dir);
  try {
    assert.throws(() => eliminateDeadNodes(g, ['nope'], 'llama'), /llama: cannot keep nope: not an output/);
    const r = eliminateDeadNodes(g, ['logits'], 'llama');
    assert.ok(r.outputs.every((o) => o.startsWith('present')) && r.outputs.length > 0, 'presents removed');
    assert.deepEqual(g.outputs.map((o) => o.name), ['logits']);
  } finally {
    g.close();
  }
});
