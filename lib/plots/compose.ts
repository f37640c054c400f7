// Several figures side by side in one: each figure's traces on its own axes, one shared legend, panel titles.
import type { Figure, Layout, Trace } from './types';
import { titleOf } from './style';

/** Options of sideBySide. */
export interface SideBySideOptions {
  /** Title over the panels. */
  title: string;
  subtitle?: string;
  /** One title per panel. */
  panelTitles: string[];
  /** Pixel size of one panel (default 520 × 440). */
  panelWidth?: number;
  panelHeight?: number;
}

/**
 * Put figures next to each other in one row: figure k's traces on axes x{k}/y{k} with its axis settings, panel titles
 * above, y ranges matched when every panel fixes one, legend entries once per trace name, and shapes drawn per panel.
 */
export function sideBySide(figures: Figure[], opts: SideBySideOptions): Figure {
  if (!figures.length) throw new Error('sideBySide: no figures given');
  if (opts.panelTitles.length !== figures.length) throw new Error(`sideBySide: ${opts.panelTitles.length} panel titles for ${figures.length} figures`);
  const n = figures.length;
  const gap = 0.06;
  const w = (1 - gap * (n - 1)) / n;
  const pw = opts.panelWidth ?? 520;
  const ph = opts.panelHeight ?? 440;
  const layout: Layout = { ...figures[0].layout };
  delete layout.sliders;
  delete layout.updatemenus;
  const data: Trace[] = [];
  const shapes: Layout[] = [];
  const annotations: Layout[] = [];
  const named = new Set<string>();
  figures.forEach((fig, k) => {
    const ax = k === 0 ? '' : String(k + 1);
    const x0 = k * (w + gap);
    layout[`xaxis${ax}`] = { ...(fig.layout.xaxis as Layout), domain: [x0, x0 + w], anchor: `y${ax}` };
    layout[`yaxis${ax}`] = { ...(fig.layout.yaxis as Layout), anchor: `x${ax}`, ...(k ? { title: undefined } : {}) };
    for (const t of fig.data) {
      const name = String(t.name ?? '');
      const first = !named.has(name);
      named.add(name);
      data.push({ ...t, xaxis: `x${ax}`, yaxis: `y${ax}`, legendgroup: (t.legendgroup as string | undefined) ?? name, showlegend: first && t.showlegend !== false });
    }
    for (const s of (fig.layout.shapes as Layout[] | undefined) ?? []) {
      shapes.push({ ...s, xref: s.xref === 'paper' ? `x${ax} domain` : `x${ax}`, yref: s.yref === 'paper' ? `y${ax} domain` : `y${ax}` });
    }
    for (const a of (fig.layout.annotations as Layout[] | undefined) ?? []) {
      annotations.push({ ...a, xref: a.xref === 'paper' ? `x${ax} domain` : `x${ax}`, yref: a.yref === 'paper' ? `y${ax} domain` : `y${ax}` });
    }
    annotations.push({ text: `<b>${opts.panelTitles[k]}</b>`, xref: 'paper', yref: 'paper', x: x0 + w / 2, y: 1.02, xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 14 } });
  });
  layout.title = titleOf(opts.title, opts.subtitle);
  layout.shapes = shapes;
  layout.annotations = annotations;
  layout.legend = { orientation: 'h', x: 0, y: -0.18, yanchor: 'top' };
  layout.width = n * pw + 100;
  layout.height = ph + 220;
  layout.margin = { l: 70, r: 30, t: opts.subtitle ? 125 : 100, b: 130 };
  return { data, layout };
}
