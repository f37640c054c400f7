// Per-row steering (SteeringVector.rows): one batch holding several steering settings equals running each text with
// its own setting, on stories260K plain and fused (GroupQueryAttention graphs run texts one at a time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadHookedModel, type SteeringVector } from '../../lib/model/index';
import { maxAbsDiff } from '../../lib/util/matrix';
import { sharedAsset } from '../helpers';

for (const file of ['model.onnx', 'model_fused.onnx']) {
  test(`${file}: per-row steering in one batch equals each row steered alone`, async (t) => {
    const dir = sharedAsset(t, 'models/stories260K-onnx');
    if (!dir) return;
    const m = await loadHookedModel(dir, { modelFileName: file, threads: 1 });
    try {
      const v = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i));
      const texts = ['Once upon a time', 'The little dog ran to the park and', 'Lily saw a big red'];
      const batch: SteeringVector[] = [
        { layer: 2, vector: v, multiplier: 3, rows: [0, 2] },
        { layer: 2, vector: v, multiplier: -5, rows: [1] },
        { layer: 4, vector: v, multiplier: 2, fromPosition: 2, rows: [2] },
      ];
      const got = await m.nextTokenLogits(texts, { steering: batch });
      const alone: SteeringVector[][] = [
        [{ layer: 2, vector: v, multiplier: 3 }],
        [{ layer: 2, vector: v, multiplier: -5 }],
        [{ layer: 2, vector: v, multiplier: 3 }, { layer: 4, vector: v, multiplier: 2, fromPosition: 2 }],
      ];
      for (let r = 0; r < 3; r++) {
        const want = await m.nextTokenLogits([texts[r]], { steering: alone[r] });
        const d = maxAbsDiff(got.data.subarray(r * got.cols, (r + 1) * got.cols), want.data);
        assert.ok(d <= 1e-5, `row ${r}: ${d}`);
      }
      await assert.rejects(m.nextTokenLogits(texts, { steering: [{ layer: 1, vector: v, multiplier: 1, rows: [3] }] }), /rows must be batch rows in \[0, 3\)/);
    } finally {
      await m.dispose();
    }
  });
}
