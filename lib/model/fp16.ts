import { DataType } from './onnx';

/* eslint-disable @typescript-eslint/no-explicit-any */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a number (round to nearest even; overflow to ±Inf; NaN kept). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  const rest = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  e = h >>> 10;
  return sign | h;
}

/** The number a binary16 bit pattern encodes. */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Float32 array → Uint16Array of binary16 bits (what onnxruntime-node takes for 'float16' tensors). */
export function toFloat16Array(a: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = float32ToFloat16Bits(a[i]);
  return out;
}

function convertTensor(t: any): void {
  if (Number(t.data_type) !== DataType.FLOAT) return;
  let values: Float32Array;
  if (t.raw_data && t.raw_data.length) {
    const raw: Uint8Array = t.raw_data;
    values = new Float32Array(Uint8Array.from(raw).buffer);
  } else {
    values = Float32Array.from(t.float_data ?? []);
    t.float_data = [];
  }
  const h = toFloat16Array(values);
  t.raw_data = new Uint8Array(h.buffer);
  t.data_type = DataType.FLOAT16;
}

/**
 * Convert a decoded fp32 ModelProto (decodeModel) in place into an all-float16 model like transformers.js'
 * model_fp16.onnx: float initializers and Constant tensors become float16, Cast-to-float becomes Cast-to-float16,
 * and float graph inputs/outputs/value_info become float16. Meant for small models and tests (it re-encodes weights).
 */
export function convertModelToFloat16(model: any): any {
  const g = model.graph;
  for (const t of g.initializer) convertTensor(t);
  for (const n of g.node) {
    for (const a of n.attribute ?? []) {
      if (a.name === 'to' && n.op_type === 'Cast' && Number(a.i) === DataType.FLOAT) a.i = DataType.FLOAT16;
      if (a.t) convertTensor(a.t);
    }
  }
  for (const v of [...g.input, ...g.output, ...(g.value_info ?? [])]) {
    const tt = v.type?.tensor_type;
    if (tt && Number(tt.elem_type) === DataType.FLOAT) tt.elem_type = DataType.FLOAT16;
  }
  return model;
}
