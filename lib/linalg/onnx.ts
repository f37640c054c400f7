// A tiny ONNX graph builder and a synchronous onnxruntime-node session wrapper, so that ORT's MLAS kernels can serve
// as the toolkit's matrix-multiply engine. The protobuf is encoded by hand (only the handful of fields a one-node
// graph needs); sessions are created and run through onnxruntime-node's native binding, which is synchronous (the
// public API only wraps it in promises).
import { Tensor } from 'onnxruntime-node';
import { binding, initOrt } from 'onnxruntime-node/dist/binding.js';

// ------------------------------------------------------------------ protobuf encoding
class PbWriter {
  private parts: number[] = [];

  private varint(v: number): void {
    // non-negative integers up to 2^53
    while (v >= 0x80) {
      this.parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.parts.push(v);
  }

  int(field: number, v: number): this {
    this.varint(field * 8);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.varint(field * 8 + 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    for (const x of b) this.parts.push(x);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.varint(field * 8 + 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  msg(field: number, w: PbWriter): this {
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** ONNX element type code of float32. */
export const ONNX_FLOAT = 1;
/** ONNX element type code of float64. */
export const ONNX_DOUBLE = 11;

/** A graph value: name, element type and shape (numbers are fixed dims, strings are symbolic). */
export interface OnnxValueInfo {
  name: string;
  elemType?: number;
  shape: (number | string)[];
}

/** One graph node: op type, inputs, outputs and int/float/int-list attributes. */
export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[] | { f: number }>;
}

function valueInfo(v: OnnxValueInfo): PbWriter {
  const shape = new PbWriter();
  for (const d of v.shape) {
    const dim = new PbWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.str(2, d);
    shape.msg(1, dim);
  }
  const tensor = new PbWriter().int(1, v.elemType ?? ONNX_FLOAT).msg(2, shape);
  return new PbWriter().str(1, v.name).msg(2, new PbWriter().msg(1, tensor));
}

/** Encode a single-graph ONNX model (opset 17) as protobuf bytes. */
export function encodeOnnxModel(g: { nodes: OnnxNode[]; inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[]; name?: string }): Uint8Array {
  const graph = new PbWriter();
  g.nodes.forEach((n, k) => {
    const node = new PbWriter();
    for (const i of n.inputs) node.str(1, i);
    for (const o of n.outputs) node.str(2, o);
    node.str(3, `n${k}`).str(4, n.op);
    for (const [name, val] of Object.entries(n.attrs ?? {})) {
      const a = new PbWriter().str(1, name);
      if (Array.isArray(val)) {
        for (const x of val) a.int(8, x);
        a.int(20, 7); // INTS
      } else if (typeof val === 'number') {
        a.int(3, val).int(20, 2); // INT
      } else {
        a.float(2, val.f).int(20, 1); // FLOAT
      }
      node.msg(5, a);
    }
    graph.msg(1, node);
  });
  graph.str(2, g.name ?? 'g');
  for (const v of g.inputs) graph.msg(11, valueInfo(v));
  for (const v of g.outputs) graph.msg(12, valueInfo(v));
  const model = new PbWriter().int(1, 8).str(2, 'syco-linalg');
  model.msg(8, new PbWriter().str(1, '').int(2, 17));
  model.msg(7, graph);
  return model.finish();
}

// ------------------------------------------------------------------ synchronous sessions
interface NativeSession {
  loadModel(buf: ArrayBuffer, off: number, len: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): Record<string, { data: ArrayBufferView; dims: number[] }>;
  outputMetadata: { name: string }[];
}

/** Number of intra-op threads ORT uses for linear algebra (default: 2, or $SYCO_THREADS). */
export function linalgThreads(): number {
  const t = Number(process.env.SYCO_THREADS);
  return Number.isInteger(t) && t > 0 ? t : 2;
}

/** A synchronous ONNX Runtime session over an in-memory model (CPU execution provider). */
export class SyncSession {
  private native: NativeSession;
  readonly outputNames: string[];

  constructor(model: Uint8Array, threads = linalgThreads()) {
    initOrt();
    this.native = new (binding as unknown as { InferenceSession: new () => NativeSession }).InferenceSession();
    this.native.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
      executionProviders: [{ name: 'cpu' }],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: process.env.SYCO_ORT_SPIN ?? '0' } } },
    });
    this.outputNames = this.native.outputMetadata.map((m) => m.name);
  }

  /** Run with float32/float64 inputs; preallocated outputs (`into`) are written in place, others are returned fresh. */
  run(
    feeds: Record<string, { data: Float32Array | Float64Array; dims: number[] }>,
    into: Record<string, { data: Float32Array | Float64Array; dims: number[] }> = {},
  ): Record<string, Float32Array | Float64Array> {
    const f: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = new Tensor(v.data instanceof Float64Array ? 'float64' : 'float32', v.data, v.dims);
    const fetches: Record<string, unknown> = {};
    for (const name of this.outputNames) fetches[name] = into[name] ? new Tensor(into[name].data instanceof Float64Array ? 'float64' : 'float32', into[name].data, into[name].dims) : null;
    const res = this.native.run(f, fetches, {});
    const out: Record<string, Float32Array | Float64Array> = {};
    for (const name of this.outputNames) out[name] = into[name] ? into[name].data : (res[name].data as Float32Array | Float64Array);
    return out;
  }
}

const cache = new Map<string, SyncSession>();

/** A cached session built once per key. */
export function cachedSession(key: string, build: () => Uint8Array): SyncSession {
  let s = cache.get(key);
  if (!s) {
    s = new SyncSession(build());
    cache.set(key, s);
  }
  return s;
}
