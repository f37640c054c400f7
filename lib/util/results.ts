// Saved results, one format for every stage and CLI command: a JSON file holding the settings the result depends on and
// their key (a hash), then either the whole result (`result`) or per-layer entries (`layers`, rewritten after each layer so
// an interrupted computation resumes). A result is re-used only when it was saved for the same settings.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { atomicWriteJson, ensureDir, sha256 } from './fs';

/** A hash of the settings a saved result depends on. */
export function settingsKey(value: unknown): string {
  return sha256(JSON.stringify(value)).slice(0, 16);
}

/** A saved result file: `{format, key, settings, result}` (the one format every stage result and CLI command writes). */
export interface SavedResult<J> {
  format?: string;
  key: string;
  settings: unknown;
  result: J;
}

/** Converts a result that is not plain JSON (typed arrays) to and from its saved form. */
export interface ResultCodec<T, J> {
  save(v: T): J;
  load(j: J): T;
}

/** Read a saved result file when it was saved for these settings (else undefined). */
export function loadResult<T, J = T>(file: string, settings: unknown, codec?: ResultCodec<T, J>): T | undefined {
  if (!existsSync(file)) return undefined;
  let doc: SavedResult<J>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as SavedResult<J>;
  } catch (err) {
    throw new Error(`${file}: unreadable result (${(err as Error).message}); delete it to recompute`);
  }
  if (doc.key !== settingsKey(settings)) return undefined;
  return codec ? codec.load(doc.result) : (doc.result as unknown as T);
}

/** Save a result atomically in the one result format. */
export function saveResult<T, J = T>(file: string, settings: unknown, result: T, codec?: ResultCodec<T, J>, format?: string): void {
  ensureDir(dirname(file));
  const doc: SavedResult<J> = { ...(format ? { format } : {}), key: settingsKey(settings), settings, result: codec ? codec.save(result) : (result as unknown as J) };
  atomicWriteJson(file, doc);
}

/** A result computed once: read from `file` when saved for the same settings, else computed and saved. */
export async function savedResult<T, J = T>(file: string, settings: unknown, compute: () => Promise<T> | T, codec?: ResultCodec<T, J>): Promise<T> {
  const hit = loadResult(file, settings, codec);
  if (hit !== undefined) return hit;
  const result = await compute();
  saveResult(file, settings, result, codec);
  return result;
}

/**
 * A per-layer result file (what `syco geometry`, `syco probe` and the Study's geometry and probes stages write):
 * `{format, key, settings, complete, created, layers: [...], ...extra}`, rewritten after each layer so an interrupted
 * run resumes after its last finished layer.
 */
export interface LayeredFile<L extends { layer: number }> {
  format: string;
  key: string;
  settings: unknown;
  complete: boolean;
  created: string;
  layers: L[];
  [extra: string]: unknown;
}

/** Read a per-layer result file, checking its shape (errors name the file). */
export function readLayered<L extends { layer: number }>(file: string, format?: string): LayeredFile<L> {
  let doc: LayeredFile<L>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as LayeredFile<L>;
  } catch (err) {
    throw new Error(`${file}: unreadable result (${(err as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.layers)) throw new Error(`${file}: not a per-layer result (no "layers" list)`);
  if (format && doc.format !== format) throw new Error(`${file}: format is ${String(doc.format)}, expected ${format}`);
  return doc;
}

/** Options of layeredResult. */
export interface LayeredOptions<L extends { layer: number }> {
  format: string;
  /** What the results depend on, without the layer list (finished layers are re-used for the same settings). */
  settings: unknown;
  layers: readonly number[];
  /** Fields written beside the layers (e.g. pair ids). */
  extra?: Record<string, unknown>;
  /** Re-use finished layers of an earlier file with the same settings (default true). */
  resume?: boolean;
  /** Compute the missing layers, calling `done` once per finished layer. */
  compute: (todo: number[], done: (entry: L) => void) => Promise<void> | void;
}

/** Per-layer results computed once: finished layers saved for the same settings are re-used, the rest computed and saved after each. */
export async function layeredResult<L extends { layer: number }>(file: string, opts: LayeredOptions<L>): Promise<{ layers: L[]; resumed: number }> {
  const key = settingsKey(opts.settings);
  const done = new Map<number, L>();
  if (opts.resume !== false && existsSync(file)) {
    const prev = readLayered<L>(file);
    if (prev.key === key && prev.format === opts.format) for (const l of prev.layers) if (opts.layers.includes(l.layer)) done.set(l.layer, l);
  }
  const resumed = done.size;
  const write = (complete: boolean): void => {
    ensureDir(dirname(file));
    const layers = opts.layers.filter((l) => done.has(l)).map((l) => done.get(l)!);
    const doc: LayeredFile<L> = { format: opts.format, key, settings: opts.settings, complete, created: new Date().toISOString(), ...opts.extra, layers };
    atomicWriteJson(file, doc);
  };
  const todo = opts.layers.filter((l) => !done.has(l));
  if (todo.length) {
    await opts.compute(todo, (entry) => {
      done.set(entry.layer, entry);
      write(false);
    });
    const missing = todo.filter((l) => !done.has(l));
    if (missing.length) throw new Error(`${file}: layers ${missing.join(', ')} were not computed`);
  }
  write(true);
  return { layers: opts.layers.map((l) => done.get(l)!), resumed };
}
