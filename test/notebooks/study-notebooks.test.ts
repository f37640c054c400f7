// Executes every notebooks/*.ipynb headless on the shared assets (stories260K + the Anthropic political-typology file),
// and checks that the notebooks committed to git carry no outputs.
//
// Run one notebook by hand (executed copy with outputs in /tmp/nb; the failing cell is printed on error):
//
//   SYCO_MODEL=../shared/models/stories260K-onnx SYCO_DATA=../shared/datasets/anthropic-sycophancy SYCO_PAIRS=60 \
//   SYCO_RUNS=/tmp/syco-runs JUPYTER_PATH=$PWD/jupyter \
//   /usr/bin/python3 scripts/run-notebooks.py notebooks/Data.ipynb --output-dir /tmp/nb
//
// or open it in Jupyter with the same variables set: `JUPYTER_PATH=$PWD/jupyter jupyter lab notebooks/` and pick the
// "TypeScript (syco, tslab)" kernel. Notebooks with the same settings share one run folder under SYCO_RUNS, so a second
// run re-uses every stage computed by the first.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { sharedAsset } from '../helpers';

const ROOT = resolve('.');
const NOTEBOOKS = join(ROOT, 'notebooks');
const KERNELSPEC = { name: 'syco-tslab', display_name: 'TypeScript (syco, tslab)', language: 'typescript' };

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
}
interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: Record<string, string> };
  nbformat: number;
}

const text = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join('') : (v ?? ''));

/** Every notebook of the study (a glob, so notebooks added later are executed too), sorted by name. */
function notebookFiles(): string[] {
  return readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort().map((f) => join(NOTEBOOKS, f));
}

function readNotebook(path: string): Notebook {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Notebook;
  } catch (err) {
    throw new Error(`${path}: not valid notebook JSON (${(err as Error).message})`);
  }
}

test('notebooks are stored with cleared outputs, the repo kernelspec and a markdown introduction', () => {
  const files = notebookFiles();
  assert.ok(files.length >= 1, 'no notebooks in notebooks/');
  for (const f of files) {
    const nb = readNotebook(f);
    assert.equal(nb.nbformat, 4, `${f}: nbformat`);
    assert.deepEqual(nb.metadata.kernelspec, KERNELSPEC, `${f}: kernelspec metadata`);
    assert.equal(nb.cells[0]?.cell_type, 'markdown', `${f}: the first cell introduces the notebook`);
    assert.match(text(nb.cells[0].source), /^# /, `${f}: the first cell starts with a title`);
    nb.cells.forEach((c, i) => {
      if (c.cell_type !== 'code') return;
      assert.deepEqual(c.outputs ?? [], [], `${f}: cell ${i} has outputs (clear them before committing)`);
      assert.equal(c.execution_count ?? null, null, `${f}: cell ${i} has an execution count (clear outputs before committing)`);
      const src = text(c.source);
      assert.doesNotMatch(src, /import\.meta/, `${f}: cell ${i} uses import.meta (fails under tslab)`);
      assert.doesNotMatch(src, /from ['"]\.\.\//, `${f}: cell ${i} imports with ../ (tslab runs from the repo root: use ./lib/...)`);
    });
    const codes = nb.cells.filter((c) => c.cell_type === 'code');
    assert.match(text(codes[0]?.source), /studyConfig\(/, `${f}: the first code cell reads the parameters with studyConfig()`);
  }
});

let tmp: string | undefined;
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function runNotebooks(files: string[], outDir: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn('/usr/bin/python3', ['scripts/run-notebooks.py', ...files, '--output-dir', outDir, '--timeout', '300'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', rej);
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

test('every notebook executes headless on stories260K and the shared dataset, showing figures and no errors', { timeout: 15 * 60_000 }, async (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!model || !data) return;
  tmp = mkdtempSync(join(tmpdir(), 'syco-study-nb-'));
  const runs = join(tmp, 'runs');
  const outDir = join(tmp, 'executed');
  // A clean environment: no settings or keys leak in from the caller's shell (the Judge notebook then uses the local backend).
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('SYCO_') || /API_KEY$/.test(k)) continue;
    env[k] = v;
  }
  if (process.env.SYCO_SHARED) env.SYCO_SHARED = process.env.SYCO_SHARED;
  Object.assign(env, {
    SYCO_MODEL: model,
    SYCO_DATA: data,
    SYCO_PAIRS: '60',
    SYCO_RUNS: runs,
    SYCO_PROMPT_LIMIT: '2',
    SYCO_MAX_NEW_TOKENS: '8',
    SYCO_AB_ITEMS: '12',
    SYCO_THREADS: '2',
    SYCO_QUIET: '1',
    JUPYTER_PATH: join(ROOT, 'jupyter'),
  });
  const files = notebookFiles();
  const r = await runNotebooks(files, outDir, env);
  assert.equal(r.code, 0, `run-notebooks failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`${files.length} of ${files.length} notebooks passed`));

  for (const f of files) {
    const name = f.slice(NOTEBOOKS.length + 1);
    const executed = join(outDir, name);
    assert.ok(existsSync(executed), `${name}: no executed copy`);
    const nb = readNotebook(executed);
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    const errors = outputs.filter((o) => o.output_type === 'error');
    assert.deepEqual(errors.map((e) => `${e.ename}: ${e.evalue}`), [], `${name}: error outputs`);
    const codes = nb.cells.filter((c) => c.cell_type === 'code');
    assert.ok(codes.every((c) => typeof c.execution_count === 'number'), `${name}: every code cell ran`);
    const htmls = outputs.filter((o) => o.output_type === 'display_data').map((o) => text(o.data?.['text/html']));
    assert.ok(htmls.some((h) => h.includes('class="syco-figure"') && h.includes('newPlot')), `${name}: shows at least one plotly figure inline`);
    const printed = outputs.filter((o) => o.output_type === 'stream' && o.name === 'stdout').map((o) => text(o.text)).join('');
    assert.match(printed, /model .*stories260K-onnx/, `${name}: the parameters cell prints the settings`);
  }

  // The stage notebooks export their figures into the shared run folder (HTML always).
  const runDirs = readdirSync(runs).filter((d) => d.startsWith('nb-'));
  assert.equal(runDirs.length, 1, `all notebooks share one run folder, found ${runDirs.join(', ')}`);
  const figures = readdirSync(join(runs, runDirs[0], 'figures'));
  for (const f of files) {
    const stage = /\/([A-Z][A-Za-z]*)\.ipynb$/.exec(f)?.[1];
    if (!stage || stage === 'Main') continue;
    const stem = `${stage.toLowerCase()}-`;
    assert.ok(figures.some((x) => x.startsWith(stem) && x.endsWith('.html')), `${stage}.ipynb exported no ${stem}*.html to figures/ (have ${figures.join(', ')})`);
  }
});
