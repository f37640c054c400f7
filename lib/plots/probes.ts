import type { Figure, Layout, Trace } from './types';
import { PALETTE, baseLayout } from './style';

/** Accuracy of one probe type at one layer. */
export interface ProbeAccuracy {
  /** Probe type, e.g. 'logistic', 'mass-mean', 'mass-mean-iid', 'ccs'. */
  probe: string;
  /** 0-based decoder block. */
  layer: number;
  /** Accuracy on the held-out split, in [0, 1]. */
  test: number;
  /** Accuracy on the training split, in [0, 1] (optional). */
  train?: number;
  /** Interval of the held-out accuracy, e.g. the exact 95% binomial interval (drawn as error bars). */
  testCi?: { lo: number; hi: number } | null;
  /** Number of held-out examples behind `test` (shown on hover). */
  nTest?: number;
}

/** Options of the probe-accuracy figure. */
export interface ProbeAccuracyOptions {
  /** Figure title (default 'Linear-probe accuracy by layer'). */
  title?: string;
  /** Smaller line under the title. */
  subtitle?: string;
  /** Accuracy of guessing, drawn as a dotted line (default 0.5; null to omit). */
  chance?: number | null;
}

/**
 * Probe accuracy by layer: one colour per probe type, a solid line for the held-out (test) accuracy and a dashed
 * line of the same colour for the training accuracy, plus a dotted chance line.
 */
