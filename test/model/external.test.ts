// A model whose weights live in external data (model.onnx + model.onnx_data): the edited graph is written next to
// the weights (never re-encoding them) and loaded by path; numbers equal the golden reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedAsset } from '../helpers';
import { loadHookedModel } from '../../lib/model/index';
import { decodeModel, encodeModel, OnnxGraphEditor, concatChunks } from '../../lib/model/onnx';
import { prepareHookedGraph } from '../../lib/model/hooked';
import { HOOK_EDIT_VERSION } from '../../lib/model/hooks';
import { maxAbsDiff } from '../../lib/util/matrix';
import { golden } from './_golden';

/** Rewrite a model so that every initializer over 256 bytes is stored in `<name>_data` (as the exporter does). */
function toExternalData(bytes: Uint8Array, dataName: string): { model: Uint8Array; data: Uint8Array } {
  const m = decodeModel(bytes);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of m.graph.initializer) {
    const raw: Uint8Array | undefined = t.raw_data;
    if (!raw || raw.length <= 256) continue;
    const pad = (64 - (offset % 64)) % 64;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(Uint8Array.from(raw));
    t.external_data = [{ key: 'location', value: dataName }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.length) }];
    t.data_location = 1;
    delete t.raw_data;
    offset += raw.length;
  }
  return { model: encodeModel(m), data: concatChunks(chunks) };
}

test('external-data model: edited graph sits beside the weights, captures and greedy ids match the golden files', async (t) => {
  const src = sharedAsset(t, 'models/stories260K-onnx');
  const g = golden(t, 'p0');
  if (!src || !g) return;
  const tmp = mkdtempSync(join(tmpdir(), 'syco-extdata-'));
  try {
    const dir = join(tmp, 'model');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(src, f), join(dir, f));
    const { model, data } = toExternalData(readFileSync(join(src, 'onnx', 'model.onnx')), 'model.onnx_data');
    writeFileSync(join(dir, 'onnx', 'model.onnx'), model);
    writeFileSync(join(dir, 'onnx', 'model.onnx_data'), data);
    const ed = new OnnxGraphEditor(model);
    assert.deepEqual(ed.externalDataFiles(), ['model.onnx_data']);
    assert.ok(model.length < 200_000, `graph file is ${model.length} bytes: the weights should be external`);

    const cacheDir = join(tmp, 'cache');
    const m = await loadHookedModel(dir, { cacheDir, threads: 1 });
    try {
      const edited = join(dir, 'onnx', `model.hooked-${m.sourceHash.slice(0, 16)}-v${HOOK_EDIT_VERSION}.onnx`);
      assert.ok(statSync(edited).size < 300_000, 'the edited graph must not embed the weights');
      const meta = JSON.parse(readFileSync(join(cacheDir, `${m.sourceHash}-v${HOOK_EDIT_VERSION}`, 'hooks.json'), 'utf8'));
      assert.equal(meta.graphPath, edited);
      const r = await m.run([g.text], { hooks: ['resid', 'mlp'], positions: 'all', logits: 'positions' });
      const S = g.seq_len;
      for (let l = 0; l < 5; l++) {
        const d = maxAbsDiff(r.captures.get(`resid.${l}`)!.data, g.hidden_states.data.subarray((l + 1) * S * 64, (l + 2) * S * 64));
        assert.ok(d < 1e-4, `resid.${l}: ${d}`);
      }
      assert.ok(maxAbsDiff(r.logits!.data, g.logits.data) < 1e-4);
      const gen = await m.generate(g.text, { maxNewTokens: 20 });
      assert.deepEqual(gen.ids, g.greedy.ids);
    } finally {
      await m.dispose();
    }
    // A second load reuses the cached edit.
    const prepared = await prepareHookedGraph(join(dir, 'onnx', 'model.onnx'), JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), cacheDir);
    assert.equal(prepared.cached, true);
    const again = await loadHookedModel(dir, { cacheDir, threads: 1 });
    const r2 = await again.nextTokenLogits([g.text]);
    assert.ok(maxAbsDiff(r2.data, g.logits.data.subarray((g.seq_len - 1) * 512)) < 1e-4);
    await again.dispose();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
