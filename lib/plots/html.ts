import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot } from '../util/fs';
import type { Figure, Trace } from './types';

let plotlyCache: string | null = null;

/** Absolute path of plotly.js-dist-min's bundle (resolved from the project root, then the working directory). */
export function plotlyPath(): string {
  const errors: string[] = [];
  for (const base of [projectRoot(), process.cwd()]) {
    try {
      return createRequire(join(base, 'package.json')).resolve('plotly.js-dist-min/plotly.min.js');
    } catch (err) {
      errors.push(`${base}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`plotly.js-dist-min not found (run npm install in the project root): ${errors.join('; ')}`);
}

/** The plotly.js source to inline into pages (read once per process). */
export function plotlySource(): string {
  if (plotlyCache === null) plotlyCache = readFileSync(plotlyPath(), 'utf8');
  return plotlyCache;
}

/** JSON for embedding inside a <script> element (no `</script>`, no line separators that break JS). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A <script> element holding the whole plotly.js library. */
export function plotlyScriptTag(): string {
  return `<script type="text/javascript">/* plotly.js-dist-min, inlined */\n${plotlySource()}\n</script>`;
}

let divCounter = 0;

/** A fresh element id for a figure's <div>. */
export function newFigureId(prefix = 'syco-fig'): string {
  divCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${divCounter}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

/** Options of an HTML fragment for one figure. */
export interface FigureHtmlOptions {
  /** Inline plotly.js before the figure (needed once per page). */
  includePlotly?: boolean;
  /** Element id of the figure's <div> (default: a fresh id). */
  id?: string;
  /** CSS height of the figure (default: the layout's height in px, else 520px). */
  height?: string;
}

/** The text title of a figure (without HTML tags), or '' when it has none. */
export function figureTitle(fig: Figure): string {
  const t = fig.layout.title;
  const text = typeof t === 'string' ? t : t && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string' ? (t as { text: string }).text : '';
  return text.replace(/<br\s*\/?>/gi, ' — ').replace(/<[^>]+>/g, '').trim();
}

/**
 * An HTML fragment (a <div> and a <script>) that draws the figure with the page's Plotly, waiting for it to load;
 * frames are attached so sliders and play buttons animate.
 */
export function figureHtml(fig: Figure, opts: FigureHtmlOptions = {}): string {
  const id = opts.id ?? newFigureId();
  const height = opts.height ?? (typeof fig.layout.height === 'number' ? `${fig.layout.height}px` : '520px');
  const width = typeof fig.layout.width === 'number' ? `${fig.layout.width}px` : '100%';
  const config = { responsive: true, displaylogo: false, ...fig.config };
  const spec = { data: fig.data, layout: fig.layout, frames: fig.frames ?? [], config };
  const script =
    `(function(){var id=${scriptJson(id)};var fig=${scriptJson(spec)};var tries=0;` +
    `function draw(){var el=document.getElementById(id);if(!el)return;var P=window.Plotly;` +
    `if(P&&P.newPlot){P.newPlot(el,fig);return;}` +
    `if(++tries>400){el.textContent='plotly.js is not loaded on this page, so this figure cannot be drawn: re-run the notebook from the top, or show it with {inlinePlotly: \\'always\\'}.';return;}` +
    `setTimeout(draw,25);}draw();})();`;
  return (
    (opts.includePlotly ? plotlyScriptTag() + '\n' : '') +
    `<div id="${escapeHtml(id)}" class="syco-figure" style="width:${width};height:${height};max-width:100%"></div>\n` +
    `<script type="text/javascript">${script}</script>`
  );
}

/** Options of a standalone figure page. */
export interface FigurePageOptions {
  /** Page <title> (default: the figure's title). */
  title?: string;
}

/** A complete, self-contained HTML page (plotly.js inlined, no network access needed) showing one figure. */
export function figurePage(fig: Figure, opts: FigurePageOptions = {}): string {
  const title = opts.title ?? (figureTitle(fig) || 'Figure');
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<title>${escapeHtml(title)}</title>\n` +
    '<style>body{margin:0;padding:12px;font-family:"Liberation Sans",Arial,sans-serif;background:#fff}</style>\n' +
    `${plotlyScriptTag()}\n</head>\n<body>\n${figureHtml(fig, { height: typeof fig.layout.height === 'number' ? undefined : '92vh' })}\n</body>\n</html>\n`
  );
}

function traceSize(t: Trace): number {
  for (const k of ['x', 'z', 'y', 'values']) {
    const v = t[k];
    if (Array.isArray(v)) return v.length;
  }
  return 0;
}

/** A one-line plain-text summary of a figure (title, traces, points, frames): the display outside notebooks. */
export function describeFigure(fig: Figure): string {
  const traces = fig.data.map((t) => `${t.name ?? t.type} (${traceSize(t)})`).join(', ');
  const frames = fig.frames?.length ? `, ${fig.frames.length} frames` : '';
  return `[figure] ${figureTitle(fig) || '(untitled)'}: ${fig.data.length} trace${fig.data.length === 1 ? '' : 's'}${traces ? ` — ${traces}` : ''}${frames}`;
}
