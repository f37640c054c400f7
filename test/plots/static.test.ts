// Static exports of per-layer figures: one chosen layer and a grid of every layer (no slider, no buttons), and an
// animated GIF across layers decoded by Chromium's own image decoder.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { exportFigures, figureLayers, layerFigure, layerGrid, layerScatter } from '../../lib/plots/index';
import { decodePng, encodeGif, type RgbaImage } from '../../lib/plots/gif';
import { FigureRenderer } from '../../lib/plots/export';
import { launchTestBrowser, type TestBrowser } from './browser';
import { needChromium } from '../helpers';
import { findChromium } from '../../lib/plots/export';

const fig = layerScatter([
  { layer: 2, coords: [[0, 0], [1, 1], [2, 0], [0, 2], [1, 3]], labels: [1, 1, 0, 0, 1] },
  { layer: 5, coords: [[5, 5], [6, 4], [7, 7]], labels: [0, 1, 0] },
  { layer: 9, coords: [[-1, 0], [0, -1], [1, 0], [0, 1]], labels: [1, 0, 1, 0] },
], { method: 'pca', subtitle: 'toy; drag the slider or press play to move through the layers' });

let dir: string;
let browser: TestBrowser;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'syco-static-'));
  if (findChromium() !== null) browser = await launchTestBrowser();
});
after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('layerFigure is that layer alone: its points, title and axes, no slider, buttons or frames', () => {
  assert.deepEqual(figureLayers(fig), [2, 5, 9]);
  const one = layerFigure(fig, 5);
  assert.equal(one.frames, undefined);
  assert.equal(one.layout.sliders, undefined);
  assert.equal(one.layout.updatemenus, undefined);
  assert.deepEqual(one.data.map((t) => t.x), [[6], [5, 7]]);
  assert.match(String((one.layout.title as { text: string }).text), /layer 5/);
  assert.deepEqual((one.layout.xaxis as { range: number[] }).range, (fig.frames![1].layout!.xaxis as { range: number[] }).range);
  assert.throws(() => layerFigure(fig, 4), /layer 4 is not in the figure \(its layers: 2, 5, 9\)/);
});

test('layerGrid has one panel per layer with its own axes, one legend entry per class', () => {
  const g = layerGrid(fig);
  assert.equal(g.data.length, 6);
  assert.deepEqual(g.data.map((t) => t.xaxis), ['x', 'x', 'x2', 'x2', 'x3', 'x3']);
  assert.deepEqual(g.data.map((t) => t.showlegend), [true, true, false, false, false, false]);
  assert.deepEqual((g.layout.annotations as { text: string }[]).map((a) => a.text), ['layer 2', 'layer 5', 'layer 9']);
  assert.ok(g.layout.xaxis3 && g.layout.yaxis3 && !g.layout.xaxis4);
  assert.equal(g.layout.sliders, undefined);
  assert.match(String((g.layout.title as { text: string }).text), /— all layers<br><sub>toy<\/sub>$/);
});

test('exported PNG/SVG show the chosen layer without slider or buttons; the grid SVG has one subplot per layer; HTML keeps the slider', async (t) => {
  if (!needChromium(t)) return;
  const res = await exportFigures([{ name: 'geo', figure: fig }], dir, { formats: ['html', 'png', 'svg', 'gif'], figureLayer: 9, width: 500, height: 400, sharedPlotly: true });
  assert.deepEqual(res[0].files.map((f) => f.slice(dir.length + 1)), ['geo.html', 'geo.png', 'geo-grid.png', 'geo.svg', 'geo-grid.svg', 'geo.gif']);
  const svg = readFileSync(join(dir, 'geo.svg'), 'utf8');
  assert.doesNotMatch(svg, /slider|updatemenu|Play|Pause/);
  assert.match(svg, /layer 9/);
  assert.equal((svg.match(/class="point"/g) ?? []).length, 4, 'layer 9 has 4 points');
  const grid = readFileSync(join(dir, 'geo-grid.svg'), 'utf8');
  assert.doesNotMatch(grid, /slider|updatemenu/);
  const subplots = [...grid.matchAll(/<g class="subplot (x\d*y\d*)"/g)].map((m) => m[1]);
  assert.deepEqual(subplots, ['xy', 'x2y2', 'x3y3']);
  assert.equal((grid.match(/class="point"/g) ?? []).length, 12, '5 + 3 + 4 points');
  for (const l of [2, 5, 9]) assert.match(grid, new RegExp(`>layer ${l}<`));
  const html = readFileSync(join(dir, 'geo.html'), 'utf8');
  assert.match(html, /<script type="text\/javascript" src="plotly\.min\.js"><\/script>/);
  assert.ok(html.length < 50_000, 'the page shares plotly.min.js instead of inlining it');
  await browser.page.goto(pathToFileURL(join(dir, 'geo.html')).href);
  await browser.page.waitForSelector('.slider-group', { timeout: 20_000 });
});

