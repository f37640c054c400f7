// A tiny ONNX graph builder and a synchronous onnxruntime-node session wrapper, so that ORT's MLAS kernels can serve
// as the toolkit's matrix-multiply engine. Models are encoded with the ONNX schema the graph editor uses; sessions are
// created and run through onnxruntime-node's native binding, which is synchronous (the public API only wraps it in
// promises).
import { Tensor } from 'onnxruntime-node';
import { binding, initOrt } from 'onnxruntime-node/dist/binding.js';
import { onnxType } from '../util/onnx-schema';
import { runtime } from '../util/runtime';

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

function valueInfo(v: OnnxValueInfo): object {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name: v.name, type: { tensor_type: { elem_type: v.elemType ?? ONNX_FLOAT, shape: { dim } } } };
}

function attribute(name: string, val: number | number[] | { f: number }): object {
  if (Array.isArray(val)) return { name, type: 7, ints: val }; // INTS
  if (typeof val === 'number') return { name, type: 2, i: val }; // INT
  return { name, type: 1, f: val.f }; // FLOAT
}

/** Encode a single-graph ONNX model (opset 17) as protobuf bytes, with the project's one ONNX schema (util/onnx-schema). */
export function encodeOnnxModel(g: { nodes: OnnxNode[]; inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[]; name?: string }): Uint8Array {
  const ModelProto = onnxType('ModelProto');
  return ModelProto.encode(ModelProto.fromObject({
    ir_version: 8,
    producer_name: 'syco-linalg',
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      node: g.nodes.map((n, k) => ({
        input: n.inputs, output: n.outputs, name: `n${k}`, op_type: n.op,
        attribute: Object.entries(n.attrs ?? {}).map(([name, val]) => attribute(name, val)),
      })),
      name: g.name ?? 'g',
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  })).finish();
}

// ------------------------------------------------------------------ synchronous sessions
interface NativeSession {
  loadModel(buf: ArrayBuffer, off: number, len: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): Record<string, { data: ArrayBufferView; dims: number[] }>;
  outputMetadata: { name: string }[];
}

/** Number of intra-op threads ORT uses for linear algebra (runtime().threads, default 2). */
export function linalgThreads(): number {
  return runtime().threads ?? 2;
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
      extra: { session: { intra_op: { allow_spinning: runtime().ortSpin ? '1' : '0' } } },
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
