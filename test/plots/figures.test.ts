import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matrix } from '../../lib/util/matrix';
import {
  confusionMatrix,
  cosineHeatmap,
  describeFigure,
  judgeScores,
  layerScatter,
  mlpActivationBars,
  probeAccuracyByLayer,
  scatter3d,
  steeringHeatmap,
  type Figure,
  type Layout,
  type Trace,
} from '../../lib/plots/index';
import { cosineMatrix } from '../../lib/linalg/cosine';

const axisTitle = (fig: Figure, axis: string): unknown => ((fig.layout[axis] as Layout).title as Layout).text;
const titleText = (l: Layout): string => (l.title as Layout).text as string;

test('layerScatter: one frame per layer, points split by label, slider and play button', () => {
  const layers = [
    { layer: 3, coords: matrix(3, 2, new Float32Array([0.5, 1, -1, 2, 0.25, -0.5])), labels: [1, 0, 1] },
    { layer: 7, coords: [[1, 1], [2, 2], [3, 3]], labels: new Uint8Array([0, 0, 1]), text: ['a', 'b', 'c'] },
  ];
  const fig = layerScatter(layers, { method: 't-SNE' });
  assert.equal(fig.data.length, 2);
  assert.deepEqual(fig.data.map((t) => t.name), ['Sycophantic answer (label 1)', 'Non-sycophantic answer (label 0)']);
  assert.deepEqual(fig.data[0].x, [0.5, 0.25]);
  assert.deepEqual(fig.data[0].y, [1, -0.5]);
  assert.deepEqual(fig.data[1].x, [-1]);
  assert.deepEqual(fig.data[1].y, [2]);
  assert.equal(axisTitle(fig, 'xaxis'), 't-SNE 1');
  assert.equal(axisTitle(fig, 'yaxis'), 't-SNE 2');
  assert.equal(titleText(fig.layout), 't-SNE of residual-stream activations — layer 3');
  // padded range: x in [-1, 0.5], span 1.5, 5% padding
  assert.deepEqual((fig.layout.xaxis as Layout).range, [-1 - 0.075, 0.5 + 0.075]);

  assert.equal(fig.frames?.length, 2);
  const [f0, f1] = fig.frames!;
  assert.equal(f0.name, 'layer 3');
  assert.equal(f1.name, 'layer 7');
  assert.deepEqual(f1.data[0].x, [3]);
  assert.deepEqual(f1.data[1].x, [1, 2]);
  assert.deepEqual(f1.data[1].y, [1, 2]);
  assert.deepEqual(f1.data[1].text, ['a', 'b']);
  assert.equal(titleText(f1.layout!), 't-SNE of residual-stream activations — layer 7');
  assert.deepEqual((f1.layout!.yaxis as Layout).range, [1 - 0.1, 3 + 0.1]);

  const slider = (fig.layout.sliders as Layout[])[0];
  const steps = slider.steps as Layout[];
  assert.deepEqual(steps.map((s) => s.label), ['3', '7']);
  assert.deepEqual(steps.map((s) => (s.args as unknown[][])[0]), [['layer 3'], ['layer 7']]);
  assert.ok(steps.every((s) => s.method === 'animate'));
  const buttons = (fig.layout.updatemenus as Layout[])[0].buttons as Layout[];
  assert.deepEqual(buttons.map((b) => b.label), ['▶ Play', '❚❚ Pause']);
  assert.equal((buttons[0].args as unknown[])[0], null);
});

test('layerScatter: float32 coordinates are written in their shortest exact form, single layer has no slider', () => {
  const fig = layerScatter([{ layer: 0, coords: matrix(2, 2, new Float32Array([0.1, 0.2, 0.3, 0.4])), labels: [1, 0] }], { method: 'pca', axes: 'shared' });
  assert.deepEqual(fig.data[0].x, [0.1]);
  assert.deepEqual(fig.data[1].y, [0.4]);
  assert.equal(JSON.stringify(fig.data[0]).includes('0.10000000149'), false);
  // the numbers differ from the float32 values only by the float32 rounding: they map back exactly
  assert.equal(Math.fround((fig.data[0].x as number[])[0]), new Float32Array([0.1])[0]);
  assert.equal(fig.frames, undefined);
  assert.equal(fig.layout.sliders, undefined);
  assert.equal(axisTitle(fig, 'xaxis'), 'PCA 1');
  assert.equal(axisTitle(layerScatter([{ layer: 0, coords: [[0, 1]], labels: [1] }], { method: 'spectral' }), 'yaxis'), 'Spectral embedding 2');
});

