// Model file resolution (transformers.js dtype → file), local-folder errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedAsset } from '../helpers';
import { loadHookedModel, isLocalModel } from '../../lib/model/index';
import { resolveOnnxFile, onnxFileName } from '../../lib/model/resolve';

test('dtype and explicit file names resolve to onnx/model{suffix}.onnx as transformers.js does', async (t) => {
  const dir = sharedAsset(t, 'models/stories260K-onnx');
  if (!dir) return;
  assert.equal(await resolveOnnxFile(dir, { model_type: 'llama' }, 'fp32'), 'onnx/model.onnx');
  assert.equal(await resolveOnnxFile(dir, { model_type: 'llama' }, 'q4'), 'onnx/model_q4.onnx');
  assert.equal(await resolveOnnxFile(dir, { model_type: 'llama' }, 'q8'), 'onnx/model_quantized.onnx');
  assert.equal(await resolveOnnxFile(dir, { model_type: 'llama' }, 'fp32', 'model_fused'), 'onnx/model_fused.onnx');
  assert.equal(onnxFileName('fp16'), 'model_fp16.onnx');
  assert.equal(onnxFileName('fp32', 'model_fused.onnx'), 'model_fused.onnx');
  assert.throws(() => onnxFileName('fp13'), /unknown dtype "fp13"/);
  assert.equal(isLocalModel(dir), true);
  assert.equal(isLocalModel('onnx-community/Llama-3.2-1B-Instruct-ONNX'), false);
});

test('missing local files give one clear error naming the file', async (t) => {
  const dir = sharedAsset(t, 'models/stories260K-onnx');
  if (!dir) return;
  await assert.rejects(loadHookedModel(dir, { dtype: 'q4' }), /stories260K-onnx: model file onnx\/model_q4\.onnx not found/);
  await assert.rejects(loadHookedModel('/nonexistent/folder'), /model folder not found: \/nonexistent\/folder/);
  await assert.rejects(loadHookedModel(`${dir}/onnx`), /config\.json not found/);
});
