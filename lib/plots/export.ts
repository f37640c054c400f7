import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { atomicWriteFile, ensureDir } from '../util/fs';
import { figurePage, plotlySource } from './html';
import { decodePng, encodeGif, type RgbaImage } from './gif';
import { figureLayers, layerFigure, layerGrid } from './static';
import type { Figure } from './types';

/** Image formats Chromium can render a figure to. */
export type ImageFormat = 'png' | 'svg';
/** File formats a figure can be exported to ('gif': an animation across layers, written for per-layer figures only). */
export type ExportFormat = 'html' | ImageFormat | 'gif';
/** Every export format, in the order files are written. */
export const EXPORT_FORMATS: readonly ExportFormat[] = ['html', 'png', 'svg', 'gif'];

/** Chromium flags for headless rendering in a container with no network (DESIGN.md §4). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian/Ubuntu (and Google Chrome) install paths of Chromium, tried in order after $SYCO_CHROMIUM. */
export const SYSTEM_CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Playwright's browser cache ($PLAYWRIGHT_BROWSERS_PATH, else ~/.cache/ms-playwright): its Chromium binaries, newest first. */
export function playwrightChromiums(): string[] {
  const root = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  if (!existsSync(root)) return [];
  const dirs = readdirSync(root).filter((d) => /^chromium-\d+$/.test(d)).sort((a, b) => Number(b.slice(9)) - Number(a.slice(9)));
  return dirs.flatMap((d) => ['chrome-linux64', 'chrome-linux'].map((sub) => join(root, d, sub, 'chrome'))).filter((p) => existsSync(p));
}

/** The Chromium used for PNG/SVG export: $SYCO_CHROMIUM when set (only it), else the first of SYSTEM_CHROMIUM_PATHS, else Playwright's cache; null when none exists. */
export function findChromium(): string | null {
  const explicit = process.env.SYCO_CHROMIUM;
  if (explicit) return existsSync(explicit) ? explicit : null;
  return SYSTEM_CHROMIUM_PATHS.find((p) => existsSync(p)) ?? playwrightChromiums()[0] ?? null;
}

/** How to get a Chromium, naming every place it is looked for (one line). */
export function chromiumInstallHint(): string {
  const cache = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  return `looked in $SYCO_CHROMIUM, ${SYSTEM_CHROMIUM_PATHS.join(', ')} and Playwright's cache ${cache}/chromium-*/: ` +
    'install Debian\'s chromium (apt-get install chromium), or run `npx playwright install chromium`, or set SYCO_CHROMIUM to a Chromium binary';
}

/** Path of the Chromium binary (see findChromium); throws one clear error naming every place looked in when there is none. */
export function chromiumPath(): string {
  const p = findChromium();
  if (!p) {
    const where = process.env.SYCO_CHROMIUM ? ` at ${process.env.SYCO_CHROMIUM} (SYCO_CHROMIUM)` : '';
    throw new Error(`Chromium not found${where}: PNG/SVG export renders figures in headless Chromium; ${chromiumInstallHint()}. HTML export works without it.`);
  }
  return p;
}

/** Whether a Chromium for PNG/SVG export is installed (see findChromium). */
export function chromiumAvailable(): boolean {
  return findChromium() !== null;
}

/** Size of a rendered image. */
export interface ImageOptions {
  /** Width in CSS pixels (default: the layout's width, else 900). */
  width?: number;
  /** Height in CSS pixels (default: the layout's height, else 600). */
  height?: number;
  /** Pixel ratio of PNGs (default 1: the PNG is width × height pixels). */
  scale?: number;
}

function imageSize(fig: Figure, opts: ImageOptions): { width: number; height: number; scale: number } {
  const width = opts.width ?? (typeof fig.layout.width === 'number' ? fig.layout.width : 900);
  const height = opts.height ?? (typeof fig.layout.height === 'number' ? fig.layout.height : 600);
  const scale = opts.scale ?? 1;
  for (const [k, v] of [['width', width], ['height', height], ['scale', scale]] as const) {
    if (!(v > 0 && Number.isFinite(v))) throw new Error(`figure export: ${k} must be a positive number, got ${v}`);
  }
  return { width, height, scale };
}