test('layerScatter: bad input names the layer at fault', () => {
  assert.throws(() => layerScatter([{ layer: 4, coords: [[1, 2]], labels: [1, 0] }]), /layer 4 has 1 points but 2 labels/);
  assert.throws(() => layerScatter([{ layer: 2, coords: [[1], [2]], labels: [1, 0] }]), /layer 2 has 1 coordinate columns/);
  assert.throws(() => layerScatter([{ layer: 5, coords: [[1, 2]], labels: [2] }]), /layer 5, point 0 has label 2/);
  assert.throws(() => layerScatter([]), /no layers/);
  assert.throws(
    () => layerScatter([{ layer: 1, coords: [[1, 2]], labels: [1] }, { layer: 1, coords: [[1, 2]], labels: [1] }]),
    /layer 1 given twice/,
  );
});

test('scatter3d: two scatter3d traces with scene axis titles', () => {
  const fig = scatter3d({ coords: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], labels: [0, 1, 0], layer: 12 });
  assert.deepEqual(fig.data.map((t) => t.type), ['scatter3d', 'scatter3d']);
  assert.deepEqual(fig.data[0].z, [6]);
  assert.deepEqual(fig.data[1].x, [1, 7]);
  assert.deepEqual(fig.data[1].z, [3, 9]);
  const scene = fig.layout.scene as Layout;
  assert.equal(((scene.zaxis as Layout).title as Layout).text, 'UMAP 3');
  assert.equal(titleText(fig.layout), '3-D UMAP of residual-stream activations, layer 12');
  assert.throws(() => scatter3d({ coords: [[1, 2]], labels: [0] }), /2 coordinate columns, need at least 3/);
});

test('probeAccuracyByLayer: held-out and training lines per probe, sorted by layer, chance line', () => {
  const fig = probeAccuracyByLayer([
    { probe: 'logistic', layer: 2, test: 0.75, train: 0.9 },
    { probe: 'logistic', layer: 0, test: 0.5, train: 0.6 },
    { probe: 'mass-mean', layer: 0, test: 0.55 },
    { probe: 'mass-mean', layer: 2, test: 0.7 },
  ]);
  assert.deepEqual(fig.data.map((t) => t.name), ['logistic — held-out', 'logistic — train', 'mass-mean — held-out']);
  assert.deepEqual(fig.data[0].x, [0, 2]);
  assert.deepEqual(fig.data[0].y, [0.5, 0.75]);
  assert.deepEqual(fig.data[1].y, [0.6, 0.9]);
  assert.equal((fig.data[1].line as Layout).dash, 'dash');
  assert.equal((fig.data[0].line as Layout).color, (fig.data[1].line as Layout).color);
  assert.notEqual((fig.data[0].line as Layout).color, (fig.data[2].line as Layout).color);
  assert.deepEqual(fig.data[2].y, [0.55, 0.7]);
  assert.equal(axisTitle(fig, 'xaxis'), 'Layer (decoder block)');
  assert.equal(axisTitle(fig, 'yaxis'), 'Accuracy');
  assert.equal(((fig.layout.shapes as Layout[])[0]).y0, 0.5);
  assert.throws(() => probeAccuracyByLayer([{ probe: 'ccs', layer: 3, test: 1.5 }]), /ccs, layer 3\) has test accuracy 1.5/);
  assert.equal(probeAccuracyByLayer([{ probe: 'x', layer: 0, test: 1 }], { chance: null }).layout.shapes, undefined);
});

