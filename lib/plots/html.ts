import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/** Where a figure's loader finds a shared copy of plotly.js when the page has none (notebook outputs). */
export interface PlotlySource {
  /** file:// URL of plotly.min.js, for pages opened from disk (nbconvert HTML, a saved output). */
  fileUrl?: string;
  /** Path of plotly.min.js relative to the project root, served by a Jupyter server started in or above it (`files/…`). */
  projectPath?: string;
}

/** The shared plotly.js copy of this checkout, as a file URL and as a path inside the project (for notebook outputs). */
export function sharedPlotlySource(): PlotlySource {
  const abs = plotlyPath();
  const rel = relative(projectRoot(), abs).split(sep).join('/');
  return { fileUrl: pathToFileURL(abs).href, projectPath: rel.startsWith('..') ? undefined : rel };
}

/** Options of an HTML fragment for one figure. */
export interface FigureHtmlOptions {
  /** Inline plotly.js before the figure (needed once per page unless `plotlySource` is given). */
  includePlotly?: boolean;
  /**
   * Load plotly.js from this shared copy when the page has none: once per page (every figure on the page waits for the
   * same load), so the figure draws in any page that shows it — a reloaded notebook tab, a second tab, a saved .ipynb
   * reopened, nbconvert HTML.
   */
  plotlySource?: PlotlySource;
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

// The page-side loader (plain ES5, runs in any notebook front end). window.__sycoPlotly is the one load per page: it
// resolves to window.Plotly, trying the Jupyter server's files/ route for every folder from the notebook's up to the
// server root (the page URL names the notebook), then the file:// copy for pages opened from disk; with no source given
// it waits for a plotly.js the page loads itself (report and figure pages inline it in <head>).
const LOADER =
  'function plotlyUrls(src){var out=[],loc=window.location;' +
  'if(/^https?:$/.test(loc.protocol)&&src.projectPath){var base=null;' +
  'try{var c=document.getElementById("jupyter-config-data");if(c)base=JSON.parse(c.textContent).baseUrl;}catch(e){}' +
  'if(!base&&document.body)base=document.body.getAttribute("data-base-url");' +
  'base=base||"/";if(base.charAt(base.length-1)!=="/")base+="/";' +
  'var rest=loc.pathname.indexOf(base)===0?loc.pathname.slice(base.length):loc.pathname.replace(/^\\//,"");' +
  'var m=/^(?:notebooks|(?:lab|doc)(?:\\/workspaces\\/[^\\/]+)?\\/tree|voila\\/render)\\/(.*)$/.exec(rest);' +
  'if(m){var parts=decodeURIComponent(m[1]).split("/");parts.pop();' +
  'for(var k=parts.length;k>=0;k--){var d=parts.slice(0,k);' +
  'out.push(base+"files/"+(d.length?d.map(encodeURIComponent).join("/")+"/":"")+src.projectPath);}}}' +
  'if(loc.protocol==="file:"&&src.fileUrl)out.push(src.fileUrl);return out;}' +
  'function loadPlotly(src){var w=window;if(w.Plotly&&w.Plotly.newPlot)return Promise.resolve(w.Plotly);' +
  'if(w.__sycoPlotly)return w.__sycoPlotly;' +
  'var p=new Promise(function(res,rej){var urls=src?plotlyUrls(src):[],i=0,tries=0;' +
  'function ok(){return w.Plotly&&w.Plotly.newPlot;}' +
  'function next(){if(ok())return res(w.Plotly);' +
  'if(i>=urls.length){if(urls.length||++tries>400)return rej(urls);return setTimeout(next,25);}' +
  'var s=document.createElement("script");s.src=urls[i++];s.async=false;' +
  's.onload=function(){next();};s.onerror=function(){if(s.parentNode)s.parentNode.removeChild(s);next();};' +
  '(document.head||document.documentElement).appendChild(s);}next();});' +
  'w.__sycoPlotly=p;p.then(null,function(){if(w.__sycoPlotly===p)w.__sycoPlotly=null;});return p;}';

/**
 * An HTML fragment (a <div> and a <script>) that draws the figure with the page's Plotly — loading the shared copy
 * given in `plotlySource` once per page when there is none, else waiting for the page's own; frames are attached so
 * sliders and play buttons animate.
 */
export function figureHtml(fig: Figure, opts: FigureHtmlOptions = {}): string {
  const id = opts.id ?? newFigureId();
  const height = opts.height ?? (typeof fig.layout.height === 'number' ? `${fig.layout.height}px` : '520px');
  const width = typeof fig.layout.width === 'number' ? `${fig.layout.width}px` : '100%';
  const config = { responsive: true, displaylogo: false, ...fig.config };
  const spec = { data: fig.data, layout: fig.layout, frames: fig.frames ?? [], config };
  const src = opts.plotlySource ? scriptJson(opts.plotlySource) : 'null';
  const script =
    `(function(){${LOADER}var id=${scriptJson(id)};var fig=${scriptJson(spec)};` +
    `loadPlotly(${src}).then(function(P){var el=document.getElementById(id);if(el)P.newPlot(el,fig);},function(urls){` +
    `var el=document.getElementById(id);if(el)el.textContent='plotly.js could not be loaded on this page, so this figure cannot be drawn' +` +
    `(urls.length?' (tried '+urls.join(', ')+'). Open the notebook in a Jupyter server started in or above the project folder, or show the figure with {inlinePlotly: true}.':'.');});})();`;
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
  /** Load plotly.js from this relative URL (a shared copy beside the page) instead of inlining it. */
  plotlySrc?: string;
}

/** A complete HTML page showing one figure: self-contained (plotly.js inlined), or loading a shared local copy (`plotlySrc`); no network needed. */
export function figurePage(fig: Figure, opts: FigurePageOptions = {}): string {
  const title = opts.title ?? (figureTitle(fig) || 'Figure');
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<title>${escapeHtml(title)}</title>\n` +
    '<style>body{margin:0;padding:12px;font-family:"Liberation Sans",Arial,sans-serif;background:#fff}</style>\n' +
    `${opts.plotlySrc ? `<script type="text/javascript" src="${escapeHtml(opts.plotlySrc)}"></script>` : plotlyScriptTag()}\n</head>\n<body>\n${figureHtml(fig, { height: typeof fig.layout.height === 'number' ? undefined : '92vh' })}\n</body>\n</html>\n`
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
