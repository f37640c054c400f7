import type { Matrix } from '../util/matrix';
import { cosineMatrix } from '../linalg/cosine';
import type { Figure, Layout, Trace } from './types';
import { DIVERGING, PALETTE, baseLayout, intervalErrorBars, coordsColumn, coordsShape, isMatrix } from './style';

/** Mean MLP activation at one layer, optionally with a confidence interval. */
export interface MlpLayerStat {
  /** 0-based decoder block. */
  layer: number;
  /** Mean (normalised) activation. */
  mean: number;
  /** Lower end of the confidence interval. */
  ciLow?: number;
  /** Upper end of the confidence interval. */
  ciHigh?: number;
}

/** A named series of per-layer MLP statistics (e.g. sycophantic vs non-sycophantic inputs). */
export interface MlpSeries {
  name: string;
  stats: MlpLayerStat[];
  /** Bar colour (default from the palette; use POSITIVE_COLOR / NEGATIVE_COLOR for the two classes). */
  color?: string;
}

/** Options of the MLP-activation bar chart. */
export interface MlpBarsOptions {
  /** Figure title (default 'Average normalised MLP activation by layer'). */
  title?: string;
  /** Smaller line under the title (default names the error bars when present). */
  subtitle?: string;
  /** Y-axis title (default 'Mean normalised MLP activation'). */
  yTitle?: string;
  /** What the error bars show (default '95% confidence interval'). */
  ciLabel?: string;
}

/** Bar chart of the mean MLP activation per layer (grouped bars for several series; error bars when a CI is given). */
export function mlpActivationBars(input: MlpLayerStat[] | MlpSeries[], opts: MlpBarsOptions = {}): Figure {
  if (!input.length) throw new Error('mlpActivationBars: no statistics given');
  const series: MlpSeries[] = 'stats' in input[0] ? (input as MlpSeries[]) : [{ name: 'Mean activation', stats: input as MlpLayerStat[] }];
  let anyCi = false;
  const data: Trace[] = series.map((s, k) => {
    const rows = s.stats.slice().sort((a, b) => a.layer - b.layer);
    for (const [i, r] of rows.entries()) {
      if (i && rows[i - 1].layer === r.layer) throw new Error(`mlpActivationBars: series "${s.name}" has layer ${r.layer} twice`);
      if ((r.ciLow === undefined) !== (r.ciHigh === undefined)) {
        throw new Error(`mlpActivationBars: series "${s.name}", layer ${r.layer} has only one end of its confidence interval`);
      }
      if (r.ciLow !== undefined && r.ciHigh !== undefined && !(r.ciLow <= r.mean && r.mean <= r.ciHigh)) {
        throw new Error(`mlpActivationBars: series "${s.name}", layer ${r.layer}: interval [${r.ciLow}, ${r.ciHigh}] does not contain the mean ${r.mean}`);
      }
    }
    const color = s.color ?? (series.length === 1 ? '#4c72b0' : PALETTE[k % PALETTE.length]);
    const t: Trace = {
      type: 'bar',
      name: s.name,
      x: rows.map((r) => r.layer),
      y: rows.map((r) => r.mean),
      marker: { color },
      hovertemplate: `${s.name}<br>layer %{x}: %{y:.4g}<extra></extra>`,
    };
    if (rows.some((r) => r.ciLow !== undefined)) {
      anyCi = true;
      t.error_y = intervalErrorBars(rows, '#333333');
    }
    return t;
  });
  const subtitle = opts.subtitle ?? (anyCi ? `Error bars: ${opts.ciLabel ?? '95% confidence interval'}` : undefined);
  const layout = baseLayout(opts.title ?? 'Average normalised MLP activation by layer', 'Layer (decoder block)', opts.yTitle ?? 'Mean normalised MLP activation', subtitle);
  (layout.xaxis as Layout).dtick = 1;
  (layout.xaxis as Layout).zeroline = false;
  layout.barmode = 'group';
  layout.showlegend = series.length > 1;
  return { data, layout };
}

/** Vectors (one per layer) or their precomputed similarity matrix. */
export interface CosineInput {
  /** The layer of each row / column. */
  layers: number[];
  /** One vector per layer (rows), e.g. steering vectors; the cosine similarities are computed. */
  vectors?: Matrix | ArrayLike<number>[];
  /** A precomputed square similarity matrix, used instead of `vectors`. */
  similarity?: Matrix | ArrayLike<number>[];
}

/** Options of the cosine-similarity heatmap. */
export interface CosineOptions {
  /** Figure title (default 'Cosine similarity of steering vectors across layers'). */
  title?: string;
  /** Smaller line under the title. */
  subtitle?: string;
  /** Show the value in each cell (default: when at most 20 layers). */
  showValues?: boolean;
}

/** Heatmap of the cosine similarity between per-layer vectors (−1 blue, 0 white, +1 red). */
export function cosineHeatmap(input: CosineInput, opts: CosineOptions = {}): Figure {
  const n = input.layers.length;
  let z: number[][];
  if (input.similarity) {
    const shape = coordsShape(input.similarity);
    if (shape.rows !== n || shape.cols !== n) {
      throw new Error(`cosineHeatmap: similarity is ${shape.rows}×${shape.cols}, expected ${n}×${n} for ${n} layers`);
    }
    const cols: number[][] = [];
    for (let j = 0; j < n; j++) cols.push(coordsColumn(input.similarity, j));
    z = input.layers.map((_, i) => cols.map((c) => c[i]));
  } else if (input.vectors) {
    const rows = isMatrix(input.vectors) ? input.vectors.rows : input.vectors.length;
    if (rows !== n) throw new Error(`cosineHeatmap: ${rows} vectors for ${n} layers`);
    z = cosineMatrix(input.vectors);
  } else {
    throw new Error('cosineHeatmap: give either vectors or similarity');
  }
  const labels = input.layers.map(String);
  const layout = baseLayout(opts.title ?? 'Cosine similarity of steering vectors across layers', 'Layer', 'Layer', opts.subtitle);
  layout.xaxis = { ...(layout.xaxis as Layout), type: 'category' };
  layout.yaxis = { ...(layout.yaxis as Layout), type: 'category', autorange: 'reversed', scaleanchor: 'x' };
  const showValues = opts.showValues ?? n <= 20;
  const trace: Trace = {
    type: 'heatmap',
    x: labels,
    y: labels,
    z,
    zmin: -1,
    zmax: 1,
    colorscale: DIVERGING,
    colorbar: { title: { text: 'Cosine similarity' } },
    hovertemplate: 'layer %{y} vs layer %{x}<br>cosine %{z:.3f}<extra></extra>',
  };
  if (showValues) trace.texttemplate = '%{z:.2f}';
  return { data: [trace], layout };
}
