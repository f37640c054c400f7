// Tables for looking at data: a thin layer over arquero (build, head, filter, value counts, group summaries, CSV),
// with readable HTML display inline in tslab notebooks and an aligned text table everywhere else.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as aq from 'arquero';
import { atomicWriteFile, projectRoot } from '../util/fs';
import { runtime } from '../util/runtime';

/** A column table (arquero's ColumnTable). */
export type Table = ReturnType<typeof aq.from>;

/** One row of a table as a plain object. */
export type Row = Record<string, unknown>;

/** Build a table from an array of records (objects); `columns` picks and orders columns (default: union of keys in first-seen order). */
export function tableFromRecords(records: object[], columns?: string[]): Table {
  const cols = columns ?? unionKeys(records);
  const data: Record<string, unknown[]> = {};
  for (const c of cols) data[c] = new Array(records.length);
  records.forEach((r, i) => {
    for (const c of cols) {
      const v = (r as Record<string, unknown>)[c];
      data[c][i] = v === undefined ? null : v;
    }
  });
  return aq.table(data);
}

function unionKeys(records: object[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** Build a table from named columns of equal length. */
export function tableFromColumns(columns: Record<string, ArrayLike<unknown>>): Table {
  const lengths = new Set(Object.values(columns).map((c) => c.length));
  if (lengths.size > 1) {
    throw new Error(`tableFromColumns: columns differ in length (${Object.entries(columns).map(([k, v]) => `${k}: ${v.length}`).join(', ')})`);
  }
  const data: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(columns)) data[k] = Array.from(v);
  return aq.table(data);
}

/** The columns shown for pairs by default (the long texts are left out; pass `columns` to include them). */
export const PAIR_TABLE_COLUMNS = ['id', 'subset', 'format', 'source_row', 'user_affiliation', 'question', 'sycophantic_answer', 'non_sycophantic_answer'];

/** A table of pairs (or any records), one row each, with PAIR_TABLE_COLUMNS unless `columns` is given. */
export function pairsTable(pairs: object[], columns: string[] = PAIR_TABLE_COLUMNS): Table {
  return tableFromRecords(pairs, columns);
}

/**
 * Overview of a pair set: one row per subset × user_affiliation with the pair count and the mean length (characters)
 * of the sycophantic and non-sycophantic texts.
 */
export function pairsOverview(pairs: Array<{ subset: string; user_affiliation?: string; sycophantic: string; non_sycophantic: string }>): Table {
  const t = tableFromRecords(
    pairs.map((p) => ({
      subset: p.subset,
      user_affiliation: p.user_affiliation ?? null,
      syc_len: p.sycophantic.length,
      non_len: p.non_sycophantic.length,
    })),
    ['subset', 'user_affiliation', 'syc_len', 'non_len'],
  );
  return groupSummary(t, ['subset', 'user_affiliation'], {
    pairs: 'count',
    mean_chars_sycophantic: { op: 'mean', column: 'syc_len' },
    mean_chars_non_sycophantic: { op: 'mean', column: 'non_len' },
  });
}

/** All rows of a table as plain objects. */
export function toRecords(t: Table): Row[] {
  return t.objects() as Row[];
}

/** Number of rows. */
export function numRows(t: Table): number {
  return t.numRows();
}

/** Column names, in order. */
export function columnNames(t: Table): string[] {
  return t.columnNames();
}

/** The first n rows (default 5). */
export function head(t: Table, n = 5): Table {
  return t.slice(0, Math.max(0, n)).reify();
}

/** The last n rows (default 5). */
export function tail(t: Table, n = 5): Table {
  const rows = t.numRows();
  return t.slice(Math.max(0, rows - Math.max(0, n)), rows).reify();
}

// Verbs that filter or order return reified tables, so positional reads (column.at) see the result's row order.

/** Rows for which `predicate(row)` is true (row is a plain object). */
export function filterRows(t: Table, predicate: (row: Row) => boolean): Table {
  return t.filter(aq.escape((d: Row) => predicate(d))).reify();
}

/** Rows whose column equals one of the given values. */
export function whereIn(t: Table, column: string, values: unknown[]): Table {
  const set = new Set(values);
  const col = t.column(column);
  if (!col) throw new Error(`whereIn: no column "${column}" (have: ${t.columnNames().join(', ')})`);
  return filterRows(t, (r) => set.has(r[column]));
}

/** Keep (and order) the given columns. */
export function selectColumns(t: Table, columns: string[]): Table {
  for (const c of columns) if (!t.column(c)) throw new Error(`selectColumns: no column "${c}" (have: ${t.columnNames().join(', ')})`);
  return t.select(columns);
}

/** Sort by columns, ascending; prefix a name with `-` for descending. */
export function sortBy(t: Table, ...columns: string[]): Table {
  return t.orderby(...columns.map((c) => (c.startsWith('-') ? aq.desc(c.slice(1)) : c))).reify();
}

/**
 * Count each distinct value of a column: a table [column, count, fraction] sorted by count descending, ties by
 * value ascending (nulls counted as their own value).
 */
export function valueCounts(t: Table, column: string): Table {
  if (!t.column(column)) throw new Error(`valueCounts: no column "${column}" (have: ${t.columnNames().join(', ')})`);
  const total = t.numRows();
  return t
    .groupby(column)
    .count({ as: 'count' })
    .derive({ fraction: aq.escape((d: Row) => (total ? (d.count as number) / total : 0)) })
    .orderby(aq.desc('count'), column)
    .reify();
}

/** An aggregate of a group summary: the operation and the column it reads (not needed for `count`). */
export type Aggregate =
  | 'count'
  | { op: 'count' | 'mean' | 'sum' | 'min' | 'max' | 'median' | 'stdev' | 'variance' | 'distinct' | 'valid'; column: string };

/**
 * Group rows by one or more columns and compute named aggregates, e.g.
 * `groupSummary(t, 'subset', { n: 'count', mean_len: { op: 'mean', column: 'len' } })`. Groups are sorted by key.
 */
export function groupSummary(t: Table, by: string | string[], aggregates: Record<string, Aggregate>): Table {
  const keys = Array.isArray(by) ? by : [by];
  for (const k of keys) if (!t.column(k)) throw new Error(`groupSummary: no column "${k}" (have: ${t.columnNames().join(', ')})`);
  const spec: Record<string, unknown> = {};
  for (const [name, agg] of Object.entries(aggregates)) {
    if (agg === 'count') {
      spec[name] = aq.op.count();
      continue;
    }
    if (!t.column(agg.column)) throw new Error(`groupSummary: no column "${agg.column}" for "${name}"`);
    const f = (aq.op as unknown as Record<string, (c: unknown) => unknown>)[agg.op];
    if (agg.op === 'count') spec[name] = aq.op.count();
    else spec[name] = f(agg.column);
  }
  return t.groupby(...keys).rollup(spec as Parameters<Table['rollup']>[0]).orderby(...keys).reify();
}

/** The table as RFC-4180 CSV text with a header row (arquero's writer). */
export function tableToCsv(t: Table): string {
  return t.toCSV();
}

/** Write the table as CSV, atomically. */
export function writeTableCsv(path: string, t: Table): void {
  atomicWriteFile(path, tableToCsv(t));
}

/** Options for rendering a table as HTML or text. */
export interface RenderOptions {
  /** Maximum rows shown (default 20). */
  limit?: number;
  /** Longer cell texts are cut to this many characters with `…` (default 120 for HTML, 48 for text). */
  maxChars?: number;
  /** A caption above the table. */
  caption?: string;
  /** Columns to show (default all). */
  columns?: string[];
}

/** Format one cell value as display text: numbers to at most 4 decimals, objects as JSON, null as empty. */
export function formatCell(v: unknown, maxChars: number): string {
  let s: string;
  if (v === null || v === undefined) s = '';
  else if (typeof v === 'number') s = Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(Number(v.toFixed(4))) : String(v);
  else if (typeof v === 'string') s = v;
  else if (v instanceof Date) s = v.toISOString();
  else s = JSON.stringify(v);
  s = s.replace(/\r?\n/g, ' ⏎ ');
  return s.length > maxChars ? s.slice(0, Math.max(1, maxChars - 1)) + '…' : s;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function isNumericColumn(t: Table, name: string): boolean {
  let numeric = true;
  let any = false;
  for (const v of t.array(name) as ArrayLike<unknown> & Iterable<unknown>) {
    if (!numeric) break;
    if (v === null || v === undefined) continue;
    any = true;
    numeric = typeof v === 'number';
  }
  return any && numeric;
}

/** Render a table as a self-contained HTML table (escaped, long cells cut), with a caption and a rows×columns footer. */
export function tableToHtml(t: Table, opts: RenderOptions = {}): string {
  const limit = opts.limit ?? 20;
  const maxChars = opts.maxChars ?? 120;
  const names = opts.columns ?? t.columnNames();
  const format: Record<string, (v: unknown) => string> = {};
  const align: Record<string, 'l' | 'r'> = {};
  for (const n of names) {
    format[n] = (v) => formatCell(v, maxChars);
    align[n] = isNumericColumn(t, n) ? 'r' : 'l';
  }
  const cell = 'padding: 2px 8px; border-bottom: 1px solid #ddd; vertical-align: top; font-size: 12px;';
  const body = t.toHTML({
    limit,
    columns: names,
    format,
    align,
    style: {
      table: 'border-collapse: collapse; font-family: sans-serif;',
      th: `${cell} border-bottom: 2px solid #888; background: #f4f4f4; font-weight: 600;`,
      td: cell,
    },
  });
  const rows = t.numRows();
  const shown = Math.min(limit, rows);
  const footer = `${rows} rows × ${names.length} columns${shown < rows ? ` (first ${shown} shown)` : ''}`;
  const caption = opts.caption ? `<div style="font-weight: 600; margin: 4px 0;">${escapeHtml(opts.caption)}</div>` : '';
  return `<div class="syco-table">${caption}${body}<div style="color: #666; font-size: 11px; margin-top: 2px;">${escapeHtml(footer)}</div></div>`;
}

/** Render a table as aligned plain text (for terminals and logs), with the same footer as the HTML. */
export function tableToText(t: Table, opts: RenderOptions = {}): string {
  const limit = opts.limit ?? 20;
  const maxChars = opts.maxChars ?? 48;
  const names = opts.columns ?? t.columnNames();
  const rows = t.numRows();
  const shown = Math.min(limit, rows);
  const grid: string[][] = [names.map((n) => formatCell(n, maxChars))];
  for (const row of t.objects({ limit: shown }) as Row[]) grid.push(names.map((n) => formatCell(row[n], maxChars)));
  const right = names.map((n) => isNumericColumn(t, n));
  const widths = names.map((_, j) => Math.max(...grid.map((r) => [...r[j]].length)));
  const pad = (s: string, j: number) => {
    const gap = ' '.repeat(widths[j] - [...s].length);
    return right[j] ? gap + s : s + gap;
  };
  const lines = grid.map((r) => r.map(pad).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  if (opts.caption) lines.unshift(opts.caption);
  lines.push(`${rows} rows × ${names.length} columns${shown < rows ? ` (first ${shown} shown)` : ''}`);
  return lines.join('\n');
}

/** The display sink of a running tslab kernel: something with `html(s)`. */
export interface HtmlSink {
  html(s: string): void;
}

/**
 * The tslab display of the running kernel, or null outside a tslab kernel. It never loads tslab itself: it looks for
 * tslab's already-loaded `jupyter` module (the kernel loads it) and its live display writer. `SYCO_DISPLAY=text`
 * (runtime().textDisplay) forces null.
 */
export function tslabDisplay(): HtmlSink | null {
  if (runtime().textDisplay) return null;
  const req = createRequire(join(projectRoot(), 'package.json'));
  for (const key of Object.keys(req.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(key)) continue;
    const jupyter = req.cache[key]?.exports as { lastWriteDisplayData?: unknown } | undefined;
    if (!jupyter || typeof jupyter.lastWriteDisplayData !== 'function') continue;
    const pub = req(join(dirname(key), 'public.js')) as { display?: HtmlSink };
    if (pub.display && typeof pub.display.html === 'function') return pub.display;
  }
  return null;
}

/** True when running inside a tslab kernel that can display HTML. */
export function isTslab(): boolean {
  return tslabDisplay() !== null;
}

/** Where show() writes: an HTML sink (tslab) or a text stream. Tests inject these. */
export interface ShowTarget {
  html?: HtmlSink | null;
  stream?: { write(s: string): unknown };
}

/**
 * Show a table: as an HTML table inline in a tslab notebook, otherwise as a text table on stdout. Returns nothing,
 * so a notebook cell ending in show(...) echoes no value.
 */
export function show(t: Table, opts: RenderOptions = {}, target: ShowTarget = {}): void {
  const sink = target.html !== undefined ? target.html : tslabDisplay();
  if (sink) sink.html(tableToHtml(t, opts));
  else (target.stream ?? process.stdout).write(tableToText(t, opts) + '\n');
}
