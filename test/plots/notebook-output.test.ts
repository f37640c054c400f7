// Notebook figure outputs draw in any page that shows them: nbconvert HTML of a saved notebook opened twice in fresh
// pages, and a Jupyter-like page served over loopback (reload, second tab), with no output carrying plotly.js itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test, type TestContext } from 'node:test';
import { confusionMatrix, layerScatter, probeAccuracyByLayer } from '../../lib/plots/index';
import { notebookFigureHtml } from '../../lib/plots/display';
import { plotlySource } from '../../lib/plots/html';
import { projectRoot } from '../../lib/util/fs';
import { type MiniDocument, launchTestBrowser } from './browser';
import { needChromium } from '../helpers';

declare const document: MiniDocument;

const figures = [
  layerScatter([
    { layer: 0, coords: [[0, 0], [1, 1], [2, 0]], labels: [1, 0, 1] },
    { layer: 1, coords: [[3, 3], [1, 2], [0, 1]], labels: [0, 1, 0] },
  ], { method: 'pca' }),
  probeAccuracyByLayer([{ probe: 'logistic', layer: 0, test: 0.5 }, { probe: 'logistic', layer: 1, test: 0.75 }]),
  confusionMatrix({ tp: 3, fp: 1, tn: 2, fn: 0 }),
];
const outputs = figures.map((f) => notebookFigureHtml(f));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'syco-nb-output-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A saved notebook whose code cells hold the figure outputs (as tslab writes display_data). */
function savedNotebook(): string {
  const cells = outputs.map((html, i) => ({
    cell_type: 'code', execution_count: i + 1, id: `c${i}`, metadata: {}, source: [`showFigure(fig${i});`],
    outputs: [{ output_type: 'display_data', metadata: {}, data: { 'text/html': html, 'text/plain': '' } }],
  }));
  return JSON.stringify({ cells, metadata: { kernelspec: { name: 'syco-tslab', display_name: 'TypeScript', language: 'typescript' } }, nbformat: 4, nbformat_minor: 5 });
}

/** Open `url` in a fresh browser (new profile: nothing cached) and return how many figures were drawn and the page's plotly loads. */
async function drawnIn(url: string, opts: { reload?: boolean } = {}): Promise<{ drawn: number[]; loads: number; text: string }> {
  const b = await launchTestBrowser();
  try {
    // nbconvert's template asks a CDN for require.js; there is no network here, so refuse every remote request at once.
    await b.page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (r) => r.abort());
    const measure = async () => {
      await b.page.goto(url);
      await b.page.waitForFunction((n) => document.querySelectorAll('.syco-figure .main-svg').length >= n || /could not be loaded/.test(document.documentElement.textContent ?? ''), figures.length, { timeout: 30_000 });
      return b.page.evaluate(() => {
        const figs = (document as unknown as { querySelectorAll(s: string): ArrayLike<{ querySelectorAll(s: string): { length: number } }> }).querySelectorAll('.syco-figure');
        const drawn: number[] = [];
        for (let i = 0; i < figs.length; i++) drawn.push(figs[i].querySelectorAll('.main-svg').length > 0 ? 1 : 0);
        const scripts = (document as unknown as { querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null }> }).querySelectorAll('script[src]');
        let loads = 0;
        for (let i = 0; i < scripts.length; i++) if (/plotly\.min\.js$/.test(scripts[i].getAttribute('src') ?? '')) loads++;
        return { drawn, loads, text: document.documentElement.textContent ?? '' };
      });
    };
    const first = await measure();
    if (!opts.reload) return first;
    return await measure(); // the same tab again: page.goto reloads it from scratch
  } finally {
    await b.close();
  }
}

test('notebook outputs carry no plotly.js copy and no kernel state: each holds the loader', () => {
  const marker = plotlySource().slice(0, 200);
  for (const o of outputs) assert.equal(o.includes(marker), false);
  assert.ok(notebookFigureHtml(figures[1], { inlinePlotly: true }).includes(marker), 'inlinePlotly: true embeds a portable copy');
});

