import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, unlinkSync } from 'node:fs';
import { dirname, resolve, join } from 'node:path';

/**
 * Write a file atomically: `write` fills a temporary sibling (through its descriptor), which is fsynced and renamed over
 * the target; on any error the temporary file is removed and the error names the target.
 */
export function atomicWriteWith(path: string, write: (fd: number) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      write(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw withPath(err, path);
  }
}

/** Write a file atomically (atomicWriteWith): a string, bytes, or byte chunks written one after another. */
export function atomicWriteFile(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  atomicWriteWith(path, (fd) => {
    if (typeof data === 'string' || data instanceof Uint8Array) writeFileSync(fd, data);
    else for (const c of data) writeFileSync(fd, c);
  });
}

/** The error with its file or folder named (`<path>: <message>`) unless the message names it already; the code is kept. */
export function withPath(err: unknown, path: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.message.includes(path)) return e;
  const out = new Error(`${path}: ${e.message}`, { cause: e }) as NodeJS.ErrnoException;
  const code = (e as NodeJS.ErrnoException).code;
  if (code) out.code = code;
  return out;
}

/** Read and parse a JSON file; a read or parse error names the file. */
export function readJsonFile<T = unknown>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw withPath(err, path);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** Write JSON atomically with two-space indentation and a trailing newline. */
export function atomicWriteJson(path: string, value: unknown): void {
  atomicWriteFile(path, JSON.stringify(value, null, 2) + '\n');
}

/** Create a directory (and parents) if missing; returns the path. */
export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

/** SHA-256 hex digest of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** SHA-256 hex digest of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The repository root: $SYCO_ROOT, else the nearest ancestor of cwd holding this project's package.json. */
export function projectRoot(): string {
  if (process.env.SYCO_ROOT) return resolve(process.env.SYCO_ROOT);
  let dir = process.cwd();
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'lib', 'util', 'fs.ts'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** The shared-assets folder: $SYCO_SHARED, else `../shared` beside the project. */
export function sharedDir(): string {
  return resolve(process.env.SYCO_SHARED ?? join(projectRoot(), '..', 'shared'));
}