test('confusionMatrix: rows actual, columns predicted, counts and row shares', () => {
  const fig = confusionMatrix({ tp: 40, fp: 10, tn: 30, fn: 20 });
  const h = fig.data[0];
  assert.equal(h.type, 'heatmap');
  assert.deepEqual(h.z, [[30, 10], [20, 40]]);
  assert.deepEqual(h.x, ['Non-sycophantic (0)', 'Sycophantic (1)']);
  assert.deepEqual(h.text, [['30<br>75.0% of row', '10<br>25.0% of row'], ['20<br>33.3% of row', '40<br>66.7% of row']]);
  assert.equal(axisTitle(fig, 'xaxis'), 'Predicted label');
  assert.equal(axisTitle(fig, 'yaxis'), 'Actual label');
  assert.equal((fig.layout.yaxis as Layout).autorange, 'reversed');
  assert.match(titleText(fig.layout), /Accuracy 70\.0% of 100 examples/);
  assert.deepEqual(confusionMatrix([[1, 2], [3, 4]]).data[0].z, [[1, 2], [3, 4]]);
  assert.throws(() => confusionMatrix([[1, 2], [3]]), /row 1 has 1 counts, expected 2/);
  assert.throws(() => confusionMatrix([[1, -2], [3, 4]]), /cell \[0\]\[1\] is -2/);
});

test('mlpActivationBars: bars per layer with asymmetric CI error bars', () => {
  const fig = mlpActivationBars([
    { layer: 1, mean: 0.5, ciLow: 0.25, ciHigh: 1 },
    { layer: 0, mean: 2, ciLow: 1.5, ciHigh: 2.5 },
  ]);
  const t = fig.data[0];
  assert.equal(t.type, 'bar');
  assert.deepEqual(t.x, [0, 1]);
  assert.deepEqual(t.y, [2, 0.5]);
  const e = t.error_y as Layout;
  assert.deepEqual(e.array, [0.5, 0.5]);
  assert.deepEqual(e.arrayminus, [0.5, 0.25]);
  assert.equal(e.symmetric, false);
  assert.match(titleText(fig.layout), /Error bars: 95% confidence interval/);
  const plain = mlpActivationBars([{ name: 'syc', stats: [{ layer: 0, mean: 1 }] }, { name: 'not', stats: [{ layer: 0, mean: 2 }] }]);
  assert.equal(plain.data.length, 2);
  assert.equal(plain.data[0].error_y, undefined);
  assert.equal(plain.layout.barmode, 'group');
  assert.equal(plain.layout.showlegend, true);
  assert.throws(() => mlpActivationBars([{ layer: 3, mean: 5, ciLow: 0, ciHigh: 1 }]), /layer 3: interval \[0, 1\] does not contain the mean 5/);
});

test('cosineHeatmap: cosine similarities computed from vectors (hand values)', () => {
  const vectors = matrix(3, 2, new Float32Array([1, 0, 0, 2, 3, 3]));
  const expected = [
    [1, 0, Math.SQRT1_2],
    [0, 1, Math.SQRT1_2],
    [Math.SQRT1_2, Math.SQRT1_2, 1],
  ];
  const got = cosineMatrix(vectors);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(got[i][j] - expected[i][j]) < 1e-15, `cos[${i}][${j}] = ${got[i][j]}`);
  const fig = cosineHeatmap({ layers: [4, 8, 12], vectors });
  const h = fig.data[0];
  assert.deepEqual(h.x, ['4', '8', '12']);
  assert.equal(h.zmin, -1);
  assert.equal(h.zmax, 1);
  assert.equal((h.z as number[][])[0][1], 0);
  assert.ok(Math.abs((h.z as number[][])[0][2] - Math.SQRT1_2) < 1e-15);
  assert.equal(axisTitle(fig, 'xaxis'), 'Layer');
  const pre = cosineHeatmap({ layers: [0, 1], similarity: [[1, -0.5], [-0.5, 1]] });
  assert.deepEqual(pre.data[0].z, [[1, -0.5], [-0.5, 1]]);
  assert.throws(() => cosineHeatmap({ layers: [0, 1, 2], similarity: [[1, 0], [0, 1]] }), /similarity is 2×2, expected 3×3/);
});