function nbconvert(t: TestContext): string | null {
  const bin = '/usr/bin/jupyter-nbconvert';
  if (!existsSync(bin)) {
    if (process.env.CI) throw new Error(`${bin} missing under CI (apt-get install jupyter-nbconvert)`);
    t.skip(`${bin} missing: apt-get install jupyter-nbconvert`);
    return null;
  }
  return bin;
}

test('nbconvert HTML of a saved notebook draws every figure, opened twice in fresh pages', async (t) => {
  if (!needChromium(t)) return;
  const bin = nbconvert(t);
  if (!bin) return;
  const nb = join(dir, 'Saved.ipynb');
  writeFileSync(nb, savedNotebook());
  const r = spawnSync(bin, ['--to', 'html', nb, '--output-dir', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const url = pathToFileURL(join(dir, 'Saved.html')).href;
  for (let k = 0; k < 2; k++) {
    const got = await drawnIn(url);
    assert.deepEqual(got.drawn, [1, 1, 1], got.text.slice(-400));
    assert.equal(got.loads, 1, 'one shared plotly.js load per page');
  }
});

/** A loopback server shaped like a Jupyter server rooted above the project: /notebooks/<path> pages and /files/<path>. */
function jupyterLike(root: string, notebookPath: string, body: string): Promise<{ server: Server; url: string }> {
  const page = '<!DOCTYPE html><html><head><meta charset="utf-8">' +
    '<script id="jupyter-config-data" type="application/json">{"baseUrl": "/user/x/"}</script></head><body>' + body + '</body></html>';
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === `/user/x/notebooks/${notebookPath}`) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    if (path.startsWith('/user/x/files/')) {
      const file = resolve(root, path.slice('/user/x/files/'.length));
      if (file.startsWith(root + sep) && existsSync(file)) {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
        return;
      }
    }
    res.writeHead(404).end('not found');
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    ok({ server, url: `http://127.0.0.1:${port}/user/x/notebooks/${notebookPath.split('/').map(encodeURIComponent).join('/')}` });
  }));
}

test('a Jupyter page (server rooted above the project) draws every figure after a reload and in a second tab', async (t) => {
  if (!needChromium(t)) return;
  const root = dirname(projectRoot());
  const nbPath = `${relative(root, projectRoot()).split(sep).join('/')}/notebooks/Some Notebook.ipynb`;
  const { server, url } = await jupyterLike(root, nbPath, outputs.join('\n'));
  try {
    const reloaded = await drawnIn(url, { reload: true });
    assert.deepEqual(reloaded.drawn, [1, 1, 1], reloaded.text.slice(-400));
    assert.equal(reloaded.loads, 1);
    const second = await drawnIn(url);
    assert.deepEqual(second.drawn, [1, 1, 1]);
  } finally {
    server.close();
  }
});

test('a page with no way to reach plotly.js says so in the figure, naming what it tried', async (t) => {
  if (!needChromium(t)) return;
  const page = join(dir, 'nowhere.html');
  const html = outputs[1].replace(/"fileUrl":"[^"]+"/, '"fileUrl":"file:///nonexistent/plotly.min.js"');
  writeFileSync(page, `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${html}</body></html>`);
  const b = await launchTestBrowser();
  try {
    await b.page.goto(pathToFileURL(page).href);
    await b.page.waitForFunction(() => /could not be loaded/.test(document.documentElement.textContent ?? ''), undefined, { timeout: 20_000 });
    const text = await b.page.evaluate(() => document.documentElement.textContent ?? '');
    assert.match(text, /plotly\.js could not be loaded on this page, so this figure cannot be drawn \(tried file:\/\/\/nonexistent\/plotly\.min\.js/);
  } finally {
    await b.close();
  }
});
