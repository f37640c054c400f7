import type { Coords, Figure, Frame, Labels, Layout, Trace } from './types';
import { DEFAULT_CLASS_NAMES, NEGATIVE_COLOR, POSITIVE_COLOR, baseLayout, coordsColumn, coordsShape, paddedRange, titleOf, type ClassNames } from './style';

/** The 2-D (or higher; the first two columns are used) coordinates of every point at one layer. */
export interface LayerPoints {
  /** 0-based decoder block. */
  layer: number;
  /** One row per example; columns are the projection's components. */
  coords: Coords;
  /** One label per row: 1 = sycophantic (matching), 0 = not. */
  labels: Labels;
  /** Optional hover text per row (e.g. the pair index or the question). */
  text?: string[];
}

/** Options of the per-layer scatter. */
export interface LayerScatterOptions {
  /** Name of the projection, used in titles and axis names (default 'PCA'; ids like 'tsne' become 't-SNE'). */
  method?: string;
  /** Figure title; the current layer is appended (default "<method> of residual-stream activations"). */
  title?: string;
  /** Smaller line under the title. */
  subtitle?: string;
  /** Legend names of label 1 and label 0. */
  classNames?: Partial<ClassNames>;
  /** Axis titles (default "<method> 1", "<method> 2"). */
  axisTitles?: [string, string];
  /** Milliseconds per frame when playing (default 700). */
  frameMs?: number;
  /** Marker size in pixels (default 6). */
  markerSize?: number;
  /** 'per-layer' (default) fits the axes to each layer; 'shared' uses one range for all layers. */
  axes?: 'per-layer' | 'shared';
  /** Use WebGL traces (scattergl) for many thousands of points. */
  webgl?: boolean;
}

const METHOD_LABELS: Record<string, string> = { pca: 'PCA', tsne: 't-SNE', umap: 'UMAP', lle: 'LLE', spectral: 'Spectral embedding' };

/** Reader-facing name of a projection method id ('tsne' -> 't-SNE'); other names are returned as given. */
export function methodLabel(method: string): string {
  return METHOD_LABELS[method.toLowerCase()] ?? method;
}

/** Name of the animation frame of one layer. */
export function layerFrameName(layer: number): string {
  return `layer ${layer}`;
}

function checkPoints(p: LayerPoints, dims: number, what: string): { rows: number; cols: number } {
  const shape = coordsShape(p.coords);
  if (shape.cols < dims) {
    throw new Error(`${what}: layer ${p.layer} has ${shape.cols} coordinate columns, need at least ${dims}`);
  }
  if (p.labels.length !== shape.rows) {
    throw new Error(`${what}: layer ${p.layer} has ${shape.rows} points but ${p.labels.length} labels`);
  }
  for (let i = 0; i < p.labels.length; i++) {
    const l = p.labels[i];
    if (l !== 0 && l !== 1) throw new Error(`${what}: layer ${p.layer}, point ${i} has label ${l}, expected 0 or 1`);
  }
  if (p.text && p.text.length !== shape.rows) {
    throw new Error(`${what}: layer ${p.layer} has ${shape.rows} points but ${p.text.length} hover texts`);
  }
  return shape;
}

function columns(p: LayerPoints, dims: number): number[][] {
  const cols: number[][] = [];
  for (let j = 0; j < dims; j++) cols.push(coordsColumn(p.coords, j));
  return cols;
}

function split(p: LayerPoints, dims: number, cols = columns(p, dims)): { pos: number[][]; neg: number[][]; posText: string[]; negText: string[] } {
  const pos: number[][] = cols.map(() => []);
  const neg: number[][] = cols.map(() => []);
  const posText: string[] = [];
  const negText: string[] = [];
  for (let i = 0; i < p.labels.length; i++) {
    const target = p.labels[i] === 1 ? pos : neg;
    for (let j = 0; j < dims; j++) target[j].push(cols[j][i]);
    if (p.text) (p.labels[i] === 1 ? posText : negText).push(p.text[i]);
  }
  return { pos, neg, posText, negText };
}