/** A headless Chromium page with plotly.js loaded, rendering figures to PNG/SVG; launch once for many figures. */
export class FigureRenderer {
  private constructor(
    private readonly context: BrowserContext,
    private readonly page: Page,
    private readonly userDir: string,
  ) {}

  /** Launch Chromium (about 1–3 s) and load plotly.js into a blank page. */
  static async launch(): Promise<FigureRenderer> {
    const executablePath = chromiumPath();
    const { chromium } = await import('playwright-core');
    const userDir = mkdtempSync(join(tmpdir(), 'syco-chromium-'));
    let context: BrowserContext;
    try {
      context = await chromium.launchPersistentContext(userDir, { executablePath, headless: true, args: CHROMIUM_ARGS });
    } catch (err) {
      rmSync(userDir, { recursive: true, force: true });
      throw new Error(`could not start Chromium at ${executablePath}: ${(err as Error).message.split('\n')[0]}`);
    }
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
      await page.addScriptTag({ content: plotlySource() });
      return new FigureRenderer(context, page, userDir);
    } catch (err) {
      await context.close().catch(() => undefined);
      rmSync(userDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Render a figure to PNG bytes or SVG text with Plotly.toImage. */
  async render(fig: Figure, format: 'png', opts?: ImageOptions): Promise<Uint8Array>;
  async render(fig: Figure, format: 'svg', opts?: ImageOptions): Promise<string>;
  async render(fig: Figure, format: ImageFormat, opts: ImageOptions = {}): Promise<Uint8Array | string> {
    const size = imageSize(fig, opts);
    const spec = { data: fig.data, layout: fig.layout, config: { staticPlot: true } };
    const url = await this.page.evaluate(
      ([f, o]) => {
        const P = (globalThis as unknown as { Plotly: { toImage(fig: unknown, opts: unknown): Promise<string> } }).Plotly;
        return P.toImage(f, o);
      },
      [spec, { format, ...size }] as const,
    );
    const comma = url.indexOf(',');
    if (comma < 0) throw new Error(`figure export: Plotly.toImage returned no data URL for ${format}`);
    const head = url.slice(0, comma);
    const body = url.slice(comma + 1);
    if (format === 'png') {
      if (!head.includes(';base64')) throw new Error('figure export: PNG data URL is not base64');
      return new Uint8Array(Buffer.from(body, 'base64'));
    }
    return head.includes(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
  }

  /** Close Chromium and delete its temporary profile. */
  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.userDir, { recursive: true, force: true });
    }
  }
}

/** Write a figure as an HTML page: self-contained (plotly.js inlined), or loading `plotlySrc` (a shared copy beside it); works offline. */
export function writeFigureHtml(path: string, fig: Figure, opts: { plotlySrc?: string } = {}): string {
  atomicWriteFile(path, figurePage(fig, { plotlySrc: opts.plotlySrc }));
  return path;
}

/** File name of the one plotly.js copy that exported HTML figures share (written beside them). */
export const SHARED_PLOTLY_FILE = 'plotly.min.js';

/** One figure to export, with its file stem (letters, digits, '.', '_' and '-'). */
export interface NamedFigure {
  name: string;
  figure: Figure;
}

/** Options of a batch export. */
export interface ExportOptions extends ImageOptions {
  /** Formats to write (default html, png and svg). */
  formats?: ExportFormat[];
  /**
   * Layer shown by the PNG/SVG of a per-layer figure (one with a layer slider; default its first layer). Such a figure
   * also gets `<name>-grid.png/.svg` (every layer as small multiples) and, with 'gif', `<name>.gif` (an animation
   * across layers); its HTML keeps the slider.
   */
  figureLayer?: number;
  /** HTML pages load one shared `plotly.min.js` written beside them instead of each inlining plotly.js (default false). */
  sharedPlotly?: boolean;
  /** Milliseconds per layer in the GIF (default 800). */
  gifDelayMs?: number;
  /** A running renderer to reuse (it is left open); otherwise one is launched and closed when PNG/SVG is asked. */
  renderer?: FigureRenderer;
  /** Called after each figure is written, with the figure's files. */
  onFigure?: (name: string, files: string[]) => void;
}

