// End to end: `syco run` (= npm start) on the shared stories260K model and the shared Anthropic data, then a resume
// of the same folder, then the report opened in headless Chromium.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { holdLock, needChromium, sharedAsset } from '../helpers';
import { RUN_LOCK } from '../../lib/study/run';
import { plotlySource } from '../../lib/plots/html';
import { type MiniDocument, launchTestBrowser, parsePng } from '../plots/browser';

declare const document: MiniDocument;

const tmp = mkdtempSync(join(tmpdir(), 'syco-run-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function syco(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/syco.js', ...args], { encoding: 'utf8', env: { ...process.env, SYCO_QUIET: '1' }, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface RunSummary { dir: string; report: string; figures: number; seconds: number; timings: Record<string, number>; stages: Record<string, string> }

test('syco run: every stage on stories260K into one folder, figures, report.html; a second run resumes from disk', async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  const caa = sharedAsset(t, 'datasets/caa-sycophancy/test_dataset_ab.json');
  if (!model || !data || !caa) return;
  if (!needChromium(t)) return; // the run exports PNG figures and the report is checked in Chromium
  const out = join(tmp, 'run');
  const args = [
    'run', '--model', model, '--data', data, '--out', out, '--pairs', '48', '--multipliers', '4', '--prompt-limit', '3',
    '--max-new-tokens', '6', '--ab-items', '12', '--ab-dataset', caa, '--max-tokens', '512', '--methods', 'pca,tsne,umap', '--figures', 'html,png',
    '--judge', 'local', '--judge-model', model,
  ];
  const r = syco(args);
  // stories260K is no judge (it writes stories, never JSON): the judge stage FAILED, so the run exits 3 with every
  // other stage computed and the report written.
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /syco run: judge FAILED/);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as RunSummary;
  assert.deepEqual(Object.entries(summary.stages).filter(([, v]) => v !== 'computed'), [['judge', 'failed']]);
  assert.equal(summary.dir, out);
  for (const stage of ['data', 'activations', 'geometry pca', 'geometry tsne', 'geometry umap', 'probe lr', 'probe ccs', 'mlp', 'vectors', 'steering', 'A/B evaluation', 'judge', 'figures', 'report']) {
    assert.ok(stage in summary.timings, `stage "${stage}" timed (${Object.keys(summary.timings).join(', ')})`);
  }
  // Stage outputs in the run folder.
  const acts = JSON.parse(readFileSync(join(out, 'activations', 'manifest.json'), 'utf8'));
  assert.equal(acts.complete, true);
  assert.deepEqual(acts.hooks, ['resid', 'mlp']);
  assert.deepEqual(acts.layers, [0, 1, 2, 3, 4]);
  const steerFiles = readdirSync(join(out, 'steering')).filter((f) => f.startsWith('AT_sentence_results_')).sort();
  assert.deepEqual(steerFiles, [2, 3, 4].map((l) => `AT_sentence_results_stories260K-onnx_48_${l}.json`));
  for (const f of steerFiles) {
    const rows = JSON.parse(readFileSync(join(out, 'steering', f), 'utf8')) as Record<string, string>[];
    assert.equal(rows.length, 3);
    for (const row of rows) assert.deepEqual(Object.keys(row).sort(), ['answer_control', 'answer_minus', 'answer_plus', 'sentence']);
  }
  for (const name of ['anthropic', 'caa']) {
    const ab = JSON.parse(readFileSync(join(out, 'ab', `${name}.json`), 'utf8')).result as { table: { layer: number; multiplier: number; meanP: number }[] };
    assert.equal(ab.table.length, 9, `${name}: 3 layers × 3 multipliers`);
    for (const row of ab.table) assert.ok(row.meanP > 0 && row.meanP < 1);
    const zero = ab.table.filter((row) => row.multiplier === 0).map((row) => row.meanP);
    assert.ok(zero.every((p) => p === zero[0]), 'multiplier 0 is the same unsteered score at every layer');
  }
  assert.ok(existsSync(join(out, 'judge', 'summary.json')));
  // Figures: HTML and PNG for each; report with plotly inlined once and every section.
  const figs = readdirSync(join(out, 'figures'));
  const stems = figs.filter((f) => f.endsWith('.html')).map((f) => f.slice(0, -5)).sort();
  assert.ok(stems.length >= 11, stems.join(', '));
  // Per-layer figures also get a grid of every layer; the HTML pages share one plotly.js copy beside them.
  const layerStems = stems.filter((s) => /^geometry-(pca|tsne|umap)$/.test(s));
  assert.equal(layerStems.length, 3);
  assert.equal(summary.figures, stems.length * 2 + layerStems.length);
  for (const s of [...stems, ...layerStems.map((l) => `${l}-grid`)]) {
    const png = parsePng(new Uint8Array(readFileSync(join(out, 'figures', `${s}.png`))));
    assert.ok(png.width > 100 && png.height > 100, s);
  }
  assert.ok(existsSync(join(out, 'figures', 'plotly.min.js')));
  assert.ok(statSync(join(out, 'figures', 'geometry-pca.html')).size < 1_000_000, 'figure pages do not inline plotly.js');
  const html = readFileSync(summary.report, 'utf8');
  const marker = plotlySource().slice(0, 200);
  assert.equal(html.split(marker).length - 1, 1, 'plotly.js inlined exactly once');
  assert.doesNotMatch(html, /<script[^>]+src=/);
  for (const title of ['Data', 'Activations', 'Geometry', 'Linear probes', 'MLP activations', 'Steering', 'Behavioural (A/B) evaluation', 'LLM judge', 'Run']) {
    assert.ok(html.includes(`>${title}</h2>`), `section ${title}`);
  }

  // Resume: the same command re-uses every stage from disk.
  const activationsMtime = statSync(join(out, 'activations', 'manifest.json')).mtimeMs;
  const r2 = syco(args);
  assert.equal(r2.code, 3, r2.stderr);
  const s2 = JSON.parse(r2.stdout.trim().split('\n').pop()!) as RunSummary;
  for (const stage of ['activations', 'geometry tsne', 'probe ccs', 'mlp', 'vectors', 'A/B evaluation']) {
    assert.ok(!(stage in s2.timings), `stage "${stage}" re-used on resume (${Object.keys(s2.timings).join(', ')})`);
  }
  assert.equal(statSync(join(out, 'activations', 'manifest.json')).mtimeMs, activationsMtime);

  // The report renders every figure in headless Chromium, offline.
  const browser = await launchTestBrowser();
  try {
    await browser.page.goto(pathToFileURL(summary.report).href);
    await browser.page.waitForFunction((n) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n, stems.length, { timeout: 60_000 });
    const plots = await browser.page.evaluate(() => document.querySelectorAll('.js-plotly-plot').length);
    assert.equal(plots, stems.length);
    assert.deepEqual(browser.remoteRequests, []);
  } finally {
    await browser.close();
  }
});

test('syco run: usage errors name the flag; --help documents the defaults', () => {
  const bad = syco(['run', '--pairs', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--pairs="lots": expected an integer/);
  const help = syco(['run', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /organism/);
  assert.match(help.stdout, /report\.html/);
});

test('syco run into a folder another run is writing stops after the checks, naming it; nothing is computed', async () => {
  const out = join(tmp, 'locked-run');
  mkdirSync(out, { recursive: true });
  const holder = await holdLock(join(out, RUN_LOCK), 'study run');
  try {
    const r = syco(['run', '--pairs', '8', '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`syco run: ${out}: another study run \\(pid ${holder.pid}\\) is writing here[\\s\\S]*delete the lock file ${join(out, RUN_LOCK)}`));
    assert.doesNotMatch(r.stderr, /study: \[1\/8\]/);
    assert.deepEqual(readdirSync(out), [RUN_LOCK], 'nothing written beside the lock');
  } finally {
    await holder.stop();
  }
});
