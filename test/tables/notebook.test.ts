// Tables in a real tslab kernel: a throwaway notebook runs on the repo kernelspec (scripts/run-notebooks.py) and
// must produce inline HTML tables, not text and no echoed value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromRecords, tableToHtml } from '../../lib/tables/index';
import { JUPYTER_PYTHON, needJupyter } from '../helpers';

const CELLS = [
  [
    'import { tableFromRecords, show, valueCounts, isTslab, pairsTable } from "./lib/tables/index";',
    'import { loadAnthropicSycophancy, buildPairs } from "./lib/datasets/index";',
    'console.log("tslab", isTslab());',
    'show(tableFromRecords([{ a: 1, b: "<x>" }, { a: 2.5, b: "y" }]), { caption: "demo" });',
  ].join('\n'),
  [
    'const r = await loadAnthropicSycophancy({ source: "test/fixtures/datasets/good" });',
    'show(valueCounts(pairsTable(buildPairs(r.rows, "ab")), "subset"));',
  ].join('\n'),
];

interface Output {
  output_type: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}
const join1 = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join('') : (v ?? ''));

for (const runner of ['tslab', 'jupyter'] as const) test(`show() displays HTML tables inline in a tslab notebook (${runner === 'tslab' ? 'in-process kernel handler' : 'Jupyter'})`, (t) => {
  if (runner === 'jupyter' && !needJupyter(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'syco-tables-nb-'));
  try {
    const nb = {
      cells: CELLS.map((source, i) => ({ cell_type: 'code', execution_count: null, id: `cell${i}`, metadata: {}, outputs: [], source })),
      metadata: { kernelspec: { display_name: 'TypeScript (syco, tslab)', language: 'typescript', name: 'syco-tslab' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const path = join(dir, 'tables.ipynb');
    writeFileSync(path, JSON.stringify(nb));
    const res = runner === 'jupyter'
      ? spawnSync(JUPYTER_PYTHON, ['scripts/run-notebooks.py', path, '--output-dir', join(dir, 'out'), '--timeout', '120'], { encoding: 'utf8' })
      : spawnSync(process.execPath, ['scripts/run-notebooks-tslab.mjs', path, '--output-dir', join(dir, 'out'), '--timeout', '120'], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stdout + res.stderr);
    const done = JSON.parse(readFileSync(join(dir, 'out', 'tables.ipynb'), 'utf8')) as { cells: { outputs: Output[] }[] };
    const [first, second] = done.cells.map((c) => c.outputs);
    assert.deepEqual(first.map((o) => o.output_type), ['stream', 'display_data']);
    assert.equal(join1(first[0].text), 'tslab true\n');
    assert.equal(join1(first[1].data?.['text/html']), tableToHtml(tableFromRecords([{ a: 1, b: '<x>' }, { a: 2.5, b: 'y' }]), { caption: 'demo' }));
    assert.deepEqual(second.map((o) => o.output_type), ['display_data']);
    const html = join1(second[0].data?.['text/html']);
    assert.match(html, /<table/);
    assert.match(html, />nlp_survey<\/td>.*>2<\/td>/);
    assert.match(html, />philpapers2020<\/td>.*>3<\/td>/);
    assert.match(html, />political_typology_quiz<\/td>.*>3<\/td>/);
    assert.ok(html.includes('3 rows × 3 columns'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
