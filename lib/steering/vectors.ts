// Contrastive steering vectors: per layer, the mean of the per-pair differences (sycophantic − not) read from an
// activation run, optionally unit-normalised (the study) or rescaled to one common norm across layers (CAA).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivationStore } from '../activations/store';
import type { HookName, SteeringVector } from '../model/types';
import { atomicWriteJson, ensureDir, sha256 } from '../util/fs';
import { assertFiniteVector } from '../util/matrix';
import { cosineMatrix } from '../linalg/cosine';
import { readNpy, writeNpy } from '../util/npy';

/** One way of scaling a set's vectors: what it is, and the norm each vector is scaled to (undefined: left as is). */
export interface NormalizeMode {
  help: string;
  /** Target norm of every vector, given the set's common norm (undefined: no rescaling). */
  target: (commonNorm: number | undefined) => number | undefined;
}

/**
 * Every normalisation, in CLI order: the one place a mode is named (`Normalize`, `NORMALIZE_MODES`, the CLI and
 * settings text derive from it; computeVectors and mapVectors scale by its target).
 */
export const NORMALIZE = {
  none: { help: 'raw mean difference', target: () => undefined },
  unit: { help: 'L2 norm 1, the study', target: () => 1 },
  common: { help: 'one norm for every layer, by default their mean raw norm, CAA', target: (commonNorm) => commonNorm },
} as const satisfies Record<string, NormalizeMode>;

/** How vectors are scaled: 'none' = raw mean difference, 'unit' = L2 norm 1 (the study), 'common' = one norm for all layers (CAA). */
export type Normalize = keyof typeof NORMALIZE;

/** The normalisations computeVectors knows. */
export const NORMALIZE_MODES = Object.keys(NORMALIZE) as readonly Normalize[];

/** What a vector set was computed from. */
export interface VectorSetMeta {
  /** Model id (hub id or folder) the activations came from. */
  model: string;
  /** SHA-256 of the model's ONNX file. */
  modelHash?: string;
  hook: HookName;
  /** Dataset source of the activation run. */
  dataset: string;
  /** Number of pairs averaged. */
  pairs: number;
  normalize: Normalize;
  /** The common norm used by normalize 'common'. */
  commonNorm?: number;
  hidden: number;
  /** Captured token position of the activation run. */
  position?: number | 'mean';
  /** Activation run folder. */
  source?: string;
  /** Set when the vectors were moved to another model by transferVectors / a linear map. */
  transferredFrom?: { model: string; modelHash?: string; hidden: number; method: 'direct' | 'linear-map' };
  [extra: string]: unknown;
}

/** Steering vectors per layer with their provenance and raw (pre-normalisation) norms. */
export interface SteeringVectorSet {
  meta: VectorSetMeta;
  /** Layers in ascending order. */
  layers: number[];
  /** The vector of each layer (float32, length = hidden), after normalisation. */
  vectors: Map<number, Float32Array>;
  /** L2 norm of each layer's raw mean difference (before normalisation). */
  norms: Map<number, number>;
}

/** Options of computeVectors. */
export interface ComputeVectorsOptions {
  /** Hook of the activation run (default 'resid'). */
  hook?: HookName;
  /** Layers (default every layer of the run). */
  layers?: number[];
  /** Default 'unit' (the study). */
  normalize?: Normalize;
  /** Target norm for 'common' (default: mean raw norm over the selected layers). */
  commonNorm?: number;
  /** Use only these pair ids (error when an id is not in the run). */
  pairIds?: string[];
  /** Use only these 0-based rows of the run. */
  rows?: number[];
}

/** Scale a float64 vector to float32, multiplying by s. */
function scaled(v: Float64Array, s: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * s;
  return out;
}

