import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot } from '../util/fs';
import { inTslabKernel } from '../util/kernel';
import { describeFigure, figureHtml, sharedPlotlySource } from './html';
import type { Figure } from './types';
import { runtime } from '../util/runtime';

/** The subset of tslab's `display` used here. */
export interface HtmlDisplay {
  html(s: string): void;
}

export { inTslabKernel } from '../util/kernel';

let tslabDisplay: HtmlDisplay | null | undefined;

/** tslab's display object when running inside a tslab kernel, else null (tslab is never loaded outside a kernel). */
export function notebookDisplay(): HtmlDisplay | null {
  if (tslabDisplay !== undefined) return tslabDisplay;
  tslabDisplay = null;
  if (runtime().textDisplay || !inTslabKernel()) return tslabDisplay;
  // Prefer the tslab package that runs this kernel (its display talks to the live session), then the project's.
  const bases: string[] = [];
  try {
    bases.push(realpathSync(process.argv[1]));
  } catch {
    /* main script path not resolvable */
  }
  bases.push(join(projectRoot(), 'package.json'));
  for (const base of bases) {
    try {
      const mod = createRequire(base)('tslab') as { display?: HtmlDisplay };
      if (mod.display && typeof mod.display.html === 'function') {
        tslabDisplay = mod.display;
        break;
      }
    } catch {
      /* try the next location */
    }
  }
  return tslabDisplay;
}

/** Options of `showFigure`. */
export interface ShowOptions {
  /**
   * Also inline plotly.js (4.8 MB) into this output, so that the saved notebook renders on a machine without this
   * checkout. Default false: the output loads the checkout's shared copy once per page (see figureHtml).
   */
  inlinePlotly?: boolean;
  /** CSS height of the figure. */
  height?: string;
}

/** The HTML a notebook output holds for a figure: the figure and a loader of the shared plotly.js copy (no kernel-side state). */
export function notebookFigureHtml(fig: Figure, opts: ShowOptions = {}): string {
  return figureHtml(fig, { includePlotly: opts.inlinePlotly === true, plotlySource: sharedPlotlySource(), height: opts.height });
}

/**
 * Show a figure: inline interactive HTML in a tslab notebook (drawn in any page that shows the output: a reloaded tab,
 * a second tab, a reopened .ipynb, nbconvert HTML); elsewhere print a one-line text summary (unless SYCO_QUIET is
 * set). Returns nothing, so a notebook cell ending in `showFigure(fig)` prints no echo.
 */
export function showFigure(fig: Figure, opts: ShowOptions = {}): void {
  const d = notebookDisplay();
  if (d) {
    try {
      d.html(notebookFigureHtml(fig, opts));
      return;
    } catch {
      /* kernel not ready for rich output: fall through to text */
    }
  }
  const text = describeFigure(fig);
  if (!runtime().quiet) process.stdout.write(text + '\n');
}
