import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { plotlySource } from '../../lib/plots/html';
import { type MiniDocument, launchTestBrowser } from '../plots/browser';
import { JUPYTER_PYTHON, needChromium, needJupyter, runProcess, type ProcessResult } from '../helpers';

/** The page's document inside page.evaluate callbacks (no DOM types in this project). */
declare const document: MiniDocument;

const RUNNER = 'scripts/run-notebooks.py';
const FIX = 'test/fixtures/notebooks';

function run(args: string[]): Promise<ProcessResult> {
  return runProcess(JUPYTER_PYTHON, [RUNNER, ...args]);
}

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}
const join1 = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join('') : (v ?? ''));

let out: string;
before(() => {
  out = mkdtempSync(join(tmpdir(), 'syco-nb-'));
});
after(() => rmSync(out, { recursive: true, force: true }));

test('runner executes a good notebook on the repo kernel; figures display inline, each loading the shared plotly.js copy', async (t) => {
  if (!needJupyter(t)) return;
  const r = await run([join(FIX, 'good.ipynb'), '--output-dir', out, '--timeout', '120']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 of 1 notebooks passed/);
  const nb = JSON.parse(readFileSync(join(out, 'good.ipynb'), 'utf8')) as { cells: { outputs?: Output[] }[] };
  const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
  const streams = outputs.filter((o) => o.output_type === 'stream').map((o) => join1(o.text)).join('');
  assert.equal(streams, 'report <p><strong>x</strong></p>\ncosine 0.96\nawaited 42\n'); // cos((3,4),(4,3)) = 24/25; showFigure() echoes nothing
  const htmls = outputs.filter((o) => o.output_type === 'display_data').map((o) => join1(o.data?.['text/html']));
  assert.equal(htmls.length, 2);
  const marker = plotlySource().slice(0, 200);
  for (const h of htmls) {
    assert.equal(h.includes(marker), false, 'no output inlines plotly.js');
    assert.match(h, /loadPlotly\(\{"fileUrl":"file:\/\/[^"]+plotly\.min\.js"/, 'each output loads the shared copy');
  }

  // The two outputs, placed on one page as Jupyter does, draw both figures.
  if (!needChromium(t)) return;
  const page = join(out, 'outputs.html');
  writeFileSync(page, `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${htmls.join('\n')}</body></html>`);
  const browser = await launchTestBrowser();
  try {
    await browser.page.goto(pathToFileURL(page).href);
    await browser.page.waitForFunction(() => document.querySelectorAll('.js-plotly-plot').length === 2, undefined, { timeout: 20_000 });
    const traces = await browser.page.evaluate(() => document.querySelectorAll('.scatterlayer .trace').length);
    assert.equal(traces, 1);
  } finally {
    await browser.close();
  }
});

test('runner fails with exit 1 and prints the failing cell on a throw and on a rejected await', async (t) => {
  if (!needJupyter(t)) return;
  const r = await run([join(FIX, 'throws.ipynb'), join(FIX, 'rejects.ipynb'), '--timeout', '120']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /0 of 2 notebooks passed/);
  assert.match(r.stderr, /FAILED test\/fixtures\/notebooks\/throws\.ipynb: cell 1 \(code cell 2\)/);
  assert.match(r.stderr, /if \(rows\.length === 3\) throw new Error\("deliberate failure: cell throws"\);/);
  assert.match(r.stderr, /cell stderr -----\n[^-]*Error: deliberate failure: cell throws\n/);
  assert.match(r.stderr, /FAILED test\/fixtures\/notebooks\/rejects\.ipynb: cell 1 \(code cell 2\)/);
  assert.match(r.stderr, /const v = await fetchThing\(\);/);
  assert.match(r.stderr, /Error: deliberate failure: awaited promise rejected/);
  assert.equal((r.stdout + r.stderr).includes('must not run\n'), false);
});

test('runner refuses to write executed copies into notebooks/ and reports missing files', async (t) => {
  if (!needJupyter(t)) return;
  const r = await run([join(FIX, 'good.ipynb'), '--output-dir', 'notebooks/out']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /would overwrite source notebooks/);
  const m = await run(['test/fixtures/notebooks/missing.ipynb']);
  assert.equal(m.code, 2);
  assert.match(m.stderr, /no such notebook: test\/fixtures\/notebooks\/missing\.ipynb/);
});

function runTslab(args: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, ['scripts/run-notebooks-tslab.mjs', ...args]);
}

test('in-process runner (tslab kernel handler, no Jupyter) gives the good notebook the outputs Jupyter stores', async () => {
  const dir = join(out, 'tslab');
  const r = await runTslab([join(FIX, 'good.ipynb'), '--output-dir', dir, '--timeout', '120']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 of 1 notebooks passed/);
  const nb = JSON.parse(readFileSync(join(dir, 'good.ipynb'), 'utf8')) as { cells: { cell_type: string; execution_count?: number | null; outputs?: Output[] }[] };
  const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
  const streams = outputs.filter((o) => o.output_type === 'stream').map((o) => join1(o.text)).join('');
  assert.equal(streams, 'report <p><strong>x</strong></p>\ncosine 0.96\nawaited 42\n');
  const htmls = outputs.filter((o) => o.output_type === 'display_data').map((o) => join1(o.data?.['text/html']));
  assert.equal(htmls.length, 2);
  for (const h of htmls) assert.match(h, /loadPlotly\(\{"fileUrl":"file:\/\/[^"]+plotly\.min\.js"/, 'each output loads the shared plotly copy');
  assert.deepEqual(nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.execution_count), [1, 2, 3]);
});

test('in-process runner fails with exit 1 and prints the failing cell on a throw and on a rejected await', async () => {
  const r = await runTslab([join(FIX, 'throws.ipynb'), join(FIX, 'rejects.ipynb'), '--timeout', '120']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /0 of 2 notebooks passed/);
  assert.match(r.stderr, /FAILED test\/fixtures\/notebooks\/throws\.ipynb: cell 1 \(code cell 2\)/);
  assert.match(r.stderr, /Error: deliberate failure: cell throws/);
  assert.match(r.stderr, /FAILED test\/fixtures\/notebooks\/rejects\.ipynb: cell 1 \(code cell 2\)/);
  assert.match(r.stderr, /Error: deliberate failure: awaited promise rejected/);
  assert.equal((r.stdout + r.stderr).includes('must not run\n'), false);
});
