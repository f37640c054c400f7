import { closeSync, existsSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { npyHeader, parseNpyHeader } from '../util/npy';
import type { Matrix } from '../util/matrix';
import { withPath } from '../util/fs';

/** Why an existing preallocated .npy file cannot be reused (null when it can). */
export function checkPreallocatedNpy(path: string, rows: number, cols: number): string | null {
  if (!existsSync(path)) return 'missing';
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    let h: ReturnType<typeof parseNpyHeader>;
    try {
      h = parseNpyHeader(buf.subarray(0, n), path);
    } catch (err) {
      return (err as Error).message;
    }
    if (h.dtype !== '<f4' || h.shape.length !== 2 || h.shape[0] !== rows || h.shape[1] !== cols) {
      return `header says ${h.dtype} [${h.shape.join(', ')}], expected <f4 [${rows}, ${cols}]`;
    }
    const want = h.offset + rows * cols * 4;
    const size = fstatSync(fd).size;
    if (size !== want) return `size is ${size} bytes, expected ${want}`;
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * A float32 [rows, cols] .npy file written in place: created once with its final header and full size
 * (unwritten rows read as zeros), then filled with positioned writes of row blocks.
 */
export class PreallocatedNpy {
  readonly path: string;
  readonly rows: number;
  readonly cols: number;
  private readonly dataOffset: number;
  private fd: number | null;

  private constructor(path: string, rows: number, cols: number, dataOffset: number, fd: number) {
    this.path = path;
    this.rows = rows;
    this.cols = cols;
    this.dataOffset = dataOffset;
    this.fd = fd;
  }

  /** Create (or truncate) the file with its final header and size, fsynced. */
  static create(path: string, rows: number, cols: number): PreallocatedNpy {
    if (endianness() !== 'LE') throw new Error('activation files are little-endian float32; this machine is big-endian');
    const header = npyHeader('<f4', [rows, cols]);
    const fd = openSync(path, 'w+');
    try {
      writeSync(fd, header, 0, header.length, 0);
      ftruncateSync(fd, header.length + rows * cols * 4);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      throw withPath(err, path);
    }
    return new PreallocatedNpy(path, rows, cols, header.length, fd);
  }

  /** Open an existing preallocated file for writing after checking its header and size. */
  static open(path: string, rows: number, cols: number): PreallocatedNpy {
    const why = checkPreallocatedNpy(path, rows, cols);
    if (why) throw new Error(`${path}: cannot resume into this file: ${why}`);
    const header = npyHeader('<f4', [rows, cols]);
    return new PreallocatedNpy(path, rows, cols, header.length, openSync(path, 'r+'));
  }

  /** Write m's rows [from, from + count) to file rows [at, at + count). */
  writeRows(at: number, m: Matrix, from = 0, count = m.rows - from): void {
    if (this.fd === null) throw new Error(`${this.path}: already closed`);
    if (m.cols !== this.cols) throw new Error(`${this.path}: rows have ${m.cols} columns, file has ${this.cols}`);
    if (from < 0 || count < 0 || from + count > m.rows) throw new Error(`${this.path}: source rows [${from}, ${from + count}) out of range (${m.rows} rows)`);
    if (at < 0 || at + count > this.rows) throw new Error(`${this.path}: target rows [${at}, ${at + count}) out of range (${this.rows} rows)`);
    const src = m.data.subarray(from * m.cols, (from + count) * m.cols);
    const bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    let done = 0;
    const pos = this.dataOffset + at * this.cols * 4;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, pos + done);
    } catch (err) {
      throw withPath(err, this.path);
    }
  }

  /** Flush written rows to stable storage. */
  sync(): void {
    try {
      if (this.fd !== null) fdatasyncSync(this.fd);
    } catch (err) {
      throw withPath(err, this.path);
    }
  }

  /** Close the file descriptor (idempotent). */
  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
