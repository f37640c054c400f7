// Activation transfer: use vectors computed on model A in model B, directly (same hidden size, the study's
// Mistral → Llama-2) or through a least-squares / ridge linear map fitted on both models' activations of shared texts.
import { gemm64 } from '../linalg/gemm';
import { choleskySolve } from '../linalg/cholesky';
import type { Matrix } from '../util/matrix';
import { NORMALIZE, type NormalizeMode, type SteeringVectorSet } from './vectors';

/** What transferVectors needs to know about the target model. */
export interface TransferTarget {
  id: string;
  hiddenSize: number;
  numLayers: number;
  sourceHash?: string;
}

/** A linear map from model A's activation space to model B's: y ≈ x·W + bias. */
export interface LinearMap {
  /** Input (A) and output (B) sizes. */
  dIn: number;
  dOut: number;
  /** W as float64 row-major [dIn, dOut]. */
  W: Float64Array;
  /** Intercept [dOut] (zero when fitted without one). */
  bias: Float64Array;
  ridge: number;
  /** Rows the map was fitted on. */
  n: number;
  /** R² of the fit on its own rows (1 − SS_res / SS_tot over all output columns). */
  r2: number;
}

/** Move a vector set to another model with the same hidden size (the study's activation transfer); refuses a size mismatch. */
export function transferVectors(set: SteeringVectorSet, target: TransferTarget, opts: { layers?: number[] } = {}): SteeringVectorSet {
  const H = set.meta.hidden;
  if (target.hiddenSize !== H) {
    throw new Error(
      `transferVectors: hidden size mismatch: vectors from ${set.meta.model} have ${H} values, target ${target.id} has hidden size ${target.hiddenSize} ` +
      '(fit a linear map with fitLinearMap and use mapVectors instead)',
    );
  }
  const layers = (opts.layers ?? set.layers).slice().sort((a, b) => a - b);
  for (const l of layers) {
    if (!set.vectors.has(l)) throw new Error(`transferVectors: the set has no vector for layer ${l} (has ${set.layers.join(', ')})`);
    if (l >= target.numLayers) throw new Error(`transferVectors: layer ${l} does not exist in ${target.id} (${target.numLayers} layers)`);
  }
  const meta: SteeringVectorSet['meta'] = {
    ...set.meta,
    model: target.id,
    transferredFrom: { model: set.meta.model, ...(set.meta.modelHash ? { modelHash: set.meta.modelHash } : {}), hidden: H, method: 'direct' },
  };
  if (target.sourceHash) meta.modelHash = target.sourceHash; else delete meta.modelHash;
  return {
    meta,
    layers,
    vectors: new Map(layers.map((l) => [l, Float32Array.from(set.vectors.get(l)!)])),
    norms: new Map(layers.filter((l) => set.norms.has(l)).map((l) => [l, set.norms.get(l)!])),
  };
}

/**
 * Fit y ≈ x·W + b from paired rows (row i of X_A and X_B = the same text in models A and B): least squares, or ridge
 * with penalty `ridge`·‖W‖² (the intercept is not penalised; `intercept: false` fits through the origin). Solved
 * from the normal equations in float64 (Gram products on MLAS, Cholesky in JS: O(n·dA² + dA³)).
 */
