import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { exportFigures, findChromium, layerScatter, probeAccuracyByLayer, steeringHeatmap, type Figure } from '../../lib/plots/index';
import { FigureRenderer } from '../../lib/plots/export';
import { figurePage, plotlySource } from '../../lib/plots/html';
import { needChromium } from '../helpers';
import { type MiniDocument, launchTestBrowser, parsePng, type TestBrowser } from './browser';

/** The page's document inside page.evaluate callbacks (no DOM types in this project). */
declare const document: MiniDocument;

let dir: string;
let browser: TestBrowser;

// Three layers with 5, 3 and 4 points: the DOM shows the first layer's 5 points until a frame is animated in.
const scatter = layerScatter(
  [
    { layer: 2, coords: [[0, 0], [1, 1], [2, 0], [0, 2], [1, 3]], labels: [1, 1, 0, 0, 1] },
    { layer: 5, coords: [[5, 5], [6, 4], [7, 7]], labels: [0, 1, 0] },
    { layer: 9, coords: [[-1, 0], [0, -1], [1, 0], [0, 1]], labels: [1, 0, 1, 0] },
  ],
  { method: 'PCA' },
);
const probes = probeAccuracyByLayer([
  { probe: 'logistic', layer: 0, test: 0.5, train: 0.55 },
  { probe: 'logistic', layer: 1, test: 0.8, train: 0.9 },
  { probe: 'mass-mean', layer: 0, test: 0.6 },
  { probe: 'mass-mean', layer: 1, test: 0.7 },
]);
const steering = steeringHeatmap([
  { layer: 1, multiplier: -1, value: 0.3 },
  { layer: 1, multiplier: 1, value: 0.8 },
]);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'syco-plots-export-'));
  if (findChromium()) browser = await launchTestBrowser();
});
after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('batch export writes html, png and svg per figure with one renderer', async (t) => {
  if (!needChromium(t)) return;
  const seen: string[] = [];
  const res = await exportFigures(
    [
      { name: 'scatter', figure: scatter },
      { name: 'probes', figure: probes },
      { name: 'steering', figure: steering },
    ],
    dir,
    { width: 640, height: 480, onFigure: (name) => seen.push(name) },
  );
  assert.deepEqual(seen, ['scatter', 'probes', 'steering']);
  for (const r of res) {
    // The per-layer scatter also gets a grid of every layer beside each static image.
    const want = r.name === 'scatter' ? ['scatter.html', 'scatter.png', 'scatter-grid.png', 'scatter.svg', 'scatter-grid.svg'] : ['html', 'png', 'svg'].map((f) => `${r.name}.${f}`);
    assert.deepEqual(r.files, want.map((f) => join(dir, f)));
    for (const f of r.files) assert.ok(existsSync(f), f);
  }
});