/** Frames of a GIF as decoded by Chromium's ImageDecoder (WebCodecs): count, size and the RGBA of chosen pixels. */
async function chromiumGif(path: string, pixels: [number, number][]): Promise<{ frames: number; width: number; height: number; px: number[][][] }> {
  const b64 = readFileSync(path).toString('base64');
  await browser.page.goto(pathToFileURL(join(dir, 'geo.html')).href);
  return browser.page.evaluate(async ([data, pts]) => {
    const g = globalThis as unknown as Record<string, any>;
    const bytes = Uint8Array.from(g.atob(data), (c: string) => c.charCodeAt(0));
    const dec = new g.ImageDecoder({ data: bytes, type: 'image/gif' });
    await dec.tracks.ready;
    const n = dec.tracks.selectedTrack.frameCount;
    const px: number[][][] = [];
    let width = 0, height = 0;
    for (let i = 0; i < n; i++) {
      const { image } = await dec.decode({ frameIndex: i });
      width = image.displayWidth; height = image.displayHeight;
      const c = new g.OffscreenCanvas(width, height);
      const ctx = c.getContext('2d');
      ctx.drawImage(image, 0, 0);
      px.push(pts.map(([x, y]: [number, number]) => Array.from(ctx.getImageData(x, y, 1, 1).data as Uint8ClampedArray)));
    }
    return { frames: n, width, height, px };
  }, [b64, pixels] as const);
}

test('a hand-made GIF decodes in Chromium to exactly the pixels encoded, frame by frame', async (t) => {
  if (!needChromium(t)) return;
  const mk = (colors: number[][]): RgbaImage => ({ width: 2, height: 2, rgba: Uint8Array.from(colors.flatMap((c) => [...c, 255])) });
  const frames = [
    mk([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]),
    mk([[0, 0, 0], [255, 0, 0], [255, 0, 0], [10, 20, 30]]),
  ];
  const path = join(dir, 'tiny.gif');
  writeFileSync(path, encodeGif(frames, { delayMs: 100 }));
  const got = await chromiumGif(path, [[0, 0], [1, 0], [0, 1], [1, 1]]);
  assert.equal(got.frames, 2);
  assert.deepEqual(got.px, frames.map((f) => [0, 1, 2, 3].map((i) => [...f.rgba.subarray(i * 4, i * 4 + 4)])));
  // A larger noise image (more than 4096 LZW codes, so the table is cleared) round-trips too.
  const w = 64, h = 64;
  const noise = new Uint8Array(w * h * 4);
  let s = 7;
  for (let i = 0; i < w * h; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const v = (s >>> 16) % 200;
    noise.set([v, 255 - v, (v * 7) % 256, 255], i * 4);
  }
  writeFileSync(join(dir, 'noise.gif'), encodeGif([{ width: w, height: h, rgba: noise }]));
  const pts: [number, number][] = [[0, 0], [63, 0], [17, 40], [63, 63]];
  const n = await chromiumGif(join(dir, 'noise.gif'), pts);
  assert.deepEqual(n.px[0], pts.map(([x, y]) => [...noise.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)]));
});

test('the exported GIF has one frame per layer, matching each layer PNG decoded by decodePng and by Chromium', async (t) => {
  if (!needChromium(t)) return;
  const got = await chromiumGif(join(dir, 'geo.gif'), [[0, 0], [250, 200], [100, 300]]);
  assert.equal(got.frames, 3);
  assert.deepEqual([got.width, got.height], [500, 400]);
  const r = await FigureRenderer.launch();
  try {
    const png = await r.render(layerFigure(fig, 2), 'png', { width: 500, height: 400 });
    const img = decodePng(png);
    assert.deepEqual([img.width, img.height], [500, 400]);
    // decodePng against Chromium's PNG decoder at a few pixels.
    writeFileSync(join(dir, 'l2.png'), png);
    const b64 = png.toString === undefined ? '' : Buffer.from(png).toString('base64');
    const chrome = await browser.page.evaluate(async ([data]) => {
      const g = globalThis as unknown as Record<string, any>;
      const bmp = await g.createImageBitmap(new g.Blob([Uint8Array.from(g.atob(data), (c: string) => c.charCodeAt(0))], { type: 'image/png' }));
      const c = new g.OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(bmp, 0, 0);
      return [[0, 0], [250, 200], [100, 300]].map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data as Uint8ClampedArray));
    }, [b64] as const);
    const mine = [[0, 0], [250, 200], [100, 300]].map(([x, y]) => [...img.rgba.subarray((y * 500 + x) * 4, (y * 500 + x) * 4 + 4)]);
    assert.deepEqual(mine, chrome);
    // White background and gridlines are palette colours, so the GIF's frame 0 is exact there.
    assert.deepEqual(got.px[0][0], mine[0]);
  } finally {
    await r.close();
  }
});
