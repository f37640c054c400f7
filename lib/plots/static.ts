// Static views of a per-layer figure (one with a layer slider and "layer L" frames): one chosen layer, or every layer as
// small multiples. Interactive HTML keeps the slider; PNG/SVG exports use these, so no dead slider or buttons are drawn.
import type { Figure, Frame, Layout, Trace } from './types';

const FRAME_RE = /^layer (-?\d+)$/;

/** The layers of a per-layer figure's frames, in frame order (empty when it has no "layer L" frames). */
export function figureLayers(fig: Figure): number[] {
  const out: number[] = [];
  for (const f of fig.frames ?? []) {
    const m = FRAME_RE.exec(f.name);
    if (!m) return [];
    out.push(Number(m[1]));
  }
  return out;
}

function frameOf(fig: Figure, layer: number, what: string): Frame {
  const layers = figureLayers(fig);
  const k = layers.indexOf(layer);
  if (k < 0) throw new Error(`${what}: layer ${layer} is not in the figure (its layers: ${layers.join(', ') || 'none'})`);
  return fig.frames![k];
}

/** A title without the hint about the slider (a static figure has none). */
function staticTitle(title: unknown): unknown {
  const strip = (t: string) => t.replace(/(;\s*|<sub>)drag the slider or press play to move through the layers/, (_m, lead: string) => (lead === '<sub>' ? '<sub>' : ''));
  if (typeof title === 'string') return strip(title);
  if (title && typeof title === 'object' && typeof (title as Layout).text === 'string') return { ...(title as Layout), text: strip((title as Layout).text as string) };
  return title;
}

function withoutControls(layout: Layout): Layout {
  const { sliders: _s, updatemenus: _u, ...rest } = layout;
  return rest;
}

function mergeAxis(base: unknown, over: unknown): Layout {
  return { ...((base as Layout) ?? {}), ...((over as Layout) ?? {}) };
}

/** One layer of a per-layer figure as a plain figure: that layer's points, title and axes, with no slider, buttons or frames. */
export function layerFigure(fig: Figure, layer: number): Figure {
  const frame = frameOf(fig, layer, 'layerFigure');
  const fl = frame.layout ?? {};
  const layout = withoutControls({ ...fig.layout });
  layout.title = staticTitle(fl.title ?? layout.title);
  layout.xaxis = mergeAxis(fig.layout.xaxis, fl.xaxis);
  layout.yaxis = mergeAxis(fig.layout.yaxis, fl.yaxis);
  const margin = (layout.margin as Layout | undefined) ?? {};
  layout.margin = { ...margin, b: 60 };
  const idx = frame.traces ?? frame.data.map((_, i) => i);
  const data = fig.data.map((t) => ({ ...t }));
  idx.forEach((ti, j) => {
    data[ti] = { ...data[ti], ...frame.data[j] };
  });
  return { data, layout, config: fig.config };
}

/** Options of the small-multiples grid. */
export interface LayerGridOptions {
  /** Panels per row (default: ceil(sqrt(layers))). */
  columns?: number;
  /** Pixel size of one panel (default 280 × 250). */
  panelWidth?: number;
  panelHeight?: number;
}

function baseTitleText(fig: Figure): string {
  const t = fig.layout.title;
  const text = typeof t === 'string' ? t : t && typeof t === 'object' ? String((t as Layout).text ?? '') : '';
  return text.replace(/ — layer -?\d+/, '');
}

/**
 * Every layer of a per-layer figure as small multiples (one panel per layer, each with its own axes, titled
 * "layer L"), one legend, no slider or buttons: the study's "all layers" view as a static figure.
 */
export function layerGrid(fig: Figure, opts: LayerGridOptions = {}): Figure {
  const layers = figureLayers(fig);
  if (!layers.length) throw new Error('layerGrid: the figure has no per-layer frames');
  const n = layers.length;
  const cols = Math.max(1, Math.min(n, opts.columns ?? Math.ceil(Math.sqrt(n))));
  const rows = Math.ceil(n / cols);
  const pw = opts.panelWidth ?? 280;
  const ph = opts.panelHeight ?? 250;
  const gap = { x: 0.04, y: 0.1 };
  const w = (1 - gap.x * (cols - 1)) / cols;
  const h = (1 - gap.y * (rows - 1)) / rows;
  const data: Trace[] = [];
  const layout: Layout = withoutControls({ ...fig.layout });
  const annotations: Layout[] = [];
  layers.forEach((layer, k) => {
    const one = layerFigure(fig, layer);
    const r = Math.floor(k / cols);
    const c = k % cols;
    const ax = k === 0 ? '' : String(k + 1);
    const x0 = c * (w + gap.x);
    const y1 = 1 - r * (h + gap.y);
    const xa = one.layout.xaxis as Layout;
    const ya = one.layout.yaxis as Layout;
    layout[`xaxis${ax}`] = { ...xa, title: r === rows - 1 || k + cols >= n ? xa.title : undefined, domain: [x0, x0 + w], anchor: `y${ax}`, tickfont: { size: 9 } };
    layout[`yaxis${ax}`] = { ...ya, title: c === 0 ? ya.title : undefined, domain: [y1 - h, y1], anchor: `x${ax}`, tickfont: { size: 9 } };
    for (const t of one.data) {
      const marker = (t.marker as Layout | undefined) ?? {};
      data.push({ ...t, xaxis: `x${ax}`, yaxis: `y${ax}`, showlegend: k === 0, legendgroup: String(t.name ?? ''), marker: { ...marker, size: Math.min(Number(marker.size ?? 6), 4) } });
    }
    annotations.push({ text: `layer ${layer}`, xref: 'paper', yref: 'paper', x: x0 + w / 2, y: y1, xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 12 } });
  });
  const title = layout.title as Layout | string | undefined;
  const sub = typeof title === 'object' ? String(title.text ?? '') : '';
  const subtitle = /<sub>(.*)<\/sub>/.exec(String((staticTitle({ text: sub }) as Layout).text))?.[1];
  layout.title = { text: `${baseTitleText(fig).replace(/<br>.*$/, '')} — all layers${subtitle ? `<br><sub>${subtitle}</sub>` : ''}`, x: 0.02, xanchor: 'left' };
  layout.annotations = annotations;
  layout.margin = { l: 60, r: 20, t: 100, b: 100 };
  layout.width = cols * pw + 80;
  layout.height = rows * ph + 200;
  layout.legend = { orientation: 'h', x: 0, y: -55 / (rows * ph), yanchor: 'top' };
  return { data, layout, config: fig.config };
}