function classTraces(p: LayerPoints, cols: number[][], names: ClassNames, type: string, size: number): Trace[] {
  const { pos, neg, posText, negText } = split(p, 2, cols);
  const mk = (xy: number[][], text: string[], name: string, color: string): Trace => {
    const t: Trace = {
      type,
      mode: 'markers',
      name,
      x: xy[0],
      y: xy[1],
      // Translucent markers with a thin white rim: where the classes overlap, both stay visible.
      marker: { color, size, opacity: 0.55, line: { width: 0.5, color: 'white' } },
    };
    if (p.text) t.text = text;
    t.hovertemplate = `<b>${name}</b> · layer ${p.layer}${p.text ? '<br>%{text}' : ''}<br>x %{x:.3g}, y %{y:.3g}<extra></extra>`;
    t.hoverlabel = { align: 'left' };
    return t;
  };
  return [mk(pos, posText, names.positive, POSITIVE_COLOR), mk(neg, negText, names.negative, NEGATIVE_COLOR)];
}

/**
 * Scatter of sycophantic vs non-sycophantic points per layer, with a layer slider and a play button (plotly frames):
 * the interactive replacement of the study's per-layer GIF. Layers are shown in the order given.
 */
export function layerScatter(layers: LayerPoints[], opts: LayerScatterOptions = {}): Figure {
  if (!layers.length) throw new Error('layerScatter: no layers given');
  const method = methodLabel(opts.method ?? 'PCA');
  const names: ClassNames = { ...DEFAULT_CLASS_NAMES, ...opts.classNames };
  const baseTitle = opts.title ?? `${method} of residual-stream activations`;
  const [xTitle, yTitle] = opts.axisTitles ?? [`${method} 1`, `${method} 2`];
  const type = opts.webgl ? 'scattergl' : 'scatter';
  const size = opts.markerSize ?? 6;
  const ms = opts.frameMs ?? 700;
  const seen = new Set<number>();
  for (const p of layers) {
    checkPoints(p, 2, 'layerScatter');
    if (seen.has(p.layer)) throw new Error(`layerScatter: layer ${p.layer} given twice`);
    seen.add(p.layer);
  }
  const cols = layers.map((p) => columns(p, 2));
  const ranges = cols.map(([x, y]) => ({ x: paddedRange(x), y: paddedRange(y) }));
  if (opts.axes === 'shared') {
    const xs = ranges.flatMap((r) => r.x);
    const ys = ranges.flatMap((r) => r.y);
    const shared = { x: [Math.min(...xs), Math.max(...xs)] as [number, number], y: [Math.min(...ys), Math.max(...ys)] as [number, number] };
    ranges.fill(shared);
  }
  const frameLayout = (k: number): Layout => ({
    title: titleOf(`${baseTitle} — layer ${layers[k].layer}`, opts.subtitle),
    xaxis: { range: ranges[k].x },
    yaxis: { range: ranges[k].y },
  });
  const frames: Frame[] = layers.map((p, k) => ({
    name: layerFrameName(p.layer),
    data: classTraces(p, cols[k], names, type, size),
    traces: [0, 1],
    layout: frameLayout(k),
  }));
  const layout = baseLayout(`${baseTitle} — layer ${layers[0].layer}`, xTitle, yTitle, opts.subtitle);
  (layout.xaxis as Layout).range = ranges[0].x;
  (layout.yaxis as Layout).range = ranges[0].y;
  layout.legend = { orientation: 'h', x: 0, y: 1, yanchor: 'bottom' };
  layout.margin = { l: 70, r: 30, t: opts.subtitle ? 110 : 90, b: layers.length > 1 ? 150 : 60 };
  if (layers.length > 1) {
    const animArgs = { mode: 'immediate', frame: { duration: ms, redraw: true }, transition: { duration: 0 } };
    layout.sliders = [
      {
        active: 0,
        x: 0.2,
        len: 0.8,
        y: -0.14,
        yanchor: 'top',
        pad: { t: 10 },
        currentvalue: { prefix: 'Layer ', visible: true, xanchor: 'left' },
        steps: layers.map((p) => ({ label: String(p.layer), method: 'animate', args: [[layerFrameName(p.layer)], animArgs] })),
      },
    ];
    layout.updatemenus = [
      {
        type: 'buttons',
        direction: 'left',
        showactive: false,
        x: 0,
        y: -0.14,
        xanchor: 'left',
        yanchor: 'top',
        pad: { t: 45 },
        buttons: [
          { label: '▶ Play', method: 'animate', args: [null, { ...animArgs, fromcurrent: true }] },
          { label: '❚❚ Pause', method: 'animate', args: [[null], { mode: 'immediate', frame: { duration: 0, redraw: false }, transition: { duration: 0 } }] },
        ],
      },
    ];
  }
  const fig: Figure = { data: frames[0].data.map((t) => ({ ...t })), layout };
  if (layers.length > 1) fig.frames = frames;
  return fig;
}

