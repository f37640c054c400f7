import { closeSync, fstatSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { onnxType } from '../util/onnx-schema';
import { atomicWriteFile, atomicWriteWith } from '../util/fs';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** ONNX TensorProto.DataType codes used by the hook code. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16,
} as const;

/** A decoded ONNX NodeProto (protobufjs message; fields as in onnx.proto). */
export interface OnnxNode {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  domain?: string;
  attribute: any[];
  [k: string]: any;
}

/** A decoded ONNX ValueInfoProto. */
export interface OnnxValueInfo {
  name: string;
  type?: any;
  [k: string]: any;
}

/** A dimension of a declared tensor shape: a number, a symbolic name, or null when unknown. */
export type Dim = number | string | null;

/** Decode a whole ONNX ModelProto (every field; int64 as Long, bytes as views of `bytes`). */
export function decodeModel(bytes: Uint8Array): any {
  return onnxType('ModelProto').decode(bytes);
}

/** Encode a ModelProto object (as returned by decodeModel, possibly edited) back to bytes. */
export function encodeModel(model: any): Uint8Array {
  return onnxType('ModelProto').encode(model).finish();
}

/** One top-level protobuf field found by a wire-level scan: its number, wire type and byte span (tag included). */
export interface RawField {
  field: number;
  wire: number;
  /** Offset of the tag. */
  start: number;
  /** Offset of the payload (after the length prefix for wire type 2). */
  dataStart: number;
  /** Offset just past the field. */
  end: number;
}

/** Random access to the bytes of a model: an in-memory buffer, or a file read through a window (never whole). */
export interface ByteSource {
  readonly length: number;
  /** The byte at pos. */
  at(pos: number): number;
  /** Bytes [start, end): a view for buffers, a fresh copy for files. */
  slice(start: number, end: number): Uint8Array;
}

/** A ByteSource over a buffer. */
export class BufferSource implements ByteSource {
  constructor(readonly buf: Uint8Array) {}
  get length(): number { return this.buf.length; }
  at(pos: number): number { return this.buf[pos]; }
  slice(start: number, end: number): Uint8Array { return this.buf.subarray(start, end); }
}

/** A ByteSource over a file, read through a 1 MiB window (memory stays small whatever the file size). */
export class FileSource implements ByteSource {
  readonly length: number;
  private readonly fd: number;
  private readonly win = Buffer.alloc(1 << 20);
  private winStart = 0;
  private winEnd = 0;
  private block: Buffer | null = null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.length = fstatSync(this.fd).size;
  }

  private load(pos: number, size: number): void {
    const n = readSync(this.fd, this.win, 0, Math.min(size, this.win.length), pos);
    if (n <= 0) throw new Error(`${this.path}: read past the end at byte ${pos}`);
    this.winStart = pos;
    this.winEnd = pos + n;
  }

  at(pos: number): number {
    if (pos < this.winStart || pos >= this.winEnd) this.load(pos, 1 << 16);
    return this.win[pos - this.winStart];
  }

  slice(start: number, end: number): Uint8Array {
    if (end - start <= this.win.length && !(start >= this.winStart && end <= this.winEnd) && end <= this.length) this.load(start, this.win.length);
    if (start >= this.winStart && end <= this.winEnd) return Uint8Array.from(this.win.subarray(start - this.winStart, end - this.winStart));
    const out = Buffer.alloc(end - start);
    let off = 0;
    while (off < out.length) {
      const n = readSync(this.fd, out, off, out.length - off, start + off);
      if (n <= 0) throw new Error(`${this.path}: read past the end at byte ${start + off}`);
      off += n;
    }
    return out;
  }

  /** Copy bytes [start, end) of this file to another file descriptor, in 16 MiB blocks. */
  copyTo(fd: number, start: number, end: number): void {
    if (!this.block) this.block = Buffer.allocUnsafe(16 << 20);
    const block = this.block;
    let pos = start;
    while (pos < end) {
      const n = readSync(this.fd, block, 0, Math.min(block.length, end - pos), pos);
      if (n <= 0) throw new Error(`${this.path}: read past the end at byte ${pos}`);
      let w = 0;
      while (w < n) w += writeSync(fd, block, w, n - w);
      pos += n;
    }
  }

  /** Close the file. */
  close(): void {
    closeSync(this.fd);
  }
}

