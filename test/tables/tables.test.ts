import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv } from '../../lib/datasets/csv';
import { buildPairs, readSycophancyFile } from '../../lib/datasets/index';
import {
  columnNames,
  filterRows,
  formatCell,
  groupSummary,
  head,
  numRows,
  pairsOverview,
  pairsTable,
  selectColumns,
  show,
  sortBy,
  tableFromColumns,
  tableFromRecords,
  tableToCsv,
  tableToHtml,
  tableToText,
  tail,
  toRecords,
  tslabDisplay,
  valueCounts,
  whereIn,
  writeTableCsv,
} from '../../lib/tables/index';

const RECORDS = [
  { subset: 'a', aff: 'lib', len: 10 },
  { subset: 'a', aff: 'con', len: 20 },
  { subset: 'b', aff: 'lib', len: 30 },
  { subset: 'a', aff: 'lib', len: 40 },
  { subset: 'b', aff: 'con', len: 50 },
];

test('build, head, tail, filter, select, sort', () => {
  const t = tableFromRecords(RECORDS);
  assert.equal(numRows(t), 5);
  assert.deepEqual(columnNames(t), ['subset', 'aff', 'len']);
  assert.deepEqual(toRecords(head(t, 2)), RECORDS.slice(0, 2));
  assert.deepEqual(toRecords(tail(t, 2)), RECORDS.slice(3));
  assert.deepEqual(toRecords(head(t, 99)), RECORDS);
  assert.deepEqual(toRecords(filterRows(t, (r) => (r.len as number) > 25)), RECORDS.slice(2));
  assert.deepEqual(toRecords(whereIn(t, 'aff', ['con'])).map((r) => r.len), [20, 50]);
  assert.deepEqual(toRecords(selectColumns(t, ['len', 'subset']))[0], { len: 10, subset: 'a' });
  assert.deepEqual(toRecords(sortBy(t, '-len')).map((r) => r.len), [50, 40, 30, 20, 10]);
  assert.deepEqual(toRecords(sortBy(t, 'aff', '-len')).map((r) => r.len), [50, 20, 40, 30, 10]);
  // Positional reads after a verb see the result's order (verbs reify).
  assert.deepEqual(toRecords(head(sortBy(t, '-len'), 1)), [RECORDS[4]]);
  assert.throws(() => selectColumns(t, ['nope']), { message: 'selectColumns: no column "nope" (have: subset, aff, len)' });
  // Missing keys become nulls; explicit columns pick and order.
  const sparse = tableFromRecords([{ a: 1 }, { b: 'x' }]);
  assert.deepEqual(toRecords(sparse), [{ a: 1, b: null }, { a: null, b: 'x' }]);
  assert.deepEqual(toRecords(tableFromRecords([{ a: 1, b: 2 }], ['b'])), [{ b: 2 }]);
  assert.deepEqual(toRecords(tableFromColumns({ x: new Float32Array([1, 2]), y: ['p', 'q'] })), [{ x: 1, y: 'p' }, { x: 2, y: 'q' }]);
  assert.throws(() => tableFromColumns({ x: [1], y: [1, 2] }), { message: 'tableFromColumns: columns differ in length (x: 1, y: 2)' });
});

test('value counts: counts and fractions, sorted by count then value', () => {
  const t = tableFromRecords(RECORDS);
  assert.deepEqual(toRecords(valueCounts(t, 'subset')), [
    { subset: 'a', count: 3, fraction: 0.6 },
    { subset: 'b', count: 2, fraction: 0.4 },
  ]);
  assert.deepEqual(toRecords(valueCounts(t, 'aff')), [
    { aff: 'lib', count: 3, fraction: 0.6 },
    { aff: 'con', count: 2, fraction: 0.4 },
  ]);
  assert.throws(() => valueCounts(t, 'x'), { message: 'valueCounts: no column "x" (have: subset, aff, len)' });
});

