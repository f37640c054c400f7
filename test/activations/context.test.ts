// Texts longer than the model's context: `syco extract` (a real process, a real 700+-token text on the 512-position
// stories260K) refuses before writing anything, naming the pair and its length; with --max-tokens it truncates, says so
// in the summary, and the stored row equals a forward pass of the hand-truncated ids. A fused graph's own ONNX
// Runtime error (cos_cache dimension 0 …) becomes the same message; generate() past the context is refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { contextLength, fitContext, ContextLengthError } from '../../lib/model/context';
import { openActivationStore } from '../../lib/activations/store';
import { maxAbsDiff } from '../../lib/util/matrix';
import { sharedAsset } from '../helpers';

const BIN = resolve('bin/syco.js');
const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'syco-ctx-'));
  made.push(d);
  return d;
};
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

const LONG = 'Once upon a time there was a little girl who liked to play in the park with her dog. '.repeat(40);

test('fitContext: fits unchanged, refuses past the context, truncates to first + last maxTokens − 1 when asked', () => {
  const ids = Array.from({ length: 10 }, (_, i) => 100 + i);
  assert.deepEqual(fitContext(ids, 0, 10), { ids, dropped: 0 });
  assert.deepEqual(fitContext(ids, 0, undefined), { ids, dropped: 0 });
  assert.throws(() => fitContext(ids, 3, 8), (e: unknown) => e instanceof ContextLengthError && /text 3 has 10 tokens, more than the model's context of 8 positions/.test(e.message));
  assert.deepEqual(fitContext(ids, 0, 8, 4), { ids: [100, 107, 108, 109], dropped: 6 });
  assert.deepEqual(fitContext(ids, 0, 3, 6), { ids: [100, 108, 109], dropped: 7 }); // never past the context either
  assert.deepEqual(fitContext(ids, 0, undefined, 6), { ids: [100, 105, 106, 107, 108, 109], dropped: 4 });
  assert.throws(() => fitContext(ids, 0, 8, 1), /maxTokens must be an integer ≥ 2/);
  assert.equal(contextLength({ max_position_embeddings: 512 }), 512);
  assert.equal(contextLength({ n_positions: 1024 }), 1024); // GPT-2
  assert.equal(contextLength({ max_seq_len: 2048 }), 2048); // MPT
  assert.equal(contextLength({}), undefined);
});

test('syco extract refuses a text longer than the context before writing; --max-tokens truncates and says so', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  if (!model) return;
  const dir = tmp();
  const pairsFile = join(dir, 'pairs.jsonl');
  const pairs = Array.from({ length: 4 }, (_, i) => ({
    id: `nlp_survey:${i}`, subset: 'nlp_survey', format: 'sentence', source_row: i,
    sycophantic: `${i === 2 ? LONG : 'Question: is the park nice?'} I agree with her ${i}`,
    non_sycophantic: `Question: is the park nice? The sun was warm ${i}`,
  }));
  writeFileSync(pairsFile, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const out = join(dir, 'acts');
  const base = [BIN, 'extract', '--model', model, '--pairs', pairsFile, '--out', out, '--layers', '1-2', '--batch-size', '4', '--threads', '1', '--quiet'];
  let r = spawnSync(process.execPath, base, { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /1 text\(s\) longer than the model's context of 512 positions/);
  assert.match(r.stderr, /pair 2 "nlp_survey:2" \(sycophantic\): (\d+) tokens/);
  const n = Number(/"nlp_survey:2" \(sycophantic\): (\d+) tokens/.exec(r.stderr)![1]);
  assert.ok(n > 512, `the long text has ${n} tokens`);
  assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'nothing written');

  r = spawnSync(process.execPath, [...base, '--max-tokens', '64'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.complete, true);
  assert.equal(summary.max_tokens, 64);
  assert.equal(summary.texts_truncated, 1);
  assert.equal(summary.context, 512);
  assert.equal(summary.longest_text_tokens, n);

  // the stored row of the long text = a forward pass of [first token, last 63 tokens]
  const { loadHookedModel } = await import('../../lib/model/index');
  const m = await loadHookedModel(model, { threads: 1 });
  try {
    const ids = m.encode(pairs[2].sycophantic);
    assert.equal(ids.length, n);
    const cut = [ids[0], ...ids.slice(ids.length - 63)];
    const ref = await m.run([cut], { layers: [1, 2], positions: [-2] });
    const store = openActivationStore(out);
    assert.equal(store.manifest.max_tokens, 64);
    for (const l of [1, 2]) {
      const row = store.readRows('resid', l, 'pos', 2, 1).data;
      assert.ok(maxAbsDiff(row, ref.captures.get(`resid.${l}`)!.data) < 1e-5, `layer ${l}`);
    }
    // a short text is untouched by --max-tokens: its row equals the untruncated forward pass
    const short = await m.run([pairs[0].sycophantic], { layers: [1], positions: [-2] });
    assert.ok(maxAbsDiff(store.readRows('resid', 1, 'pos', 0, 1).data, short.captures.get('resid.1')!.data) < 1e-5);
    // generate() past the context is refused up front
    await assert.rejects(m.generate('Once upon a time', { maxNewTokens: 600 }), /plus maxNewTokens 600 has \d+ tokens, more than the model's context of 512/);
  } finally {
    await m.dispose();
  }
  // re-running into the truncated run without --max-tokens is another request: refused, naming max_tokens
  writeFileSync(pairsFile, pairs.map((p, i) => JSON.stringify(i === 2 ? { ...p, sycophantic: 'short' } : p)).join('\n') + '\n');
  r = spawnSync(process.execPath, base, { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /max_tokens: store has 64, request has none/);
});

test("a fused graph's onnxruntime error past its rotary cache reads as the context-length message", async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  if (!model) return;
  const { loadHookedModel } = await import('../../lib/model/index');
  const m = await loadHookedModel(model, { modelFileName: 'model_fused.onnx', threads: 1 });
  try {
    await assert.rejects(m.run([LONG], { positions: [-2] }), /text 0 has \d+ tokens, more than the model's context of 512 positions/);
    // a config that does not state its context: the check cannot run, and ONNX Runtime's own error is translated
    (m as unknown as { maxPositions: number | undefined }).maxPositions = undefined;
    await assert.rejects(m.run([LONG], { positions: [-2] }), (e: unknown) => e instanceof ContextLengthError &&
      /a sequence of \d+ tokens is longer than the model's context .*cos_cache dimension 0/.test(e.message));
  } finally {
    await m.dispose();
  }
});