function asSource(buf: Uint8Array | ByteSource): ByteSource {
  return buf instanceof Uint8Array ? new BufferSource(buf) : buf;
}

function readVarint(src: Uint8Array | ByteSource, pos: number): [number, number] {
  const s = asSource(src);
  let result = 0;
  let mul = 1;
  for (;;) {
    if (pos >= s.length) throw new Error('onnx: truncated varint');
    const b = s.at(pos++);
    result += (b & 0x7f) * mul;
    if (b < 0x80) return [result, pos];
    mul *= 128;
    if (mul > 2 ** 63) throw new Error('onnx: varint too long');
  }
}

/** Scan the fields of one protobuf message at the wire level (no decoding), in file order. */
export function scanFields(input: Uint8Array | ByteSource, start = 0, end = input.length): RawField[] {
  const buf = asSource(input);
  const out: RawField[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [tag, p1] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    pos = p1;
    let dataStart = pos;
    switch (wire) {
      case 0: pos = readVarint(buf, pos)[1]; break;
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case 2: {
        const [len, p2] = readVarint(buf, pos);
        dataStart = p2;
        pos = p2 + len;
        break;
      }
      default: throw new Error(`onnx: unsupported wire type ${wire} (field ${field}) at byte ${fieldStart}`);
    }
    if (pos > end) throw new Error(`onnx: field ${field} at byte ${fieldStart} runs past the end of its message`);
    out.push({ field, wire, start: fieldStart, dataStart, end: pos });
  }
  return out;
}

