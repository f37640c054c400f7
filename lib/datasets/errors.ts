import { readFileSync } from 'node:fs';
import { utf8Problem, utf8Reason } from '../util/text';

/** Where a dataset problem was found: the file, and a 1-based line or a 0-based item index. */
export interface DatasetLocation {
  file: string;
  line?: number;
  item?: number;
}

/** A malformed dataset file or row: the message always starts with `file:line:` (or `file: item N:`). */
export class DatasetError extends Error {
  override name = 'DatasetError';
  readonly file: string;
  readonly line?: number;
  readonly item?: number;
  /** The problem alone, without the location prefix. */
  readonly reason: string;

  constructor(where: DatasetLocation, reason: string) {
    super(`${formatLocation(where)}: ${reason}`);
    this.file = where.file;
    this.line = where.line;
    this.item = where.item;
    this.reason = reason;
  }
}

/** Format a location as `file:line`, `file: item N` or `file`. */
export function formatLocation(where: DatasetLocation): string {
  if (where.line !== undefined) return `${where.file}:${where.line}`;
  if (where.item !== undefined) return `${where.file}: item ${where.item}`;
  return where.file;
}

/** Read a dataset text file as UTF-8 (BOM dropped); missing or invalid UTF-8 is a DatasetError naming file:line. */
export function readDatasetText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new DatasetError({ file: path }, e.code === 'ENOENT' ? 'no such file' : `cannot read (${e.code ?? e.message})`);
  }
  const p = utf8Problem(bytes);
  if (p) throw new DatasetError({ file: path, line: p.line }, utf8Reason(p));
  return bytes.toString('utf8').replace(/^\ufeff/, '');
}
