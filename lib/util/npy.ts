import { readFileSync, openSync, readSync, closeSync } from 'node:fs';
import { atomicWriteFile } from './fs';
import type { Matrix } from './matrix';

/** The dtypes the toolkit reads and writes in .npy files. */
export type NpyDtype = '<f4' | '<f8' | '<i8' | '<i4';

/** A parsed .npy array: typed data plus shape, always C order. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Build a version-1.0 .npy header (magic, version, length, dict padded to a multiple of 64 bytes). */
export function npyHeader(dtype: NpyDtype, shape: number[]): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + dict.length + 1;
  const pad = (64 - (total % 64)) % 64;
  dict = dict + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(10 + dict.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = dict.length & 0xff;
  out[9] = (dict.length >> 8) & 0xff;
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

/** Parse an .npy header; returns dtype, shape and the byte offset where data starts. */
export function parseNpyHeader(buf: Uint8Array, source = '<buffer>'): { dtype: NpyDtype; shape: number[]; offset: number } {
  for (let i = 0; i < MAGIC.length; i++) {
    if (buf[i] !== MAGIC[i]) throw new Error(`${source}: not an .npy file (bad magic)`);
  }
  const major = buf[6];
  let len: number;
  let start: number;
  if (major === 1) {
    len = buf[8] | (buf[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    len = buf[8] | (buf[9] << 8) | (buf[10] << 16) | (buf[11] << 24);
    start = 12;
  } else {
    throw new Error(`${source}: unsupported .npy version ${major}`);
  }
  const header = Buffer.from(buf.subarray(start, start + len)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeStr === undefined) throw new Error(`${source}: malformed .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error(`${source}: Fortran-order arrays are not supported`);
  const dtype = descr.replace(/^\|/, '<') as NpyDtype;
  if (!['<f4', '<f8', '<i8', '<i4'].includes(dtype)) throw new Error(`${source}: unsupported dtype ${descr}`);
  const shape = shapeStr.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return { dtype, shape, offset: start + len };
}

function typedFrom(dtype: NpyDtype, bytes: Uint8Array, count: number): NpyArray['data'] {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  switch (dtype) {
    case '<f4': return new Float32Array(copy.buffer, 0, count);
    case '<f8': return new Float64Array(copy.buffer, 0, count);
    case '<i8': return new BigInt64Array(copy.buffer, 0, count);
    case '<i4': return new Int32Array(copy.buffer, 0, count);
  }
}

const ITEM: Record<NpyDtype, number> = { '<f4': 4, '<f8': 8, '<i8': 8, '<i4': 4 };

/** Parse a whole .npy file held in memory. */
export function parseNpy(buf: Uint8Array, source = '<buffer>'): NpyArray {
  const { dtype, shape, offset } = parseNpyHeader(buf, source);
  const count = shape.reduce((a, b) => a * b, 1);
  const need = count * ITEM[dtype];
  if (buf.byteLength - offset < need) {
    throw new Error(`${source}: truncated .npy data (${buf.byteLength - offset} bytes, shape [${shape}] needs ${need})`);
  }
  return { dtype, shape, data: typedFrom(dtype, buf.subarray(offset, offset + need), count) };
}

/** Read an .npy file from disk. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readFileSync(path), path);
}

/** Read only the header of an .npy file (dtype, shape, data offset). */
export function readNpyHeader(path: string): { dtype: NpyDtype; shape: number[]; offset: number } {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return parseNpyHeader(buf.subarray(0, n), path);
  } finally {
    closeSync(fd);
  }
}

/** Read a 2-D float32 .npy file as a Matrix (1-D arrays become one row). */
export function readNpyMatrix(path: string): Matrix {
  const a = readNpy(path);
  if (a.dtype !== '<f4') throw new Error(`${path}: expected float32 (<f4), found ${a.dtype}`);
  if (a.shape.length === 1) return { rows: 1, cols: a.shape[0], data: a.data as Float32Array };
  if (a.shape.length !== 2) throw new Error(`${path}: expected a 2-D array, found shape [${a.shape}]`);
  return { rows: a.shape[0], cols: a.shape[1], data: a.data as Float32Array };
}

/** Encode a typed array as .npy bytes with the given shape. */
export function encodeNpy(data: Float32Array | Float64Array | BigInt64Array | Int32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape [${shape}] holds ${count} values, data has ${data.length}`);
  const dtype: NpyDtype = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof BigInt64Array ? '<i8' : '<i4';
  const header = npyHeader(dtype, shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

/** Write an array atomically as .npy. */
export function writeNpy(path: string, data: Float32Array | Float64Array | BigInt64Array | Int32Array, shape: number[]): void {
  atomicWriteFile(path, encodeNpy(data, shape));
}

/** Write a Matrix atomically as a float32 [rows, cols] .npy file. */
export function writeNpyMatrix(path: string, m: Matrix): void {
  writeNpy(path, m.data, [m.rows, m.cols]);
}