test('exported HTML renders in headless Chromium offline: traces, points and animation frames', async (t) => {
  if (!needChromium(t)) return;
  const html = readFileSync(join(dir, 'scatter.html'), 'utf8');
  assert.ok(html.includes(plotlySource().slice(0, 200)), 'plotly.js is inlined');
  assert.doesNotMatch(html, /<script[^>]+src=/, 'no external scripts');
  const { page, remoteRequests } = browser;
  await page.goto(pathToFileURL(join(dir, 'scatter.html')).href);
  await page.waitForSelector('.main-svg', { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelectorAll('.scatterlayer .trace .point').length > 0, undefined, { timeout: 20_000 });
  const count = () =>
    page.evaluate(() => ({
      traces: document.querySelectorAll('.scatterlayer .trace').length,
      points: document.querySelectorAll('.scatterlayer .trace .point').length,
      title: document.querySelector('.gtitle')?.textContent ?? '',
      xtitle: document.querySelector('.xtitle')?.textContent ?? '',
      sliderSteps: document.querySelectorAll('.slider-group .slider-label').length,
      buttons: document.querySelectorAll('.updatemenu-button').length,
    }));
  const first = await count();
  assert.equal(first.traces, 2);
  assert.equal(first.points, 5);
  assert.equal(first.title, 'PCA of residual-stream activations — layer 2');
  assert.equal(first.xtitle, 'PCA 1');
  assert.equal(first.buttons, 2);
  // Go to the last layer's frame the way the slider does.
  await page.evaluate(async () => {
    const gd = document.querySelector('.js-plotly-plot');
    const P = (globalThis as unknown as { Plotly: { animate(gd: unknown, frames: string[], opts: unknown): Promise<void> } }).Plotly;
    await P.animate(gd, ['layer 9'], { mode: 'immediate', frame: { duration: 0, redraw: true }, transition: { duration: 0 } });
  });
  const last = await count();
  assert.equal(last.points, 4);
  assert.equal(last.title, 'PCA of residual-stream activations — layer 9');
  assert.deepEqual(remoteRequests, []);
});

test('PNG export has the requested size (IHDR), valid chunk CRCs, and scale multiplies pixels', async (t) => {
  if (!needChromium(t)) return;
  const png = parsePng(new Uint8Array(readFileSync(join(dir, 'probes.png'))));
  assert.equal(png.width, 640);
  assert.equal(png.height, 480);
  assert.equal(png.chunks[png.chunks.length - 1], 'IEND');
  assert.ok(png.chunks.includes('IDAT'));
  const r = await FigureRenderer.launch();
  try {
    const big = parsePng(await r.render(probes, 'png', { width: 300, height: 200, scale: 2 }));
    assert.deepEqual([big.width, big.height], [600, 400]);
    const fromLayout = parsePng(await r.render({ ...probes, layout: { ...probes.layout, width: 350, height: 250 } }, 'png'));
    assert.deepEqual([fromLayout.width, fromLayout.height], [350, 250]);
  } finally {
    await r.close();
  }
});

test('SVG export is a well-formed SVG document of the requested size holding the plot', async (t) => {
  if (!needChromium(t)) return;
  const svg = readFileSync(join(dir, 'steering.svg'), 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\s*$/);
  const { page } = browser;
  await page.goto(pathToFileURL(join(dir, 'steering.svg')).href);
  const info = await page.evaluate(() => ({
    root: document.documentElement.tagName,
    ns: document.documentElement.namespaceURI,
    parserErrors: document.getElementsByTagName('parsererror').length,
    width: document.documentElement.getAttribute('width'),
    height: document.documentElement.getAttribute('height'),
    text: document.documentElement.textContent ?? '',
  }));
  assert.equal(info.root, 'svg');
  assert.equal(info.ns, 'http://www.w3.org/2000/svg');
  assert.equal(info.parserErrors, 0);
  assert.equal(info.width, '640');
  assert.equal(info.height, '480');
  assert.match(info.text, /Steering multiplier/);
  assert.match(info.text, /0\.80/);
});

test('missing Chromium gives one clear error; HTML export still works without it', async () => {
  const prev = process.env.SYCO_CHROMIUM;
  process.env.SYCO_CHROMIUM = join(dir, 'no-such-chromium');
  try {
    await assert.rejects(exportFigures([{ name: 'p', figure: probes }], dir, { formats: ['png'] }), /Chromium not found at .*no-such-chromium.*\/usr\/bin\/chromium-browser.*ms-playwright.*apt-get install chromium.*npx playwright install chromium/);
    const res = await exportFigures([{ name: 'only-html', figure: probes }], dir, { formats: ['html'] });
    assert.deepEqual(res[0].files, [join(dir, 'only-html.html')]);
  } finally {
    if (prev === undefined) delete process.env.SYCO_CHROMIUM;
    else process.env.SYCO_CHROMIUM = prev;
  }
});

test('an invalid image size is rejected with the figure name before Chromium starts', async () => {
  const fig: Figure = { data: [{ type: 'scatter', x: [1], y: [2] }], layout: {} };
  await assert.rejects(exportFigures([{ name: 'bad-fig', figure: fig }], dir, { formats: ['svg'], width: -5 }), /figure "bad-fig": figure export: width must be a positive number, got -5/);
});

test('export rejects bad names and formats before writing anything', async () => {
  const fig: Figure = probes;
  await assert.rejects(exportFigures([{ name: '../evil', figure: fig }], dir, { formats: ['html'] }), /figure name "..\/evil" is not a plain file stem/);
  await assert.rejects(exportFigures([{ name: 'a', figure: fig }, { name: 'a', figure: fig }], dir, { formats: ['html'] }), /"a" used twice/);
  await assert.rejects(exportFigures([{ name: 'a', figure: fig }], dir, { formats: ['pdf' as 'png'] }), /unknown format "pdf"/);
});

test('figurePage escapes text that would close the script element', () => {
  const page = figurePage({ data: [{ type: 'scatter', x: [1], y: [2], name: '</script><b>x</b>' }], layout: { title: { text: 'a & b' } } });
  assert.equal(page.split('</script>').length - 1, 2); // plotly's tag and the figure's tag only
  assert.match(page, /<title>a &amp; b<\/title>/);
});