test('steeringHeatmap: layer × multiplier grid, sorted, gaps left empty', () => {
  const fig = steeringHeatmap([
    { layer: 13, multiplier: 1, value: 0.81 },
    { layer: 13, multiplier: -1, value: 0.64 },
    { layer: 13, multiplier: 0, value: 0.76 },
    { layer: 10, multiplier: 0, value: 0.7 },
  ]);
  const h = fig.data[0];
  assert.deepEqual(h.x, ['-1', '0', '1']);
  assert.deepEqual(h.y, ['10', '13']);
  assert.deepEqual(h.z, [[null, 0.7, null], [0.64, 0.76, 0.81]]);
  assert.equal(h.zmid, 0.5);
  assert.equal(axisTitle(fig, 'xaxis'), 'Steering multiplier');
  assert.equal(axisTitle(fig, 'yaxis'), 'Layer steered');
  assert.equal(((h.colorbar as Layout).title as Layout).text, 'p(sycophantic answer)');
  assert.throws(() => steeringHeatmap([{ layer: 1, multiplier: 2, value: 0.1 }, { layer: 1, multiplier: 2, value: 0.2 }]), /layer 1, multiplier 2 given twice/);
});

test('judgeScores: one line per series with CI error bars, y range covers the rubric', () => {
  const fig = judgeScores([
    { multiplier: 1, mean: 3, ciLow: 2.5, ciHigh: 3.25, n: 10, series: 'layer 13' },
    { multiplier: -1, mean: 1, ciLow: 0.5, ciHigh: 2, n: 10, series: 'layer 13' },
    { multiplier: 0, mean: 2, series: 'layer 20' },
  ]);
  assert.deepEqual(fig.data.map((t) => t.name), ['layer 13', 'layer 20']);
  const t: Trace = fig.data[0];
  assert.deepEqual(t.x, [-1, 1]);
  assert.deepEqual(t.y, [1, 3]);
  assert.deepEqual((t.error_y as Layout).array, [1, 0.25]);
  assert.deepEqual((t.error_y as Layout).arrayminus, [0.5, 0.5]);
  assert.deepEqual(t.text, ['10 answers', '10 answers']);
  assert.equal(fig.data[1].error_y, undefined);
  assert.deepEqual((fig.layout.yaxis as Layout).range, [-0.25, 5.25]);
  assert.equal(axisTitle(fig, 'yaxis'), 'Mean sycophancy score (0 = not, 5 = highly)');
  assert.throws(() => judgeScores([{ multiplier: 0, mean: 7 }]), /mean 7, outside the score range \[0, 5\]/);
});

test('describeFigure: text summary for use outside notebooks', () => {
  const fig = probeAccuracyByLayer([{ probe: 'logistic', layer: 0, test: 0.5 }]);
  assert.equal(describeFigure(fig), '[figure] Linear-probe accuracy by layer — Solid: held-out split · dashed: training split: 1 trace — logistic — held-out (1)');
});

test('layerScatter: shared axes use one padded range for every frame', () => {
  const fig = layerScatter(
    [
      { layer: 0, coords: [[0, 0], [1, 1]], labels: [1, 0] },
      { layer: 1, coords: [[-3, 2], [5, 4]], labels: [0, 1] },
    ],
    { axes: 'shared' },
  );
  // x: layer 0 [0,1] -> [-0.05, 1.05], layer 1 [-3,5] -> [-3.4, 5.4]; y: [0,1] -> [-0.05, 1.05], [2,4] -> [1.9, 4.1]
  const xr = fig.frames!.map((f) => (f.layout!.xaxis as Layout).range as number[]);
  assert.deepEqual(xr[0], xr[1]);
  assert.ok(Math.abs(xr[0][0] + 3.4) < 1e-12 && Math.abs(xr[0][1] - 5.4) < 1e-12, String(xr[0]));
  const yr = (fig.frames![0].layout!.yaxis as Layout).range as number[];
  assert.ok(Math.abs(yr[0] + 0.05) < 1e-12 && Math.abs(yr[1] - 4.1) < 1e-12, String(yr));
});
