import { atomicWriteFile } from '../util/fs';
import { escapeHtml, figureHtml, plotlyScriptTag } from '../plots/html';
import type { Figure } from '../plots/types';
import { markdownToHtml } from './markdown';

export { markdownToHtml, inlineMarkdown } from './markdown';

/** A table of results: columns and rows of plain values. */
export interface TableData {
  /** Column headers. */
  columns: string[];
  /** One array per row, one value per column; null/undefined render empty. */
  rows: (string | number | boolean | null | undefined)[][];
  /** Caption shown above the table. */
  caption?: string;
  /** Significant digits of non-integer numbers (default 4). */
  digits?: number;
}

/** An object that renders itself as an HTML table (e.g. an arquero table). */
export interface HtmlTable {
  toHTML(): string;
}

/** A table in a report: structured data, a pre-rendered HTML string (inserted as is), or an object with toHTML(). */
export type ReportTable = TableData | HtmlTable | string;

/** A figure in a report, optionally with a caption under it. */
export interface ReportFigure {
  figure: Figure;
  caption?: string;
}

/** One section of a report. */
export interface ReportSection {
  /** Section heading. */
  title: string;
  /** Text in a small markdown subset (paragraphs, lists, headings, code, bold, italic, links). */
  text?: string;
  /** Figures, in order, after the text. */
  figures?: (Figure | ReportFigure)[];
  /** Result tables, in order, after the figures. */
  tables?: ReportTable[];
}

/** A whole report. */
export interface ReportSpec {
  /** Page title and top heading. */
  title: string;
  /** Text under the title (markdown subset), e.g. the run's parameters. */
  intro?: string;
  /** The sections, in order. */
  sections: ReportSection[];
  /** When the report was generated (default now, ISO 8601); null to omit. */
  generated?: string | null;
}

/** Format one table cell: integers as is, other numbers to `digits` significant digits, null as empty. */
export function formatReportCell(v: string | number | boolean | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
    return String(Number(v.toPrecision(digits)));
  }
  return String(v);
}

/** Render structured table data as an HTML <table> (numbers right-aligned). */
export function tableHtml(t: TableData): string {
  const digits = t.digits ?? 4;
  for (const [i, r] of t.rows.entries()) {
    if (r.length !== t.columns.length) throw new Error(`tableHtml: row ${i} has ${r.length} cells, expected ${t.columns.length} (${t.columns.join(', ')})`);
  }
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((v) => `<td${typeof v === 'number' ? ' class="num"' : ''}>${escapeHtml(formatReportCell(v, digits))}</td>`).join('')}</tr>`)
    .join('\n');
  const caption = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : '';
  return `<table>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function renderTable(t: ReportTable, where: string): string {
  if (typeof t === 'string') return t;
  if (t && typeof (t as HtmlTable).toHTML === 'function') return (t as HtmlTable).toHTML();
  if (t && Array.isArray((t as TableData).columns) && Array.isArray((t as TableData).rows)) return tableHtml(t as TableData);
  throw new Error(`buildReport: ${where} is not a table (give {columns, rows}, an HTML string or an object with toHTML())`);
}

function slug(s: string, used: Set<string>): string {
  const base = s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'section';
  let id = base;
  for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
  used.add(id);
  return id;
}

const STYLE = `
body{font-family:"Liberation Sans",Arial,sans-serif;color:#222;max-width:1100px;margin:0 auto;padding:24px;line-height:1.5;background:#fff}
h1{font-size:1.9em;margin-bottom:0.2em}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:2em}
nav ol{padding-left:1.4em}.generated{color:#777;font-size:0.9em}
figure{margin:1.2em 0}figcaption{color:#555;font-size:0.92em;margin-top:4px}
table{border-collapse:collapse;margin:1em 0;font-size:0.92em}caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{background:#f4f4f4;padding:1px 4px;border-radius:3px}pre{background:#f4f4f4;padding:8px;overflow-x:auto}
.table-wrap{overflow-x:auto}
`;

/**
 * Build a self-contained report page: title, table of contents, and per section its text, interactive figures and
 * result tables. plotly.js is inlined once; the page needs no network access.
 */
export function buildReport(spec: ReportSpec): string {
  const used = new Set<string>();
  const ids = spec.sections.map((s) => slug(s.title, used));
  const parts: string[] = [];
  let figCount = 0;
  for (const [k, s] of spec.sections.entries()) {
    parts.push(`<section id="${ids[k]}">\n<h2>${escapeHtml(s.title)}</h2>`);
    if (s.text) parts.push(markdownToHtml(s.text, 3));
    for (const f of s.figures ?? []) {
      const fig: ReportFigure = 'figure' in f && !('data' in f) ? (f as ReportFigure) : { figure: f as Figure };
      if (!fig.figure || !Array.isArray(fig.figure.data)) throw new Error(`buildReport: section "${s.title}" has a figure without data`);
      figCount++;
      parts.push(
        `<figure>\n${figureHtml(fig.figure, { id: `fig-${figCount}` })}\n` +
          (fig.caption ? `<figcaption>Figure ${figCount}. ${markdownToHtml(fig.caption).replace(/^<p>|<\/p>$/g, '')}</figcaption>\n` : '') +
          '</figure>',
      );
    }
    for (const [j, t] of (s.tables ?? []).entries()) parts.push(`<div class="table-wrap">${renderTable(t, `section "${s.title}", table ${j}`)}</div>`);
    parts.push('</section>');
  }
  const generated = spec.generated === undefined ? new Date().toISOString() : spec.generated;
  const toc = spec.sections.length > 1 ? `<nav><ol>${spec.sections.map((s, k) => `<li><a href="#${ids[k]}">${escapeHtml(s.title)}</a></li>`).join('')}</ol></nav>` : '';
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(spec.title)}</title>\n<style>${STYLE}</style>\n` +
    (figCount ? `${plotlyScriptTag()}\n` : '') +
    '</head>\n<body>\n' +
    `<h1>${escapeHtml(spec.title)}</h1>\n` +
    (generated ? `<p class="generated">Generated ${escapeHtml(generated)}</p>\n` : '') +
    (spec.intro ? markdownToHtml(spec.intro, 3) + '\n' : '') +
    toc +
    '\n' +
    parts.join('\n') +
    '\n</body>\n</html>\n'
  );
}

/** Build the report and write it atomically to `path` (e.g. runs/<timestamp>/report.html); returns the path. */
export function writeReport(path: string, spec: ReportSpec): string {
  atomicWriteFile(path, buildReport(spec));
  return path;
}