function varintBytes(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Bytes of a length-delimited field: tag, length, payload. */
function lengthDelimited(field: number, payload: Uint8Array): Uint8Array[] {
  return [varintBytes(field * 8 + 2), varintBytes(payload.length), payload];
}

/** Summary of an initializer read without decoding its data. */
export interface InitializerInfo {
  name: string;
  dims: number[];
  dataType: number;
  /** External data file names (TensorProto.external_data 'location'), when stored outside the model file. */
  externalLocations: string[];
  /** The raw payload when stored inline as raw_data and the model is in memory (a view); undefined otherwise. */
  rawData?: Uint8Array;
}

function readInitializerInfo(buf: ByteSource, f: RawField): InitializerInfo {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  const externalLocations: string[] = [];
  let rawData: Uint8Array | undefined;
  for (const g of scanFields(buf, f.dataStart, f.end)) {
    if (g.field === 8 && g.wire === 2) name = Buffer.from(buf.slice(g.dataStart, g.end)).toString('utf8');
    else if (g.field === 1 && g.wire === 0) dims.push(readVarint(buf, g.dataStart)[0]);
    else if (g.field === 1 && g.wire === 2) {
      let p = g.dataStart;
      while (p < g.end) {
        const [v, np] = readVarint(buf, p);
        dims.push(v);
        p = np;
      }
    } else if (g.field === 2 && g.wire === 0) dataType = readVarint(buf, g.dataStart)[0];
    else if (g.field === 9 && g.wire === 2 && buf instanceof BufferSource) rawData = buf.slice(g.dataStart, g.end);
    else if (g.field === 13 && g.wire === 2) {
      const e = onnxType('StringStringEntryProto').decode(buf.slice(g.dataStart, g.end)) as any;
      if (e.key === 'location') externalLocations.push(e.value);
    }
  }
  return { name, dims, dataType, externalLocations, rawData };
}

interface Item<T> {
  msg: T;
  /** Original encoded payload; null once the item is new or changed. */
  raw: Uint8Array | null;
  /** True for nodes added by the editor. */
  added?: boolean;
}

const NODE = 1, INITIALIZER = 5, INPUT = 11, OUTPUT = 12, VALUE_INFO = 13;

/**
 * An ONNX model opened for graph editing without re-encoding its weights: nodes, inputs, outputs and value_info
 * are decoded; initializers are only indexed. `serialize()` writes untouched items as their original bytes and
 * everything else (the weights) as spliced raw byte ranges, so an unedited model serializes byte-identically.
 * Opened on a file path, only the graph structure is read; `writeTo` copies the weight ranges file to file.
 */
export class OnnxGraphEditor {
  private readonly src: ByteSource;
  private readonly modelFields: RawField[];
  private readonly graphField: RawField;
  private readonly graphFields: RawField[];
  private readonly nodeItems: Item<OnnxNode>[] = [];
  private readonly inputItems: Item<OnnxValueInfo>[] = [];
  private readonly outputItems: Item<OnnxValueInfo>[] = [];
  private readonly valueInfoItems: Item<OnnxValueInfo>[] = [];
  private readonly newInitializers: any[] = [];
  /** Names of initializers left out on serialization, and the name of each initializer field (by graph field index). */
  private readonly droppedInitializers = new Set<string>();
  private readonly initializerNameAt = new Map<number, string>();
  /** Initializers by name (metadata only). */
  readonly initializers = new Map<string, InitializerInfo>();
  /** Opset imports: domain ('' = ai.onnx) → version. */
  readonly opsets = new Map<string, number>();
  readonly irVersion: number;

  constructor(input: Uint8Array | string) {
    const bytes: ByteSource = typeof input === 'string' ? new FileSource(input) : new BufferSource(input);
    this.src = bytes;
    this.modelFields = scanFields(bytes);
    const graphs = this.modelFields.filter((f) => f.field === 7);
    if (graphs.length !== 1) throw new Error(`onnx: expected one graph in the model, found ${graphs.length}`);
    this.graphField = graphs[0];
    let ir = 0;
    for (const f of this.modelFields) {
      if (f.field === 1 && f.wire === 0) ir = readVarint(bytes, f.dataStart)[0];
      if (f.field === 8) {
        const o = onnxType('OperatorSetIdProto').decode(bytes.slice(f.dataStart, f.end)) as any;
        this.opsets.set(o.domain ?? '', Number(o.version));
      }
    }
    this.irVersion = ir;
    this.graphFields = scanFields(bytes, this.graphField.dataStart, this.graphField.end);
    const NodeT = onnxType('NodeProto');
    const ViT = onnxType('ValueInfoProto');
    for (const [k, f] of this.graphFields.entries()) {
      if (f.field === INITIALIZER) {
        const info = readInitializerInfo(bytes, f);
        this.initializers.set(info.name, info);
        this.initializerNameAt.set(k, info.name);
        continue;
      }
      if (f.field !== NODE && f.field !== INPUT && f.field !== OUTPUT && f.field !== VALUE_INFO) continue;
      const raw = bytes.slice(f.dataStart, f.end);
      if (f.field === NODE) this.nodeItems.push({ msg: NodeT.decode(raw) as unknown as OnnxNode, raw });
      else if (f.field === INPUT) this.inputItems.push({ msg: ViT.decode(raw) as unknown as OnnxValueInfo, raw });
      else if (f.field === OUTPUT) this.outputItems.push({ msg: ViT.decode(raw) as unknown as OnnxValueInfo, raw });
      else if (f.field === VALUE_INFO) this.valueInfoItems.push({ msg: ViT.decode(raw) as unknown as OnnxValueInfo, raw });
    }
  }

  /** The graph's nodes in file order (edit them only through the editor's methods, or call markChanged). */
  get nodes(): OnnxNode[] {
    return this.nodeItems.map((i) => i.msg);
  }

  /** Declared graph inputs. */
  get inputs(): OnnxValueInfo[] {
    return this.inputItems.map((i) => i.msg);
  }

  /** Declared graph outputs. */
  get outputs(): OnnxValueInfo[] {
    return this.outputItems.map((i) => i.msg);
  }

  /** Declared value_info entries (intermediate tensor types, often empty). */
  get valueInfo(): OnnxValueInfo[] {
    return this.valueInfoItems.map((i) => i.msg);
  }

  /** Names of every external data file the initializers refer to. */
  externalDataFiles(): string[] {
    const s = new Set<string>();
    for (const i of this.initializers.values()) for (const l of i.externalLocations) s.add(l);
    return [...s];
  }

  /** Mark a node as edited so that it is re-encoded on serialization. */
  markChanged(node: OnnxNode): void {
    const item = this.nodeItems.find((i) => i.msg === node);
    if (!item) throw new Error(`onnx: node ${node.name ?? node.op_type} is not in this graph`);
    item.raw = null;
  }

  /** Append a node (it is placed right after the producers of its inputs at serialization time). */
  addNode(op: string, inputs: string[], outputs: string[], opts: { name?: string; domain?: string; attributes?: any[] } = {}): OnnxNode {
    const node = onnxType('NodeProto').fromObject({
      input: inputs, output: outputs, name: opts.name ?? `hook/${op}/${outputs[0]}`, op_type: op,
      ...(opts.domain ? { domain: opts.domain } : {}),
      attribute: opts.attributes ?? [],
    }) as unknown as OnnxNode;
    this.nodeItems.push({ msg: node, raw: null, added: true });
    return node;
  }

  /**
   * Replace a node by the nodes of one of its graph attributes (an If branch), in place; the subgraph's outputs are
   * bound to the node's outputs by position (through Identity where the names differ) and its initializers become
   * graph initializers. Returns the inlined nodes.
   */
  inlineSubgraph(node: OnnxNode, attribute: string): OnnxNode[] {
    const k = this.nodeItems.findIndex((i) => i.msg === node);
    if (k < 0) throw new Error(`onnx: node ${node.name ?? node.op_type} is not in this graph`);
    const attr = node.attribute.find((a: any) => a.name === attribute);
    const sub = attr?.g;
    if (!sub) throw new Error(`onnx: node ${node.name ?? node.op_type} has no graph attribute ${attribute}`);
    if ((sub.input ?? []).length) throw new Error(`onnx: subgraph ${attribute} of ${node.name ?? node.op_type} has inputs; only If branches can be inlined`);
    const NodeT = onnxType('NodeProto');
    const nodes: OnnxNode[] = (sub.node ?? []).map((n: any) => NodeT.fromObject(NodeT.toObject(n)) as unknown as OnnxNode);
    const outs: string[] = (sub.output ?? []).map((o: any) => o.name);
    if (outs.length !== node.output.length) {
      throw new Error(`onnx: subgraph ${attribute} of ${node.name ?? node.op_type} has ${outs.length} outputs, the node ${node.output.length}`);
    }
    outs.forEach((o, j) => {
      if (o !== node.output[j] && node.output[j]) {
        nodes.push(NodeT.fromObject({ input: [o], output: [node.output[j]], name: `inline/Identity/${node.output[j]}`, op_type: 'Identity', attribute: [] }) as unknown as OnnxNode);
      }
    });
    const TensorT = onnxType('TensorProto');
    for (const t of sub.initializer ?? []) {
      const obj = TensorT.toObject(t, { bytes: Uint8Array as any });
      this.newInitializers.push(obj);
      this.initializers.set(t.name, { name: t.name, dims: (t.dims ?? []).map(Number), dataType: t.data_type ?? t.dataType, externalLocations: [] });
    }
    this.nodeItems.splice(k, 1, ...nodes.map((msg) => ({ msg, raw: null })));
    for (const vi of sub.value_info ?? sub.valueInfo ?? []) this.valueInfoItems.push({ msg: vi, raw: null });
    return nodes;
  }

  /** Remove a graph input (it must no longer be consumed). */
  removeInput(name: string): void {
    const k = this.inputItems.findIndex((i) => i.msg.name === name);
    if (k < 0) throw new Error(`onnx: no graph input ${name}`);
    if (this.nodeItems.some((i) => i.msg.input.includes(name))) throw new Error(`onnx: graph input ${name} is still consumed`);
    this.inputItems.splice(k, 1);
  }

  /** Add a graph input of a tensor type with the given dims. */
  addInput(name: string, elemType: number, dims: Dim[]): void {
    this.inputItems.push({ msg: makeValueInfo(name, elemType, dims), raw: null });
  }

  /** Add a graph output of a tensor type with the given dims (null dims are left unknown). */
  addOutput(name: string, elemType: number, dims: Dim[]): void {
    this.outputItems.push({ msg: makeValueInfo(name, elemType, dims), raw: null });
  }

  /** Add a small initializer from typed data (int64 as BigInt64Array, float as Float32Array). */
  addInitializer(name: string, dims: number[], data: Float32Array | BigInt64Array | Int32Array): void {
    const dataType = data instanceof Float32Array ? DataType.FLOAT : data instanceof BigInt64Array ? DataType.INT64 : DataType.INT32;
    const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.newInitializers.push({ name, dims, data_type: dataType, raw_data: raw });
    this.initializers.set(name, { name, dims, dataType, externalLocations: [], rawData: raw });
  }

  /**
   * Remove nodes, graph inputs/outputs, value_info entries and initializers by name (nodes by identity); removed
   * initializers' bytes are left out when the model is written.
   */
  remove(what: { nodes?: Set<OnnxNode>; inputs?: Set<string>; outputs?: Set<string>; valueInfo?: Set<string>; initializers?: Set<string> }): void {
    const keep = <T>(items: Item<T>[], drop: (m: T) => boolean): void => {
      const kept = items.filter((i) => !drop(i.msg));
      items.length = 0;
      items.push(...kept);
    };
    if (what.nodes) keep(this.nodeItems, (n) => what.nodes!.has(n));
    if (what.inputs) keep(this.inputItems, (v) => what.inputs!.has(v.name));
    if (what.outputs) keep(this.outputItems, (v) => what.outputs!.has(v.name));
    if (what.valueInfo) keep(this.valueInfoItems, (v) => what.valueInfo!.has(v.name));
    for (const name of what.initializers ?? []) {
      this.droppedInitializers.add(name);
      this.initializers.delete(name);
      const k = this.newInitializers.findIndex((t) => t.name === name);
      if (k >= 0) this.newInitializers.splice(k, 1);
    }
  }

  /** Serialized model as a list of byte chunks (views of the original buffer where unchanged; file ranges are read). */
  serialize(): Uint8Array[] {
    return this.serializeParts().map((p) => (p instanceof Uint8Array ? p : this.src.slice(p[0], p[1])));
  }

  /** Serialized model as new bytes and [start, end) ranges of the source (the untouched fields, weights included). */
  private serializeParts(): (Uint8Array | [number, number])[] {
    const NodeT = onnxType('NodeProto');
    const ViT = onnxType('ValueInfoProto');
    const TensorT = onnxType('TensorProto');
    const encodeItems = <T>(field: number, items: Item<T>[], type: { encode(m: any): { finish(): Uint8Array } }): Uint8Array[] => {
      const out: Uint8Array[] = [];
      for (const it of items) out.push(...lengthDelimited(field, it.raw ?? type.encode(it.msg).finish()));
      return out;
    };
    const orderedNodes = this.topoOrderedNodeItems();
    const groups: Record<number, () => Uint8Array[]> = {
      [NODE]: () => encodeItems(NODE, orderedNodes, NodeT),
      [INPUT]: () => encodeItems(INPUT, this.inputItems, ViT),
      [OUTPUT]: () => encodeItems(OUTPUT, this.outputItems, ViT),
      [VALUE_INFO]: () => encodeItems(VALUE_INFO, this.valueInfoItems, ViT),
    };
    const emitted = new Set<number>();
    const body: (Uint8Array | [number, number])[] = [];
    let lastInit = -1;
    for (let k = 0; k < this.graphFields.length; k++) if (this.graphFields[k].field === INITIALIZER) lastInit = k;
    const newInits = (): Uint8Array[] => {
      const out: Uint8Array[] = [];
      for (const t of this.newInitializers) out.push(...lengthDelimited(INITIALIZER, TensorT.encode(TensorT.fromObject(t)).finish()));
      return out;
    };
    for (let k = 0; k < this.graphFields.length; k++) {
      const f = this.graphFields[k];
      const group = groups[f.field];
      if (group) {
        if (!emitted.has(f.field)) {
          emitted.add(f.field);
          body.push(...group());
        }
      } else if (!(f.field === INITIALIZER && this.droppedInitializers.has(this.initializerNameAt.get(k)!))) {
        body.push([f.start, f.end]);
      }
      if (k === lastInit) body.push(...newInits());
    }
    for (const field of [NODE, INPUT, OUTPUT, VALUE_INFO]) if (!emitted.has(field)) body.push(...groups[field]());
    if (lastInit < 0) body.push(...newInits());
    const graphLen = body.reduce((a, b) => a + (b instanceof Uint8Array ? b.length : b[1] - b[0]), 0);
    const out: (Uint8Array | [number, number])[] = [];
    for (const f of this.modelFields) {
      if (f === this.graphField) out.push(varintBytes(7 * 8 + 2), varintBytes(graphLen), ...body);
      else out.push([f.start, f.end]);
    }
    return out;
  }

  /** Write the serialized model atomically to a file (weights are copied range by range, never held whole). */
  writeTo(path: string): void {
    const parts: (Uint8Array | [number, number])[] = [];
    for (const p of this.serializeParts()) {
      const last = parts[parts.length - 1];
      if (!(p instanceof Uint8Array) && last && !(last instanceof Uint8Array) && last[1] === p[0]) last[1] = p[1];
      else parts.push(p instanceof Uint8Array ? p : [p[0], p[1]]);
    }
    const src = this.src;
    if (src instanceof FileSource) {
      atomicWriteWith(path, (fd) => {
        for (const p of parts) {
          if (p instanceof Uint8Array) writeFileSync(fd, p);
          else src.copyTo(fd, p[0], p[1]);
        }
      });
    } else {
      atomicWriteFile(path, parts.map((p) => (p instanceof Uint8Array ? p : src.slice(p[0], p[1]))));
    }
  }

  /** Release the source file (for editors opened on a path). */
  close(): void {
    if (this.src instanceof FileSource) this.src.close();
  }

  /** Nodes ordered so that each added node follows the producers of its inputs (original nodes keep their order). */
  private topoOrderedNodeItems(): Item<OnnxNode>[] {
    const original = this.nodeItems.filter((i) => !i.added);
    const added = this.nodeItems.filter((i) => i.added);
    if (!added.length) return this.nodeItems;
    const out: Item<OnnxNode>[] = [];
    const available = new Set<string>();
    for (const i of this.inputItems) available.add(i.msg.name);
    for (const n of this.initializers.keys()) available.add(n);
    available.add('');
    let pending = added.slice();
    const flush = (): void => {
      let progress = true;
      while (progress && pending.length) {
        progress = false;
        const rest: Item<OnnxNode>[] = [];
        for (const it of pending) {
          if (it.msg.input.every((x) => available.has(x))) {
            out.push(it);
            for (const o of it.msg.output) available.add(o);
            progress = true;
          } else rest.push(it);
        }
        pending = rest;
      }
    };
    flush();
    for (const it of original) {
      out.push(it);
      for (const o of it.msg.output) available.add(o);
      flush();
    }
    out.push(...pending);
    return out;
  }
}

/** Build a tensor ValueInfoProto. */
export function makeValueInfo(name: string, elemType: number, dims: Dim[]): OnnxValueInfo {
  return onnxType('ValueInfoProto').fromObject({
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})) },
      },
    },
  }) as unknown as OnnxValueInfo;
}

/** Element type and dims declared by a ValueInfoProto (null when it is not a tensor). */
export function tensorTypeOf(vi: OnnxValueInfo): { elemType: number; dims: Dim[] } | null {
  const tt = vi.type?.tensor_type;
  if (!tt) return null;
  const dims: Dim[] = (tt.shape?.dim ?? []).map((d: any) =>
    d.value === 'dim_value' ? Number(d.dim_value) : d.value === 'dim_param' ? String(d.dim_param) : null);
  return { elemType: Number(tt.elem_type ?? 0), dims };
}

/** Build an integer attribute. */
export function intAttr(name: string, value: number): any {
  return { name, type: 2, i: value };
}

/** Concatenate byte chunks into one buffer. */
export function concatChunks(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
