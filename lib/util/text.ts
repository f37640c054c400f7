// Text files must be UTF-8: an invalid byte is refused with the file and line, never replaced by U+FFFD.
import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';

/** Where the first invalid UTF-8 sequence of some bytes is (1-based line, 1-based byte column), or null when valid. */
export function utf8Problem(bytes: Uint8Array): { line: number; column: number; byte: number; offset: number } | null {
  if (isUtf8(bytes)) return null;
  let i = 0;
  scan: while (i < bytes.length) {
    const c = bytes[i];
    if (c < 0x80) { i++; continue; }
    let n = 0, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else break;
    for (let k = 1; k <= n; k++) {
      const d = bytes[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) break scan;
    }
    i += n + 1;
  }
  let line = 1, lineStart = 0;
  for (let k = 0; k < i; k++) if (bytes[k] === 0x0a) { line++; lineStart = k + 1; }
  return { line, column: i - lineStart + 1, byte: bytes[i] ?? -1, offset: i };
}

/** The reason text for an invalid UTF-8 sequence found by utf8Problem. */
export function utf8Reason(p: { column: number; byte: number }): string {
  const b = p.byte < 0 ? 'a sequence cut off at the end of the file' : `byte 0x${p.byte.toString(16).padStart(2, '0')}`;
  return `invalid UTF-8 (${b} at column ${p.column}); the file must be UTF-8 text — re-encode it (e.g. iconv -f latin1 -t utf-8)`;
}

/** Read a UTF-8 text file (a leading BOM dropped); an invalid byte is an error naming `path:line`. */
export function readUtf8File(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  const p = utf8Problem(bytes);
  if (p) throw new Error(`${path}:${p.line}: ${utf8Reason(p)}`);
  return bytes.toString('utf8').replace(/^\ufeff/, '');
}