/** Points in three dimensions (e.g. a 3-D UMAP of one layer). */
export interface Points3d {
  /** One row per example, at least three columns (the first three are used). */
  coords: Coords;
  /** One label per row: 1 = sycophantic (matching), 0 = not. */
  labels: Labels;
  /** Optional hover text per row. */
  text?: string[];
  /** The layer the points come from, shown in the title. */
  layer?: number;
}

/** Options of the 3-D scatter. */
export interface Scatter3dOptions {
  /** Name of the projection (default 'UMAP'; ids like 'tsne' become 't-SNE'). */
  method?: string;
  /** Figure title (default "3-D <method> of residual-stream activations[, layer L]"). */
  title?: string;
  /** Smaller line under the title. */
  subtitle?: string;
  /** Legend names of label 1 and label 0. */
  classNames?: Partial<ClassNames>;
  /** Marker size in pixels (default 3). */
  markerSize?: number;
}

/** Interactive 3-D scatter of sycophantic vs non-sycophantic points (the study's plotly UMAP figure). */
export function scatter3d(points: Points3d, opts: Scatter3dOptions = {}): Figure {
  const method = methodLabel(opts.method ?? 'UMAP');
  const names: ClassNames = { ...DEFAULT_CLASS_NAMES, ...opts.classNames };
  const layer = points.layer ?? -1;
  checkPoints({ layer, coords: points.coords, labels: points.labels, text: points.text }, 3, 'scatter3d');
  const { pos, neg, posText, negText } = split({ layer, coords: points.coords, labels: points.labels, text: points.text }, 3);
  const size = opts.markerSize ?? 3;
  const mk = (xyz: number[][], text: string[], name: string, color: string): Trace => {
    const t: Trace = { type: 'scatter3d', mode: 'markers', name, x: xyz[0], y: xyz[1], z: xyz[2], marker: { color, size, opacity: 0.75 } };
    if (points.text) t.text = text;
    return t;
  };
  const title = opts.title ?? `3-D ${method} of residual-stream activations${points.layer !== undefined ? `, layer ${points.layer}` : ''}`;
  const axis = (k: number): Layout => ({ title: { text: `${method} ${k}` } });
  return {
    data: [mk(pos, posText, names.positive, POSITIVE_COLOR), mk(neg, negText, names.negative, NEGATIVE_COLOR)],
    layout: {
      title: titleOf(title, opts.subtitle),
      scene: { xaxis: axis(1), yaxis: axis(2), zaxis: axis(3) },
      legend: { orientation: 'h', x: 0, y: 0 },
      paper_bgcolor: 'white',
      font: { family: 'Liberation Sans, Arial, sans-serif', size: 13 },
      margin: { l: 0, r: 0, t: opts.subtitle ? 90 : 60, b: 0 },
    },
  };
}