/** Per layer, the mean of (pos − neg) over the pairs of an activation run, normalised as asked. */
export function computeVectors(store: ActivationStore, opts: ComputeVectorsOptions = {}): SteeringVectorSet {
  const hook: HookName = opts.hook ?? 'resid';
  if (!store.hooks.includes(hook)) throw new Error(`${store.dir}: hook "${hook}" not captured (has ${store.hooks.join(', ')})`);
  const layers = (opts.layers ?? store.layers).slice().sort((a, b) => a - b);
  if (!layers.length) throw new Error(`${store.dir}: no layers selected`);
  for (const l of layers) if (!store.layers.includes(l)) throw new Error(`${store.dir}: layer ${l} not captured (has ${store.layers.join(', ')})`);
  if (new Set(layers).size !== layers.length) throw new Error(`computeVectors: layers repeat (${layers.join(', ')})`);
  const normalize = opts.normalize ?? 'unit';
  if (!Object.hasOwn(NORMALIZE, normalize)) throw new Error(`computeVectors: normalize must be one of ${NORMALIZE_MODES.join(', ')}, got "${normalize}"`);
  const n = store.pairs;
  if (n < 1) throw new Error(`${store.dir}: no pairs written yet`);
  let rows: number[];
  if (opts.pairIds && opts.rows) throw new Error('computeVectors: give pairIds or rows, not both');
  if (opts.pairIds) {
    const index = new Map(store.pairIds.map((id, i) => [id, i]));
    rows = opts.pairIds.map((id) => {
      const i = index.get(id);
      if (i === undefined) throw new Error(`${store.dir}: pair id "${id}" is not among the ${n} written pairs`);
      return i;
    });
  } else if (opts.rows) {
    rows = opts.rows.map((r) => {
      if (!Number.isInteger(r) || r < 0 || r >= n) throw new Error(`${store.dir}: row ${r} out of range [0, ${n})`);
      return r;
    });
  } else {
    rows = Array.from({ length: n }, (_, i) => i);
  }
  if (!rows.length) throw new Error(`${store.dir}: no pairs selected`);
  const H = store.hiddenSize;
  const means = new Map<number, Float64Array>();
  const norms = new Map<number, number>();
  for (const layer of layers) {
    const d = store.diff(hook, layer);
    const acc = new Float64Array(H);
    for (const r of rows) {
      const o = r * H;
      for (let j = 0; j < H; j++) acc[j] += d.data[o + j];
    }
    for (let j = 0; j < H; j++) acc[j] /= rows.length;
    let s = 0;
    for (let j = 0; j < H; j++) s += acc[j] * acc[j];
    const norm = Math.sqrt(s);
    if (!Number.isFinite(norm)) throw new Error(`${store.dir}: ${hook} layer ${layer}: mean difference is not finite`);
    if (normalize !== 'none' && norm === 0) throw new Error(`${store.dir}: ${hook} layer ${layer}: mean difference is zero; cannot normalise (use normalize 'none')`);
    means.set(layer, acc);
    norms.set(layer, norm);
  }
  let commonNorm: number | undefined;
  if (normalize === 'common') {
    commonNorm = opts.commonNorm ?? layers.reduce((a, l) => a + norms.get(l)!, 0) / layers.length;
    if (!(commonNorm > 0) || !Number.isFinite(commonNorm)) throw new Error(`computeVectors: commonNorm must be a positive number, got ${commonNorm}`);
  }
  const vectors = new Map<number, Float32Array>();
  for (const layer of layers) {
    const m = means.get(layer)!;
    const norm = norms.get(layer)!;
    const target = (NORMALIZE[normalize] as NormalizeMode).target(commonNorm);
    const s = target === undefined ? 1 : target / norm;
    vectors.set(layer, scaled(m, s));
  }
  const man = store.manifest;
  const meta: VectorSetMeta = {
    model: man.model?.id ?? 'unknown',
    hook,
    dataset: man.dataset?.source ?? 'unknown',
    pairs: rows.length,
    normalize,
    hidden: H,
    position: store.position,
    source: store.dir,
  };
  if (man.model?.sha256) meta.modelHash = man.model.sha256;
  if (commonNorm !== undefined) meta.commonNorm = commonNorm;
  return { meta, layers, vectors, norms };
}

/** File names of one layer's vector and sidecar inside a vectors folder. */
export function vectorFileNames(layer: number): { npy: string; json: string } {
  return { npy: `vector.L${layer}.npy`, json: `vector.L${layer}.json` };
}

/** Identifier of a vectors folder's manifest. */
export const VECTORS_FORMAT = 'syco-steering-vectors';