export function probeAccuracyByLayer(results: ProbeAccuracy[], opts: ProbeAccuracyOptions = {}): Figure {
  if (!results.length) throw new Error('probeAccuracyByLayer: no results given');
  const byProbe = new Map<string, ProbeAccuracy[]>();
  for (const [i, r] of results.entries()) {
    for (const [k, v] of [['test', r.test], ['train', r.train]] as const) {
      if (v !== undefined && !(v >= 0 && v <= 1)) {
        throw new Error(`probeAccuracyByLayer: result ${i} (${r.probe}, layer ${r.layer}) has ${k} accuracy ${v}, expected a value in [0, 1]`);
      }
    }
    const list = byProbe.get(r.probe) ?? [];
    if (list.some((o) => o.layer === r.layer)) throw new Error(`probeAccuracyByLayer: probe ${r.probe}, layer ${r.layer} given twice`);
    list.push(r);
    byProbe.set(r.probe, list);
  }
  const data: Trace[] = [];
  let k = 0;
  let anyCi = false;
  for (const [probe, list] of byProbe) {
    const rows = list.slice().sort((a, b) => a.layer - b.layer);
    const color = PALETTE[k++ % PALETTE.length];
    const held: Trace = {
      type: 'scatter',
      mode: 'lines+markers',
      name: `${probe} — held-out`,
      legendgroup: probe,
      x: rows.map((r) => r.layer),
      y: rows.map((r) => r.test),
      line: { color, width: 2 },
      marker: { color, size: 7 },
      hovertemplate: `${probe}, layer %{x}: held-out accuracy %{y:.1%}${rows.some((r) => r.testCi) ? ' (95% interval %{text})' : ''}<extra></extra>`,
    };
    if (rows.some((r) => r.testCi)) {
      anyCi = true;
      held.text = rows.map((r) => (r.testCi ? `${(100 * r.testCi.lo).toFixed(1)}–${(100 * r.testCi.hi).toFixed(1)}%${r.nTest ? ` of ${r.nTest}` : ''}` : 'n/a'));
      held.error_y = {
        type: 'data', symmetric: false, visible: true, color, thickness: 1.2, width: 4,
        array: rows.map((r) => (r.testCi ? Math.max(0, r.testCi.hi - r.test) : 0)),
        arrayminus: rows.map((r) => (r.testCi ? Math.max(0, r.test - r.testCi.lo) : 0)),
      };
    }
    data.push(held);
    const train = rows.filter((r) => r.train !== undefined);
    if (train.length) {
      data.push({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${probe} — train`,
        legendgroup: probe,
        x: train.map((r) => r.layer),
        y: train.map((r) => r.train as number),
        line: { color, width: 1.5, dash: 'dash' },
        marker: { color, size: 5, symbol: 'circle-open' },
        hovertemplate: `${probe}, layer %{x}: training accuracy %{y:.1%}<extra></extra>`,
      });
    }
  }
  const layout = baseLayout(opts.title ?? 'Linear-probe accuracy by layer', 'Layer (decoder block)', 'Accuracy', opts.subtitle ?? `Solid: held-out split${anyCi ? ' (bars: 95% interval)' : ''} · dashed: training split`);
  (layout.yaxis as Layout).range = [0, 1.02];
  (layout.yaxis as Layout).tickformat = '.0%';
  (layout.xaxis as Layout).dtick = 1;
  (layout.xaxis as Layout).zeroline = false;
  const chance = opts.chance === undefined ? 0.5 : opts.chance;
  if (chance !== null) {
    layout.shapes = [{ type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: chance, y1: chance, line: { color: '#888888', width: 1, dash: 'dot' } }];
    layout.annotations = [{ xref: 'paper', x: 1, xanchor: 'right', yref: 'y', y: chance, yanchor: 'bottom', text: `chance (${Math.round(chance * 100)}%)`, showarrow: false, font: { color: '#666666', size: 11 } }];
  }
  return { data, layout };
}

/** Counts of a binary confusion matrix (positive = label 1, sycophantic). */
export interface BinaryConfusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Options of the confusion-matrix heatmap. */
export interface ConfusionOptions {
  /** Figure title (default 'Confusion matrix on the held-out split'). */
  title?: string;
  /** Smaller line under the title (e.g. the probe and layer). */
  subtitle?: string;
  /** Class names in matrix order (default: label 0 then label 1). */
  classNames?: string[];
}

/** Rows = actual class, columns = predicted class, from either form of input. */
function confusionCounts(input: BinaryConfusion | number[][]): number[][] {
  if (Array.isArray(input)) return input.map((r) => r.slice());
  return [
    [input.tn, input.fp],
    [input.fn, input.tp],
  ];
}

/**
 * Confusion-matrix heatmap: rows are the actual class, columns the predicted class (first class at the top-left);
 * each cell shows its count and its share of the actual class. Input is {tp, fp, tn, fn} or counts[actual][predicted].
 */
export function confusionMatrix(input: BinaryConfusion | number[][], opts: ConfusionOptions = {}): Figure {
  const z = confusionCounts(input);
  const n = z.length;
  const names = opts.classNames ?? (n === 2 ? ['Non-sycophantic (0)', 'Sycophantic (1)'] : z.map((_, i) => `class ${i}`));
  if (names.length !== n) throw new Error(`confusionMatrix: ${names.length} class names for a ${n}×${n} matrix`);
  for (const [i, r] of z.entries()) {
    if (r.length !== n) throw new Error(`confusionMatrix: row ${i} has ${r.length} counts, expected ${n}`);
    for (const [j, v] of r.entries()) {
      if (!(Number.isInteger(v) && v >= 0)) throw new Error(`confusionMatrix: cell [${i}][${j}] is ${v}, expected a non-negative integer count`);
    }
  }
  const text = z.map((r) => {
    const total = r.reduce((a, b) => a + b, 0);
    return r.map((v) => `${v}<br>${total ? ((100 * v) / total).toFixed(1) : '0.0'}% of row`);
  });
  const total = z.reduce((a, r) => a + r.reduce((s, v) => s + v, 0), 0);
  const correct = z.reduce((a, r, i) => a + r[i], 0);
  const acc = total ? correct / total : 0;
  const layout = baseLayout(
    opts.title ?? 'Confusion matrix on the held-out split',
    'Predicted label',
    'Actual label',
    opts.subtitle ?? `Accuracy ${(100 * acc).toFixed(1)}% of ${total} examples`,
  );
  layout.xaxis = { ...(layout.xaxis as Layout), type: 'category', side: 'bottom' };
  layout.yaxis = { ...(layout.yaxis as Layout), type: 'category', autorange: 'reversed' };
  const longest = Math.max(...names.map((s) => s.length));
  layout.margin = { ...(layout.margin as Layout), l: Math.min(260, 40 + 7 * longest) };
  layout.width = 420 + Math.min(260, 40 + 7 * longest);
  layout.height = 480;
  return {
    data: [
      {
        type: 'heatmap',
        x: names,
        y: names,
        z,
        text,
        texttemplate: '%{text}',
        hovertemplate: 'actual %{y}<br>predicted %{x}<br>%{z} examples<extra></extra>',
        colorscale: [
          [0, '#f7fbff'],
          [1, '#08306b'],
        ],
        zmin: 0,
        zmax: Math.max(1, ...z.map((r) => Math.max(...r))),
        colorbar: { title: { text: 'Examples' } },
      },
    ],
    layout,
  };
}
