import { DatasetError, readDatasetText } from './errors';

/** One parsed CSV record: its cells and the 1-based line on which it starts. */
export interface CsvRecord {
  cells: string[];
  line: number;
}

/** Remove a leading UTF-8 byte-order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parse RFC-4180 CSV text (quoted fields with embedded commas, quotes and newlines; CRLF or LF; a leading BOM is
 * dropped). Throws a DatasetError naming `file` and the line of an unterminated quote or a stray quote.
 */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const src = stripBom(text);
  const out: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let atCellStart = true;
  const n = src.length;
  const endRecord = () => {
    cells.push(cell);
    // A record that is one empty cell is a blank line: skip it.
    if (!(cells.length === 1 && cells[0] === '')) out.push({ cells, line: recordLine });
    cells = [];
    cell = '';
    atCellStart = true;
  };
  while (i < n) {
    const ch = src[i];
    if (atCellStart && ch === '"') {
      const openLine = line;
      i++;
      for (;;) {
        if (i >= n) throw new DatasetError({ file, line: openLine }, 'unterminated quoted field');
        const c = src[i];
        if (c === '"') {
          if (src[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\n') line++;
        cell += c;
        i++;
      }
      atCellStart = false;
      const next = src[i];
      if (i < n && next !== ',' && next !== '\n' && next !== '\r') {
        throw new DatasetError({ file, line }, `unexpected character ${JSON.stringify(next)} after a closing quote`);
      }
      continue;
    }
    if (ch === ',') {
      cells.push(cell);
      cell = '';
      atCellStart = true;
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      if (ch === '\r' && src[i + 1] === '\n') i++;
      i++;
      line++;
      recordLine = line;
      continue;
    }
    if (ch === '"') throw new DatasetError({ file, line }, 'stray quote inside an unquoted field');
    cell += ch;
    atCellStart = false;
    i++;
  }
  if (cell !== '' || cells.length > 0) endRecord();
  return out;
}

/**
 * Parse CSV text with a header row into objects keyed by column name. Every record must have as many cells as the
 * header; `required` columns must be present. Errors name the file and line.
 */
export function parseCsvObjects(text: string, file: string, required: string[] = []): { header: string[]; rows: Array<{ line: number; values: Record<string, string> }> } {
  const records = parseCsv(text, file);
  if (records.length === 0) throw new DatasetError({ file }, 'empty CSV file (no header row)');
  const header = records[0].cells.map((h) => h.trim());
  for (const col of required) {
    if (!header.includes(col)) {
      throw new DatasetError({ file, line: 1 }, `missing column "${col}" (header has: ${header.map((h) => JSON.stringify(h)).join(', ')})`);
    }
  }
  const rows = records.slice(1).map((rec) => {
    if (rec.cells.length !== header.length) {
      throw new DatasetError({ file, line: rec.line }, `expected ${header.length} fields, found ${rec.cells.length}`);
    }
    const values: Record<string, string> = {};
    header.forEach((h, j) => (values[h] = rec.cells[j]));
    return { line: rec.line, values };
  });
  return { header, rows };
}

/** Read and parse a CSV file with a header row (BOM-safe); see parseCsvObjects. */
export function readCsvObjects(path: string, required: string[] = []): ReturnType<typeof parseCsvObjects> {
  return parseCsvObjects(readDatasetText(path), path, required);
}

/** Quote one CSV cell when it holds a comma, quote, CR or LF (RFC 4180). */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Format records as RFC-4180 CSV with a header row of `columns` and LF line ends. */
export function toCsv(records: Array<Record<string, unknown>>, columns: string[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const r of records) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return lines.join('\n') + '\n';
}
