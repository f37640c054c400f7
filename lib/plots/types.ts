import type { Matrix } from '../util/matrix';

/** One plotly trace (scatter, heatmap, bar, scatter3d, ...): a plain JSON object. */
export interface Trace {
  type: string;
  name?: string;
  [key: string]: unknown;
}

/** A plotly layout: a plain JSON object (title, axes, sliders, ...). */
export type Layout = Record<string, unknown>;

/** One animation frame: the traces (and optional layout changes) shown for one step, e.g. one layer. */
export interface Frame {
  name: string;
  data: Trace[];
  layout?: Layout;
  traces?: number[];
}

/** A complete plotly figure spec, JSON-serialisable, with optional animation frames and plot config. */
export interface Figure {
  data: Trace[];
  layout: Layout;
  frames?: Frame[];
  config?: Record<string, unknown>;
}

/** Point coordinates: a Matrix (rows = points) or nested arrays. */
export type Coords = Matrix | ArrayLike<number>[];

/** Per-point class labels: 1 = sycophantic (matching behaviour), 0 = not. */
export type Labels = ArrayLike<number>;