test('group summaries match hand-derived values', () => {
  const t = tableFromRecords(RECORDS);
  const g = toRecords(
    groupSummary(t, 'subset', {
      n: 'count',
      mean: { op: 'mean', column: 'len' },
      min: { op: 'min', column: 'len' },
      max: { op: 'max', column: 'len' },
      median: { op: 'median', column: 'len' },
      sd: { op: 'stdev', column: 'len' },
      sum: { op: 'sum', column: 'len' },
    }),
  );
  assert.equal(g.length, 2);
  assert.deepEqual({ ...g[0], mean: undefined, sd: undefined }, { subset: 'a', n: 3, mean: undefined, min: 10, max: 40, median: 20, sd: undefined, sum: 70 });
  assert.ok(Math.abs((g[0].mean as number) - 70 / 3) < 1e-12);
  // Sample standard deviation of 10, 20, 40: sqrt(((10-70/3)^2 + (20-70/3)^2 + (40-70/3)^2) / 2) = sqrt(700/3).
  assert.ok(Math.abs((g[0].sd as number) - Math.sqrt(700 / 3)) < 1e-12);
  assert.deepEqual({ ...g[1], sd: undefined }, { subset: 'b', n: 2, mean: 40, min: 30, max: 50, median: 40, sd: undefined, sum: 80 });
  const two = toRecords(groupSummary(t, ['subset', 'aff'], { n: 'count' }));
  assert.deepEqual(two, [
    { subset: 'a', aff: 'con', n: 1 },
    { subset: 'a', aff: 'lib', n: 2 },
    { subset: 'b', aff: 'con', n: 1 },
    { subset: 'b', aff: 'lib', n: 1 },
  ]);
});

test('CSV export parses back to the same cells with an independent RFC-4180 parser', () => {
  const tricky = [
    { id: 'x:1', text: 'comma, "quotes" and\nnewline', n: 1.5 },
    { id: 'x:2', text: '', n: -2 },
  ];
  const t = tableFromRecords(tricky);
  const cells = parseCsv(tableToCsv(t), 't.csv').map((r) => r.cells);
  assert.deepEqual(cells, [['id', 'text', 'n'], ['x:1', 'comma, "quotes" and\nnewline', '1.5'], ['x:2', '', '-2']]);
  const dir = mkdtempSync(join(tmpdir(), 'syco-tables-'));
  try {
    writeTableCsv(join(dir, 'out.csv'), t);
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), tableToCsv(t));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('text rendering: aligned columns, numbers right-aligned, long cells cut, footer', () => {
  const t = tableFromRecords([
    { name: 'alpha', score: 0.5, note: 'short' },
    { name: 'b', score: 12.34567, note: 'a much longer note that will be cut' },
    { name: 'c', score: 3, note: null },
  ]);
  // Widths: name 5, score 7 ("12.3457"), note 12 (cut to 11 characters + "…").
  assert.equal(
    tableToText(t, { maxChars: 12, limit: 2, caption: 'scores' }),
    [
      'scores',
      'name     score  note',
      '-----  -------  ------------',
      'alpha      0.5  short',
      'b      12.3457  a much long…',
      '3 rows × 3 columns (first 2 shown)',
    ].join('\n'),
  );
  assert.equal(formatCell('line1\nline2', 50), 'line1 ⏎ line2');
  assert.equal(formatCell({ a: 1 }, 50), '{"a":1}');
  assert.equal(formatCell(null, 5), '');
  assert.equal(formatCell(1 / 3, 50), '0.3333');
});

test('HTML rendering: escaped cells, caption, alignment, footer, limit', () => {
  const t = tableFromRecords([
    { id: 'p:0', text: '<b>bold</b> & more', n: 2 },
    { id: 'p:1', text: 'x'.repeat(300), n: 3.25 },
  ]);
  const html = tableToHtml(t, { caption: 'Pairs <1>', maxChars: 20 });
  assert.ok(html.startsWith('<div class="syco-table"><div style="font-weight: 600; margin: 4px 0;">Pairs &lt;1&gt;</div><table'));
  assert.ok(html.includes('&lt;b&gt;bold&lt;/b&gt; &amp; more'));
  assert.ok(!html.includes('<b>bold'));
  assert.ok(html.includes(`${'x'.repeat(19)}…</td>`));
  assert.equal((html.match(/<tr/g) ?? []).length, 3);
  assert.ok(html.includes('text-align: right; padding: 2px 8px; border-bottom: 1px solid #ddd; vertical-align: top; font-size: 12px;">3.25</td>'));
  assert.ok(html.endsWith('2 rows × 3 columns</div></div>'));
  const limited = tableToHtml(t, { limit: 1 });
  assert.equal((limited.match(/<tr/g) ?? []).length, 2);
  assert.ok(limited.includes('2 rows × 3 columns (first 1 shown)'));
});

test('show(): HTML to a display sink when one is given, else a text table on the stream', () => {
  const t = tableFromRecords(RECORDS.slice(0, 2));
  const htmls: string[] = [];
  show(t, {}, { html: { html: (s) => htmls.push(s) } });
  assert.deepEqual(htmls, [tableToHtml(t)]);
  let text = '';
  show(t, { caption: 'c' }, { html: null, stream: { write: (s: string) => (text += s) } });
  assert.equal(text, tableToText(t, { caption: 'c' }) + '\n');
  // Outside a tslab kernel there is no display.
  assert.equal(tslabDisplay(), null);
});

test('tslabDisplay() finds a live tslab kernel module in the require cache; SYCO_DISPLAY=text overrides it', () => {
  // Simulates the kernel: load tslab's jupyter module and give it a display writer, as a running cell has.
  const code = [
    "const { createRequire } = await import('node:module');",
    "const req = createRequire(process.cwd() + '/package.json');",
    "const t = await import('./lib/tables/index.ts');",
    "const before = t.tslabDisplay();",
    "const jupyter = req('tslab/dist/jupyter.js');",
    "const idle = t.tslabDisplay();",
    "const sent = [];",
    "jupyter.lastWriteDisplayData = (msg) => sent.push(msg.data);",
    "t.show(t.tableFromRecords([{ a: 1 }]), { caption: 'k' });",
    "console.log(JSON.stringify({ before, idle, sent, isTslab: t.isTslab() }));",
  ].join('\n');
  const run = (env: Record<string, string>) => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(res.status, 0, res.stderr);
    return res.stdout;
  };
  const html = tableToHtml(tableFromRecords([{ a: 1 }]), { caption: 'k' });
  assert.equal(run({}), JSON.stringify({ before: null, idle: null, sent: [{ 'text/html': html }], isTslab: true }) + '\n');
  const forced = run({ SYCO_DISPLAY: 'text' });
  assert.equal(forced, 'k\na\n-\n1\n1 rows × 1 columns\n' + JSON.stringify({ before: null, idle: null, sent: [], isTslab: false }) + '\n');
});

