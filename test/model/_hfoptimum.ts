// Shared helpers for the tests on ../shared/models/hf-optimum: the real Optimum exports, their file variants and the
// golden values from the real transformers modeling code (see that folder's README).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../lib/util/npy';

export const HF_REL = 'models/hf-optimum';

/** A float32 .npy array: flat data and shape. */
export interface Arr { shape: number[]; data: Float32Array }

/** Read a float32 .npy file. */
export function npy(path: string): Arr {
  const a = readNpy(path);
  if (a.dtype !== '<f4') throw new Error(`${path}: expected float32, found ${a.dtype}`);
  return { shape: a.shape, data: a.data as Float32Array };
}

/** Entry `index` of the leading axis. */
export function slab(a: Arr, index: number): Float32Array {
  const size = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return a.data.subarray(index * size, (index + 1) * size);
}

/** The model folders under <root>/models, sorted. */
export function modelNames(root: string): string[] {
  const dir = join(root, 'models');
  return existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir, n, 'config.json'))).sort() : [];
}

/** Golden folder of an export folder: llama-legacy-merged, llama-nopast, llama-chat-zephyr → llama. */
export function goldenNameOf(model: string): string {
  return model.replace(/-(legacy-(merged|withpast|nopast)|nopast|chat-[a-z0-9]+)$/, '');
}

/** Base model of a variant folder: llama_gqa-q8 → llama_gqa. */
export function variantBase(variant: string): string {
  return variant.slice(0, variant.lastIndexOf('-'));
}

/** The one ONNX file inside a model folder's onnx/ (hooked copies excluded). */
export function onnxFile(modelDir: string): string {
  const files = readdirSync(join(modelDir, 'onnx')).filter((f) => f.endsWith('.onnx') && !f.includes('.hooked-'));
  if (files.length !== 1) throw new Error(`${modelDir}/onnx: expected one .onnx file, found ${files.join(', ') || 'none'}`);
  return files[0];
}

/** meta.json of a golden folder. */
export function meta(root: string, golden: string): any {
  return JSON.parse(readFileSync(join(root, 'golden', golden, 'meta.json'), 'utf8'));
}

/**
 * Largest excess of |actual − expected| over the tolerance abs + rel·|expected| (≤ 0 means within), and the plain max
 * abs difference, for reporting.
 */
export function excess(actual: ArrayLike<number>, expected: ArrayLike<number>, abs: number, rel: number): { worst: number; maxAbs: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = -Infinity;
  let maxAbs = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxAbs)) maxAbs = d; // NaN propagates
    const e = d - (abs + rel * Math.abs(expected[i]));
    if (!(e <= worst)) worst = e;
  }
  return { worst, maxAbs };
}

/** Greedy ids up to and including the first EOS. */
export function untilEos(ids: number[], eos: number[]): number[] {
  const k = ids.findIndex((x) => eos.includes(x));
  return k < 0 ? ids : ids.slice(0, k + 1);
}
