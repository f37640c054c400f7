// The saved form of per-layer projections (the `layers` of a syco-geometry/1 file, written by `syco geometry` and the
// Study's geometry stage alike) and the reader the figure builders use.
import { readLayered } from '../util/results';
import { matrix } from '../util/matrix';
import type { LayerProjection } from './project';

/** The format name of per-layer projection files. */
export const GEOMETRY_FORMAT = 'syco-geometry/1';

/** One layer's projection as JSON: coordinates one row per point (7 significant digits), labels and pair indices. */
export interface SavedLayerProjection {
  layer: number;
  hook: LayerProjection['hook'];
  method: LayerProjection['method'];
  of: LayerProjection['of'];
  n: number;
  info: Record<string, unknown>;
  coords: number[][];
  labels: number[];
  pair: number[];
}

/** Round a float32 coordinate to 7 significant digits for compact JSON. */
function r7(v: number): number {
  return Number(v.toPrecision(7));
}

/** A projection in its saved form. */
export function toSavedProjection(p: LayerProjection): SavedLayerProjection {
  const coords: number[][] = [];
  for (let i = 0; i < p.coords.rows; i++) {
    const row: number[] = [];
    for (let a = 0; a < p.coords.cols; a++) row.push(r7(p.coords.data[i * p.coords.cols + a]));
    coords.push(row);
  }
  return { layer: p.layer, hook: p.hook, method: p.method, of: p.of, n: p.coords.rows, info: p.info, coords, labels: Array.from(p.labels), pair: Array.from(p.pair) };
}

/** A saved projection back as a LayerProjection (what the figure builders take). */
export function fromSavedProjection(s: SavedLayerProjection, fallback: { method?: LayerProjection['method']; of?: LayerProjection['of'] } = {}): LayerProjection {
  const rows = s.coords.length;
  const cols = rows ? s.coords[0].length : 0;
  const data = new Float32Array(rows * cols);
  s.coords.forEach((row, i) => data.set(row, i * cols));
  return {
    layer: s.layer, hook: s.hook, method: s.method ?? fallback.method, of: s.of ?? fallback.of ?? 'both', coords: matrix(rows, cols, data),
    labels: Uint8Array.from(s.labels), pair: Int32Array.from(s.pair), info: s.info ?? {},
  } as LayerProjection;
}

/** Read a syco-geometry/1 file (from `syco geometry` or a run folder's geometry/) as LayerProjections. */
export function readProjections(file: string): LayerProjection[] {
  const doc = readLayered<SavedLayerProjection>(file, GEOMETRY_FORMAT);
  const s = doc.settings as { method?: LayerProjection['method']; of?: LayerProjection['of'] } | undefined;
  return doc.layers.map((l) => fromSavedProjection(l, { method: s?.method, of: s?.of }));
}
