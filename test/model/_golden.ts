// Shared helpers for the stories260K golden tests: golden JSON files and lazily loaded hooked models.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { sharedAsset } from '../helpers';
import { loadHookedModel, type HookedModel } from '../../lib/model/index';

export const MODEL_REL = 'models/stories260K-onnx';
export const GOLDEN_REL = 'models/stories260K-golden';
export const PROMPTS = ['p0', 'p1', 'p2', 'p3', 'p4'];

/** A golden array: shape and flat float32 data. */
export interface GoldenArray { shape: number[]; data: Float32Array }

/** Read a golden JSON file; arrays become float32 data. Returns null when the test was skipped. */
export function golden(t: TestContext, name: string): any | null {
  const dir = sharedAsset(t, GOLDEN_REL);
  if (!dir) return null;
  const j = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  const fix = (o: any): any => {
    if (o && typeof o === 'object' && Array.isArray(o.shape) && Array.isArray(o.data)) return { shape: o.shape, data: Float32Array.from(o.data) };
    if (o && typeof o === 'object') for (const k of Object.keys(o)) o[k] = fix(o[k]);
    return o;
  };
  return fix(j);
}

const cache = new Map<string, Promise<HookedModel>>();

/** The stories260K hooked model ('model.onnx' or 'model_fused.onnx'), loaded once per process; null if skipped. */
export async function stories(t: TestContext, file = 'model.onnx'): Promise<HookedModel | null> {
  const dir = sharedAsset(t, MODEL_REL);
  if (!dir) return null;
  if (!cache.has(file)) cache.set(file, loadHookedModel(dir, { modelFileName: file, threads: 1 }));
  return cache.get(file)!;
}

/** Rows [from, to) of a [rows, cols] flat array (for slicing [layers, S, H] golden arrays). */
export function slab(a: Float32Array, index: number, size: number): Float32Array {
  return a.subarray(index * size, (index + 1) * size);
}