/** Write a vector set: vector.L<l>.npy (float32 [hidden]) + vector.L<l>.json sidecar per layer, then manifest.json (all atomic). */
export function saveVectors(dir: string, set: SteeringVectorSet): void {
  checkSet(set);
  ensureDir(dir);
  const files: { layer: number; npy: string; json: string; sha256: string }[] = [];
  for (const layer of set.layers) {
    const v = set.vectors.get(layer)!;
    const names = vectorFileNames(layer);
    writeNpy(join(dir, names.npy), v, [v.length]);
    const digest = sha256(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    atomicWriteJson(join(dir, names.json), {
      model: set.meta.model,
      ...(set.meta.modelHash ? { modelHash: set.meta.modelHash } : {}),
      layer,
      hook: set.meta.hook,
      dataset: set.meta.dataset,
      pairs: set.meta.pairs,
      norm: set.norms.get(layer) ?? null,
      vector_norm: Math.sqrt(v.reduce((a, x) => a + x * x, 0)),
      normalize: set.meta.normalize,
      ...(set.meta.commonNorm !== undefined ? { commonNorm: set.meta.commonNorm } : {}),
      hidden: v.length,
      sha256: digest,
    });
    files.push({ layer, ...names, sha256: digest });
  }
  atomicWriteJson(join(dir, 'manifest.json'), {
    format: VECTORS_FORMAT,
    version: 1,
    meta: set.meta,
    layers: set.layers,
    norms: Object.fromEntries(set.layers.map((l) => [String(l), set.norms.get(l) ?? null])),
    files,
    created: new Date().toISOString(),
  });
}

function checkSet(set: SteeringVectorSet): void {
  if (!set.layers.length) throw new Error('vector set: no layers');
  const H = set.meta.hidden;
  for (const l of set.layers) {
    const v = set.vectors.get(l);
    if (!v) throw new Error(`vector set: layer ${l} has no vector`);
    if (v.length !== H) throw new Error(`vector set: layer ${l} vector has ${v.length} values, meta.hidden is ${H}`);
  }
}

/** Load a vectors folder written by saveVectors (optionally some layers), validating every file. */
export function loadVectors(dir: string, opts: { layers?: number[] } = {}): SteeringVectorSet {
  const mpath = join(dir, 'manifest.json');
  if (!existsSync(mpath)) throw new Error(`${dir}: not a vectors folder (no manifest.json; write one with saveVectors or \`syco vectors\`)`);
  let man: { format?: string; meta?: VectorSetMeta; layers?: unknown; norms?: Record<string, number | null> };
  try {
    man = JSON.parse(readFileSync(mpath, 'utf8'));
  } catch (err) {
    throw new Error(`${mpath}: invalid JSON (${(err as Error).message})`);
  }
  if (man.format !== VECTORS_FORMAT) throw new Error(`${mpath}: not a steering-vectors manifest (format ${JSON.stringify(man.format)}, expected "${VECTORS_FORMAT}")`);
  if (!man.meta || typeof man.meta !== 'object') throw new Error(`${mpath}: missing field "meta"`);
  if (!Array.isArray(man.layers) || !man.layers.every((l) => Number.isInteger(l) && l >= 0)) throw new Error(`${mpath}: field "layers" must be a list of 0-based layer indices`);
  const have = man.layers as number[];
  const layers = (opts.layers ?? have).slice().sort((a, b) => a - b);
  for (const l of layers) if (!have.includes(l)) throw new Error(`${dir}: no vector for layer ${l} (has layers ${have.join(', ')})`);
  const H = man.meta.hidden;
  if (!Number.isInteger(H) || H < 1) throw new Error(`${mpath}: meta.hidden must be a positive integer, got ${JSON.stringify(H)}`);
  const vectors = new Map<number, Float32Array>();
  const norms = new Map<number, number>();
  for (const layer of layers) {
    const names = vectorFileNames(layer);
    const npyPath = join(dir, names.npy);
    const jsonPath = join(dir, names.json);
    if (!existsSync(npyPath)) throw new Error(`${npyPath}: missing vector file for layer ${layer}`);
    const a = readNpy(npyPath);
    if (a.dtype !== '<f4' && a.dtype !== '<f8') throw new Error(`${npyPath}: layer ${layer}: expected float32, found dtype ${a.dtype}`);
    if (a.shape.length !== 1 || a.shape[0] !== H) throw new Error(`${npyPath}: layer ${layer}: expected shape [${H}], found [${a.shape.join(', ')}]`);
    const v = Float32Array.from(a.data as Float32Array | Float64Array);
    assertFiniteVector(`${npyPath}: layer ${layer}`, v);
    if (existsSync(jsonPath)) {
      let side: { layer?: unknown; hidden?: unknown; norm?: unknown };
      try {
        side = JSON.parse(readFileSync(jsonPath, 'utf8'));
      } catch (err) {
        throw new Error(`${jsonPath}: invalid JSON (${(err as Error).message})`);
      }
      if (side.layer !== layer) throw new Error(`${jsonPath}: sidecar says layer ${JSON.stringify(side.layer)}, file name says ${layer}`);
      if (side.hidden !== H) throw new Error(`${jsonPath}: layer ${layer}: sidecar hidden ${JSON.stringify(side.hidden)} differs from the manifest's ${H}`);
      if (typeof side.norm === 'number') norms.set(layer, side.norm);
    }
    if (!norms.has(layer) && typeof man.norms?.[String(layer)] === 'number') norms.set(layer, man.norms[String(layer)]!);
    vectors.set(layer, v);
  }
  return { meta: man.meta, layers, vectors, norms };
}

/** A short SHA-256 digest of a vector's float32 bytes (keys saved results to the exact vector used). */
export function vectorDigest(v: Float32Array): string {
  return sha256(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).slice(0, 16);
}

/** Cosine similarity of every pair of layer vectors: {layers, matrix[i][j] = cos(v_layers[i], v_layers[j])}. */
export function vectorCosineMatrix(set: SteeringVectorSet): { layers: number[]; matrix: number[][] } {
  const layers = set.layers.slice();
  const vs = layers.map((l) => {
    const v = set.vectors.get(l);
    if (!v) throw new Error(`vectorCosineMatrix: layer ${l} has no vector`);
    return v;
  });
  return { layers, matrix: cosineMatrix(vs) };
}

/** The SteeringVector (for HookedModel.generate/run) of one layer of a set at a multiplier. */
export function steeringAt(set: SteeringVectorSet, layer: number, multiplier: number, fromPosition?: number | 'generated'): SteeringVector[] {
  const v = set.vectors.get(layer);
  if (!v) throw new Error(`vector set has no vector for layer ${layer} (has ${set.layers.join(', ')})`);
  if (multiplier === 0) return [];
  return [{ layer, vector: v, multiplier, ...(fromPosition !== undefined ? { fromPosition } : {}) }];
}