test('pairsTable shows pairs without the long texts by default', () => {
  const rows = readSycophancyFile('test/fixtures/datasets/good/sycophancy_on_political_typology_quiz.jsonl').rows;
  const pairs = buildPairs(rows, 'sentence');
  const t = pairsTable(pairs);
  assert.deepEqual(columnNames(t), ['id', 'subset', 'format', 'source_row', 'user_affiliation', 'question', 'sycophantic_answer', 'non_sycophantic_answer']);
  assert.deepEqual(toRecords(valueCounts(t, 'user_affiliation')), [
    { user_affiliation: 'conservative', count: 1, fraction: 0.5 },
    { user_affiliation: 'liberal', count: 1, fraction: 0.5 },
  ]);
  assert.equal(toRecords(pairsTable(pairs, ['id', 'sycophantic']))[0].sycophantic, pairs[0].sycophantic);
  const overview = toRecords(pairsOverview(pairs));
  assert.deepEqual(overview.map((r) => [r.subset, r.user_affiliation, r.pairs]), [
    ['political_typology_quiz', 'conservative', 1],
    ['political_typology_quiz', 'liberal', 1],
  ]);
  const lib = pairs.find((p) => p.user_affiliation === 'liberal')!;
  assert.equal(overview[1].mean_chars_sycophantic, lib.sycophantic.length);
  assert.equal(overview[1].mean_chars_non_sycophantic, lib.non_sycophantic.length);
});

test('importing lib/tables and lib/datasets and showing a table outside a kernel never loads tslab', () => {
  const code = [
    "const { createRequire } = await import('node:module');",
    "await import('./lib/tables/index.ts');",
    "await import('./lib/datasets/index.ts');",
    "const req = createRequire(process.cwd() + '/package.json');",
    "const t = await import('./lib/tables/index.ts');",
    "t.show(t.tableFromRecords([{ a: 1 }]));",
    "console.log(JSON.stringify(Object.keys(req.cache).filter((k) => k.includes('tslab'))));",
  ].join('\n');
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout, 'a\n-\n1\n1 rows × 1 columns\n[]\n');
});
