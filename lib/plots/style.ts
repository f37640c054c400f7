import type { Coords, Layout } from './types';

/** Colour of label-1 (sycophantic / matching) points and series. */
export const POSITIVE_COLOR = '#d62728';
/** Colour of label-0 (non-sycophantic / not matching) points and series. */
export const NEGATIVE_COLOR = '#1f77b4';
/** Categorical palette for series such as probe types or layers (plotly/D3 category10 without the class colours first). */
export const PALETTE = ['#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#1f77b4', '#d62728'];
/** Diverging colour scale: blue for low, white in the middle, red for high. */
export const DIVERGING: [number, string][] = [
  [0, '#2166ac'],
  [0.25, '#92c5de'],
  [0.5, '#f7f7f7'],
  [0.75, '#f4a582'],
  [1, '#b2182b'],
];

/** Default legend names of the two classes. */
export interface ClassNames {
  /** Name of label 1. */
  positive: string;
  /** Name of label 0. */
  negative: string;
}

/** Default reader-facing names of label 1 and label 0. */
export const DEFAULT_CLASS_NAMES: ClassNames = {
  positive: 'Sycophantic answer (label 1)',
  negative: 'Non-sycophantic answer (label 0)',
};

/** The shortest decimal number that rounds to the same float32 (keeps JSON small and values exact). */
export function f32(v: number): number {
  if (!Number.isFinite(v)) return v;
  const f = Math.fround(v);
  if (f !== v) return v; // not a float32 value: keep as is
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === f) return s;
  }
  return v;
}

/** Number of rows and columns of point coordinates. */
export function coordsShape(c: Coords): { rows: number; cols: number } {
  if (isMatrix(c)) return { rows: c.rows, cols: c.cols };
  return { rows: c.length, cols: c.length ? c[0].length : 0 };
}

/** Column j of point coordinates as a plain array (float32 values written in their shortest exact form). */
export function coordsColumn(c: Coords, j: number): number[] {
  const out: number[] = [];
  if (isMatrix(c)) {
    for (let i = 0; i < c.rows; i++) out.push(f32(c.data[i * c.cols + j]));
  } else {
    for (let i = 0; i < c.length; i++) {
      const r = c[i];
      out.push(r instanceof Float32Array ? f32(r[j]) : Number(r[j]));
    }
  }
  return out;
}

/** Asymmetric error bars from per-point interval ends (0 where a point has none) around each mean. */
export function intervalErrorBars(rows: readonly { mean: number; ciLow?: number; ciHigh?: number }[], color: string): Record<string, unknown> {
  return {
    type: 'data',
    symmetric: false,
    array: rows.map((r) => (r.ciHigh === undefined ? 0 : r.ciHigh - r.mean)),
    arrayminus: rows.map((r) => (r.ciLow === undefined ? 0 : r.mean - r.ciLow)),
    visible: true,
    color,
    thickness: 1.2,
  };
}

/** True when a value is a Matrix ({rows, cols, data}). */
export function isMatrix(c: unknown): c is { rows: number; cols: number; data: Float32Array } {
  return typeof c === 'object' && c !== null && 'data' in c && 'rows' in c && 'cols' in c;
}

/** A layout title object with an optional smaller subtitle line. */
export function titleOf(text: string, subtitle?: string): Layout {
  return { text: subtitle ? `${text}<br><sub>${subtitle}</sub>` : text, x: 0.02, xanchor: 'left' };
}

/** The common layout of every figure: title, axis titles, white background, light grid. */
export function baseLayout(title: string, xTitle: string, yTitle: string, subtitle?: string): Layout {
  return {
    title: titleOf(title, subtitle),
    xaxis: { title: { text: xTitle }, gridcolor: '#e5e5e5', zerolinecolor: '#bbbbbb' },
    yaxis: { title: { text: yTitle }, gridcolor: '#e5e5e5', zerolinecolor: '#bbbbbb' },
    paper_bgcolor: 'white',
    plot_bgcolor: 'white',
    font: { family: 'Liberation Sans, Arial, sans-serif', size: 13 },
    margin: { l: 70, r: 30, t: subtitle ? 90 : 70, b: 60 },
    hovermode: 'closest',
  };
}

/** Min and max of the finite values of an array ([0, 1] when none); padded by `pad` of the span. */
export function paddedRange(values: ArrayLike<number>, pad = 0.05): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - pad * span, hi + pad * span];
}