/** The files written for one figure. */
export interface ExportedFigure {
  name: string;
  files: string[];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Export many figures to `dir` as <name>.html / .png / .svg with a single Chromium launch; returns the files
 * written per figure. Names must be unique file stems.
 */
export async function exportFigures(figures: NamedFigure[], dir: string, opts: ExportOptions = {}): Promise<ExportedFigure[]> {
  const formats = opts.formats ?? ['html', 'png', 'svg'];
  for (const f of formats) {
    if (!EXPORT_FORMATS.includes(f)) throw new Error(`exportFigures: unknown format "${f}" (use ${EXPORT_FORMATS.join(', ')})`);
  }
  const seen = new Set<string>();
  for (const { name } of figures) {
    if (!NAME_RE.test(name)) throw new Error(`exportFigures: figure name "${name}" is not a plain file stem (letters, digits, '.', '_', '-')`);
    if (seen.has(name)) throw new Error(`exportFigures: figure name "${name}" used twice`);
    seen.add(name);
  }
  if (formats.some((f) => f !== 'html')) {
    for (const { name, figure } of figures) {
      try {
        imageSize(figure, opts);
      } catch (err) {
        throw new Error(`exportFigures: figure "${name}": ${(err as Error).message}`);
      }
    }
  }
  ensureDir(dir);
  const needsBrowser = formats.some((f) => f !== 'html') && figures.length > 0;
  const renderer = needsBrowser ? (opts.renderer ?? (await FigureRenderer.launch())) : undefined;
  const plotlySrc = opts.sharedPlotly && formats.includes('html') && figures.length ? SHARED_PLOTLY_FILE : undefined;
  if (plotlySrc) atomicWriteFile(join(dir, plotlySrc), plotlySource());
  const out: ExportedFigure[] = [];
  try {
    for (const { name, figure } of figures) {
      const files: string[] = [];
      const layers = figureLayers(figure);
      const write = async (file: string, what: () => Promise<Uint8Array | string> | Uint8Array | string) => {
        const path = join(dir, file);
        try {
          atomicWriteFile(path, await what());
        } catch (err) {
          throw new Error(`exportFigures: figure "${name}" (${file}) failed: ${(err as Error).message.split('\n')[0]}`);
        }
        files.push(path);
      };
      let still = figure;
      if (layers.length) {
        const layer = opts.figureLayer ?? layers[0];
        if (!layers.includes(layer)) throw new Error(`exportFigures: figure "${name}" has no layer ${layer} (its layers: ${layers.join(', ')})`);
        still = layerFigure(figure, layer);
      }
      const grid = layers.length ? layerGrid(figure) : undefined;
      const gridSize = { scale: opts.scale };
      for (const format of formats) {
        if (format === 'html') {
          const path = join(dir, `${name}.html`);
          writeFigureHtml(path, figure, { plotlySrc });
          files.push(path);
        } else if (format === 'png' || format === 'svg') {
          await write(`${name}.${format}`, () => (format === 'png' ? renderer!.render(still, 'png', opts) : renderer!.render(still, 'svg', opts)));
          if (grid) await write(`${name}-grid.${format}`, () => (format === 'png' ? renderer!.render(grid, 'png', gridSize) : renderer!.render(grid, 'svg', gridSize)));
        } else if (format === 'gif' && layers.length) {
          await write(`${name}.gif`, async () => {
            const frames: RgbaImage[] = [];
            for (const l of layers) frames.push(decodePng(await renderer!.render(layerFigure(figure, l), 'png', opts)));
            return encodeGif(frames, { delayMs: opts.gifDelayMs });
          });
        }
      }
      out.push({ name, files });
      opts.onFigure?.(name, files);
    }
  } finally {
    if (renderer && !opts.renderer) await renderer.close();
  }
  return out;
}

/** Export one figure to `<dir>/<name>.<format>` for each format (launches Chromium for PNG/SVG); returns the paths. */
export async function exportFigure(figure: Figure, dir: string, name: string, opts: ExportOptions = {}): Promise<string[]> {
  const [res] = await exportFigures([{ name, figure }], dir, opts);
  return res.files;
}
