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
