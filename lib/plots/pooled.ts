// One embedding of all layers' points together, shown twice side by side with the same coordinates: coloured by
// layer (where each layer sits) and by class (the two class colours used in every figure).
import type { Coords, Figure, Labels, Layout, Trace } from './types';
import { DEFAULT_CLASS_NAMES, NEGATIVE_COLOR, POSITIVE_COLOR, baseLayout, coordsColumn, coordsShape, type ClassNames } from './style';
import { methodLabel } from './scatter';

/** Points of a pooled embedding: coordinates, and the layer and label of each. */
export interface PooledPoints {
  coords: Coords;
  layer: ArrayLike<number>;
  labels: Labels;
  /** Optional hover text per point. */
  text?: string[];
}

/** Options of the pooled scatter. */
export interface PooledScatterOptions {
  /** Projection name (default 't-SNE'). */
  method?: string;
  title?: string;
  subtitle?: string;
  classNames?: Partial<ClassNames>;
  /** Marker size (default 5). */
  markerSize?: number;
}

/** Side-by-side scatter of a pooled embedding: left coloured by layer (continuous scale), right by class. */
export function pooledScatter(p: PooledPoints, opts: PooledScatterOptions = {}): Figure {
  const { rows, cols } = coordsShape(p.coords);
  if (cols < 2) throw new Error(`pooledScatter: need 2 coordinate columns, got ${cols}`);
  if (p.layer.length !== rows || p.labels.length !== rows) throw new Error(`pooledScatter: ${rows} points but ${p.layer.length} layers and ${p.labels.length} labels`);
  if (p.text && p.text.length !== rows) throw new Error(`pooledScatter: ${rows} points but ${p.text.length} hover texts`);
  const method = methodLabel(opts.method ?? 't-SNE');
  const names: ClassNames = { ...DEFAULT_CLASS_NAMES, ...opts.classNames };
  const x = coordsColumn(p.coords, 0);
  const y = coordsColumn(p.coords, 1);
  const layers = Array.from(p.layer);
  const size = opts.markerSize ?? 5;
  const hover = (i: number) => `layer ${layers[i]}${p.text ? `<br>${p.text[i]}` : ''}`;
  const all = Array.from({ length: rows }, (_, i) => i);
  const byLayer: Trace = {
    type: 'scatter', mode: 'markers', name: 'layer', showlegend: false, x, y, xaxis: 'x', yaxis: 'y',
    text: all.map(hover),
    marker: { color: layers, colorscale: 'Viridis', size, opacity: 0.75, line: { width: 0 }, colorbar: { title: { text: 'layer' }, x: 0.455, len: 0.8, thickness: 12 } },
    hovertemplate: '%{text}<extra></extra>', hoverlabel: { align: 'left' },
  };
  const cls = (label: number, name: string, color: string): Trace => {
    const idx = all.filter((i) => p.labels[i] === label);
    return {
      type: 'scatter', mode: 'markers', name, x: idx.map((i) => x[i]), y: idx.map((i) => y[i]), xaxis: 'x2', yaxis: 'y2',
      text: idx.map(hover), marker: { color, size, opacity: 0.55, line: { width: 0.5, color: 'white' } },
      hovertemplate: `<b>${name}</b><br>%{text}<extra></extra>`, hoverlabel: { align: 'left' },
    };
  };
  const layout = baseLayout(opts.title ?? `One ${method} of every layer's activations pooled`, `${method} 1`, `${method} 2`, opts.subtitle);
  const ax = layout.xaxis as Layout;
  const ay = layout.yaxis as Layout;
  layout.xaxis = { ...ax, domain: [0, 0.44] };
  layout.yaxis = { ...ay, anchor: 'x' };
  layout.xaxis2 = { ...ax, domain: [0.56, 1], anchor: 'y2' };
  layout.yaxis2 = { ...ay, anchor: 'x2', matches: 'y', title: undefined };
  layout.annotations = [
    { text: 'coloured by layer', xref: 'paper', yref: 'paper', x: 0.22, y: 1, xanchor: 'center', yanchor: 'bottom', showarrow: false },
    { text: 'coloured by class', xref: 'paper', yref: 'paper', x: 0.78, y: 1, xanchor: 'center', yanchor: 'bottom', showarrow: false },
  ];
  layout.legend = { orientation: 'h', x: 0.56, y: -0.14, yanchor: 'top' };
  layout.width = 1100;
  layout.height = 560;
  layout.margin = { l: 70, r: 30, t: opts.subtitle ? 100 : 80, b: 90 };
  return { data: [byLayer, cls(1, names.positive, POSITIVE_COLOR), cls(0, names.negative, NEGATIVE_COLOR)], layout };
}
