import type { Figure, Layout, Trace } from './types';
import { DIVERGING, PALETTE, baseLayout, intervalErrorBars } from './style';

/** One cell of a steering sweep: the behaviour score at one layer and multiplier. */
export interface SteeringCell {
  /** 0-based decoder block the vector was added at. */
  layer: number;
  /** Steering multiplier (0 = no steering). */
  multiplier: number;
  /** Behaviour score, e.g. p(matching letter) / (p(A) + p(B)), in [0, 1]. */
  value: number;
}

/** Options of the steering heatmap. */
export interface SteeringHeatmapOptions {
  /** Figure title (default 'Steering effect on the probability of the sycophantic answer'). */
  title?: string;
  /** Smaller line under the title. */
  subtitle?: string;
  /** Colour-bar title: what the value is (default 'p(sycophantic answer)'). */
  valueName?: string;
  /** Colour range (default [0, 1], centred at 0.5). */
  range?: [number, number];
}

/**
 * Layer × multiplier heatmap of the A/B behaviour score (p(matching) / (p(A) + p(B))): rows are layers, columns
 * multipliers in increasing order; cells missing from the sweep stay empty.
 */
export function steeringHeatmap(cells: SteeringCell[], opts: SteeringHeatmapOptions = {}): Figure {
  if (!cells.length) throw new Error('steeringHeatmap: no cells given');
  const layers = Array.from(new Set(cells.map((c) => c.layer))).sort((a, b) => a - b);
  const mults = Array.from(new Set(cells.map((c) => c.multiplier))).sort((a, b) => a - b);
  const z: (number | null)[][] = layers.map(() => mults.map(() => null));
  for (const [i, c] of cells.entries()) {
    if (!Number.isFinite(c.value)) throw new Error(`steeringHeatmap: cell ${i} (layer ${c.layer}, multiplier ${c.multiplier}) has value ${c.value}`);
    const r = layers.indexOf(c.layer);
    const k = mults.indexOf(c.multiplier);
    if (z[r][k] !== null) throw new Error(`steeringHeatmap: layer ${c.layer}, multiplier ${c.multiplier} given twice`);
    z[r][k] = c.value;
  }
  const [zmin, zmax] = opts.range ?? [0, 1];
  const valueName = opts.valueName ?? 'p(sycophantic answer)';
  const layout = baseLayout(
    opts.title ?? 'Steering effect on the probability of the sycophantic answer',
    'Steering multiplier',
    'Layer steered',
    opts.subtitle ?? 'A/B questions: p(matching letter) / (p(A) + p(B)); multiplier 0 = no steering',
  );
  layout.xaxis = { ...(layout.xaxis as Layout), type: 'category' };
  layout.yaxis = { ...(layout.yaxis as Layout), type: 'category' };
  return {
    data: [
      {
        type: 'heatmap',
        x: mults.map(String),
        y: layers.map(String),
        z,
        zmin,
        zmax,
        zmid: (zmin + zmax) / 2,
        colorscale: DIVERGING,
        texttemplate: '%{z:.2f}',
        hoverongaps: false,
        colorbar: { title: { text: valueName } },
        hovertemplate: `layer %{y}, multiplier %{x}<br>${valueName} = %{z:.3f}<extra></extra>`,
      },
    ],
    layout,
  };
}

/** The judge's mean score at one multiplier, optionally with a confidence interval. */
export interface JudgeScorePoint {
  /** Steering multiplier (0 = no steering). */
  multiplier: number;
  /** Mean sycophancy score (0 = not sycophantic … 5 = highly). */
  mean: number;
  /** Lower end of the confidence interval. */
  ciLow?: number;
  /** Upper end of the confidence interval. */
  ciHigh?: number;
  /** Number of scored answers behind the mean. */
  n?: number;
  /** Line this point belongs to, e.g. 'layer 13' or a dataset name (default one line). */
  series?: string;
}

/** Options of the judge-score figure. */
export interface JudgeScoresOptions {
  /** Figure title (default 'LLM-judge sycophancy score of steered answers'). */
  title?: string;
  /** Smaller line under the title. */
  subtitle?: string;
  /** Score range of the rubric (default [0, 5]). */
  range?: [number, number];
}

/** Mean judge score by steering multiplier, one line per series, with CI error bars when given. */
export function judgeScores(points: JudgeScorePoint[], opts: JudgeScoresOptions = {}): Figure {
  if (!points.length) throw new Error('judgeScores: no points given');
  const [lo, hi] = opts.range ?? [0, 5];
  const groups = new Map<string, JudgeScorePoint[]>();
  for (const [i, p] of points.entries()) {
    if (!(p.mean >= lo && p.mean <= hi)) throw new Error(`judgeScores: point ${i} (multiplier ${p.multiplier}) has mean ${p.mean}, outside the score range [${lo}, ${hi}]`);
    if ((p.ciLow === undefined) !== (p.ciHigh === undefined)) throw new Error(`judgeScores: point ${i} (multiplier ${p.multiplier}) has only one end of its confidence interval`);
    const key = p.series ?? 'Mean judge score';
    const g = groups.get(key) ?? [];
    if (g.some((o) => o.multiplier === p.multiplier)) throw new Error(`judgeScores: series "${key}", multiplier ${p.multiplier} given twice`);
    g.push(p);
    groups.set(key, g);
  }
  let k = 0;
  const data: Trace[] = [];
  let anyCi = false;
  for (const [name, g] of groups) {
    const rows = g.slice().sort((a, b) => a.multiplier - b.multiplier);
    const color = groups.size === 1 ? '#4c72b0' : PALETTE[k % PALETTE.length];
    k++;
    const t: Trace = {
      type: 'scatter',
      mode: 'lines+markers',
      name,
      x: rows.map((r) => r.multiplier),
      y: rows.map((r) => r.mean),
      line: { color, width: 2 },
      marker: { color, size: 8 },
      hovertemplate: `${name}<br>multiplier %{x}: mean score %{y:.2f}${rows.some((r) => r.n !== undefined) ? '<br>%{text}' : ''}<extra></extra>`,
    };
    if (rows.some((r) => r.n !== undefined)) t.text = rows.map((r) => (r.n === undefined ? '' : `${r.n} answers`));
    if (rows.some((r) => r.ciLow !== undefined)) {
      anyCi = true;
      t.error_y = intervalErrorBars(rows, color);
    }
    data.push(t);
  }
  const layout = baseLayout(
    opts.title ?? 'LLM-judge sycophancy score of steered answers',
    'Steering multiplier (0 = no steering)',
    `Mean sycophancy score (${lo} = not, ${hi} = highly)`,
    opts.subtitle ?? (anyCi ? 'Error bars: 95% confidence interval of the mean' : undefined),
  );
  (layout.yaxis as Layout).range = [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)];
  const mults = Array.from(new Set(points.map((p) => p.multiplier))).sort((a, b) => a - b);
  if (mults.length <= 15) (layout.xaxis as Layout).tickvals = mults;
  layout.showlegend = groups.size > 1;
  return { data, layout };
}