export function fitLinearMap(X_A: Matrix, X_B: Matrix, opts: { ridge?: number; intercept?: boolean } = {}): LinearMap {
  const ridge = opts.ridge ?? 0;
  const intercept = opts.intercept ?? true;
  if (!(ridge >= 0) || !Number.isFinite(ridge)) throw new Error(`fitLinearMap: ridge must be ≥ 0, got ${ridge}`);
  if (X_A.rows !== X_B.rows) throw new Error(`fitLinearMap: X_A has ${X_A.rows} rows, X_B has ${X_B.rows} (rows must be the same texts)`);
  if (X_A.data.length !== X_A.rows * X_A.cols) throw new Error(`fitLinearMap: X_A data has ${X_A.data.length} values, shape is ${X_A.rows}×${X_A.cols}`);
  if (X_B.data.length !== X_B.rows * X_B.cols) throw new Error(`fitLinearMap: X_B data has ${X_B.data.length} values, shape is ${X_B.rows}×${X_B.cols}`);
  const n = X_A.rows, dA = X_A.cols, dB = X_B.cols;
  if (n < 1) throw new Error('fitLinearMap: no rows');
  if (ridge === 0 && n < dA + (intercept ? 1 : 0)) {
    throw new Error(`fitLinearMap: ${n} rows cannot determine a ${dA}-dimensional least-squares map; give more shared texts or a ridge > 0`);
  }
  const muA = new Float64Array(dA), muB = new Float64Array(dB);
  if (intercept) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dA; j++) muA[j] += X_A.data[i * dA + j];
      for (let j = 0; j < dB; j++) muB[j] += X_B.data[i * dB + j];
    }
    for (let j = 0; j < dA; j++) muA[j] /= n;
    for (let j = 0; j < dB; j++) muB[j] /= n;
  }
  const A = new Float64Array(n * dA), B = new Float64Array(n * dB);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dA; j++) A[i * dA + j] = X_A.data[i * dA + j] - muA[j];
    for (let j = 0; j < dB; j++) B[i * dB + j] = X_B.data[i * dB + j] - muB[j];
  }
  const G = gemm64(A, [n, dA], A, [n, dA], { transA: true }).data;
  for (let j = 0; j < dA; j++) G[j * dA + j] += ridge;
  const R = gemm64(A, [n, dA], B, [n, dB], { transA: true }).data;
  let W: Float64Array;
  try {
    W = choleskySolve(G, dA, R, dB);
  } catch (err) {
    throw new Error(`fitLinearMap: ${(err as Error).message}; the activations are rank-deficient — use a ridge > 0`);
  }
  const bias = new Float64Array(dB);
  if (intercept) {
    for (let c = 0; c < dB; c++) {
      let s = muB[c];
      for (let j = 0; j < dA; j++) s -= muA[j] * W[j * dB + c];
      bias[c] = s;
    }
  }
  // R² on the fitted rows
  const P = gemm64(A, [n, dA], W, [dA, dB]).data;
  let ssRes = 0, ssTot = 0;
  for (let i = 0; i < n * dB; i++) {
    const r = B[i] - P[i];
    ssRes += r * r;
    ssTot += B[i] * B[i];
  }
  return { dIn: dA, dOut: dB, W, bias, ridge, n, r2: ssTot > 0 ? 1 - ssRes / ssTot : 1 };
}

/**
 * Map a vector of model A's space into model B's: v·W. A steering vector is a difference of activations, so the
 * intercept cancels and is not added unless `affine` is set (for mapping an activation itself).
 */
export function applyLinearMap(map: LinearMap, vector: ArrayLike<number>, opts: { affine?: boolean } = {}): Float32Array {
  if (vector.length !== map.dIn) throw new Error(`applyLinearMap: vector has ${vector.length} values, the map takes ${map.dIn}`);
  const out = new Float64Array(map.dOut);
  for (let j = 0; j < map.dIn; j++) {
    const x = vector[j];
    if (x === 0) continue;
    const o = j * map.dOut;
    for (let c = 0; c < map.dOut; c++) out[c] += x * map.W[o + c];
  }
  if (opts.affine) for (let c = 0; c < map.dOut; c++) out[c] += map.bias[c];
  return Float32Array.from(out);
}

/**
 * Move a vector set to another model through per-layer linear maps (layer of A → same layer index of B unless
 * `layerMap` says otherwise). Vectors keep their normalisation: 'unit' sets are renormalised to norm 1 in B,
 * 'common' sets to the set's common norm; 'none' keeps the mapped vector as is.
 */
export function mapVectors(
  set: SteeringVectorSet, maps: Map<number, LinearMap>, target: TransferTarget, opts: { layerMap?: Map<number, number> } = {},
): SteeringVectorSet {
  const vectors = new Map<number, Float32Array>();
  const norms = new Map<number, number>();
  const layers: number[] = [];
  for (const l of set.layers) {
    const map = maps.get(l);
    if (!map) continue;
    if (map.dIn !== set.meta.hidden) throw new Error(`mapVectors: map of layer ${l} takes ${map.dIn} values, vectors have ${set.meta.hidden}`);
    if (map.dOut !== target.hiddenSize) throw new Error(`mapVectors: map of layer ${l} gives ${map.dOut} values, target ${target.id} has hidden size ${target.hiddenSize}`);
    const tl = opts.layerMap?.get(l) ?? l;
    if (tl >= target.numLayers) throw new Error(`mapVectors: target layer ${tl} does not exist in ${target.id} (${target.numLayers} layers)`);
    let v = applyLinearMap(map, set.vectors.get(l)!);
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    const want = (NORMALIZE[set.meta.normalize] as NormalizeMode).target(set.meta.commonNorm);
    if (want !== undefined && norm > 0) v = v.map((x) => (x * want) / norm);
    vectors.set(tl, v);
    norms.set(tl, norm);
    layers.push(tl);
  }
  if (!layers.length) throw new Error('mapVectors: no layer of the set has a map');
  const meta: SteeringVectorSet['meta'] = {
    ...set.meta,
    model: target.id,
    hidden: target.hiddenSize,
    transferredFrom: { model: set.meta.model, ...(set.meta.modelHash ? { modelHash: set.meta.modelHash } : {}), hidden: set.meta.hidden, method: 'linear-map' },
  };
  if (target.sourceHash) meta.modelHash = target.sourceHash; else delete meta.modelHash;
  return {
    meta,
    layers: layers.sort((a, b) => a - b),
    vectors,
    norms,
  };
}
