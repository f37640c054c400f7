// An A/B evaluation saved to one JSON file cell by cell (what `syco ab-eval` writes): rewritten after every finished
// (layer, multiplier) cell, so a re-run of the same command resumes where a crash left it; a file made with other
// settings is refused (naming each difference) unless overwrite is asked for.
import { existsSync } from 'node:fs';
import { atomicWriteJson, readJsonFile, sha256 } from '../util/fs';
import { acquireLock } from '../util/lock';
import { settingsKey } from '../util/results';
import type { HookedModel } from '../model/types';
import { abEvaluate, abPromptFormat, DEFAULT_AB_BATCH_TOKENS, type AbCell, type AbItem, type AbOptions, type AbResult } from './ab';
import { vectorDigest } from './vectors';

/** Format tag of the file (the fields of earlier files are all kept; this one and the resume fields are added). */
export const AB_EVAL_FORMAT = 'syco-ab-eval/1';

/** Settings that may differ on resume: they change how rows are batched, not what is computed (only the last bits). */
const FREE_SETTINGS = ['batch_size', 'batch_tokens'];

/** Options of abEvaluateToFile: abEvaluate's, the file, and the caller's settings to record (model, dataset, …). */
export interface AbFileOptions extends Omit<AbOptions, 'done' | 'onCell'> {
  /** The result file. */
  out: string;
  /** What the caller knows the result depends on (model, its sha256, vectors, dataset, …); recorded and compared. */
  settings: Record<string, unknown>;
  /** Discard an existing file made with other settings instead of refusing (default false). */
  overwrite?: boolean;
  /** Where resume notes go (default stderr; nothing when quiet). */
  log?: (line: string) => void;
}

/** The saved file. */
export interface AbEvalFile {
  kind: 'ab-eval';
  format: string;
  key: string;
  settings: Record<string, unknown>;
  /** True once every requested cell is in it. */
  complete: boolean;
  truncated_items: number;
  layers: number[];
  multipliers: number[];
  table: AbResult['table'];
  items: AbResult['items'];
  cells: AbCell[];
  /** Cells taken from the file as it was when this run started. */
  cells_resumed: number;
  /** Seconds of the run that last wrote the file. */
  seconds: number;
  created: string;
  updated: string;
}

/** Digest of the items' content (ids, questions and letters), so a changed dataset or --limit is noticed. */
export function abItemsDigest(items: readonly AbItem[]): string {
  return sha256(JSON.stringify(items.map((it) => [it.id, it.question, it.sycophantic, it.other ?? null]))).slice(0, 16);
}

const show = (v: unknown): string => (v === undefined ? '(not recorded)' : JSON.stringify(v));

/** The differences between two runs' settings that forbid re-using cells (vector digests compared per layer). */
export function abSettingsDifferences(prev: Record<string, unknown>, next: Record<string, unknown>): string[] {
  const diffs: string[] = [];
  for (const k of new Set([...Object.keys(prev), ...Object.keys(next)])) {
    if (FREE_SETTINGS.includes(k) || k === 'vector_sha256') continue;
    const a = JSON.stringify(prev[k]), b = JSON.stringify(next[k]);
    if (a !== b) diffs.push(`${k}: was ${show(prev[k])}, now ${show(next[k])}`);
  }
  const pv = (prev.vector_sha256 ?? {}) as Record<string, string>;
  const nv = (next.vector_sha256 ?? {}) as Record<string, string>;
  for (const [l, d] of Object.entries(nv)) if (pv[l] !== undefined && pv[l] !== d) diffs.push(`vector of layer ${l} changed (sha256 ${pv[l]} → ${d})`);
  return diffs;
}

/**
 * Run abEvaluate into `out`, one cell at a time: cells already in the file (same settings; the layer and multiplier
 * lists may differ) are re-used, each newly computed cell is saved at once, and the file ends `complete: true` holding
 * exactly the requested layers × multipliers. The file is locked (`<out>.lock`) while the evaluation runs.
 */
export async function abEvaluateToFile(model: HookedModel, opts: AbFileOptions): Promise<{ result: AbResult; resumed: number; file: AbEvalFile }> {
  const log = opts.quiet ? () => {} : opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const steerFrom = opts.steerFrom ?? 'all';
  const layers = opts.layers.slice().sort((a, b) => a - b);
  for (const l of layers) if (!opts.vectors.vectors.has(l)) throw new Error(`abEvaluate: the vector set has no vector for layer ${l} (has ${opts.vectors.layers.join(', ')})`);
  const settings: Record<string, unknown> = {
    ...opts.settings,
    format: abPromptFormat(model, opts.chat ?? 'auto'),
    steer_from: steerFrom,
    batch_size: opts.batchSize ?? null,
    batch_tokens: opts.batchTokens ?? null,
    max_tokens: opts.maxTokens ?? null,
    items_sha256: abItemsDigest(opts.items),
    vector_sha256: Object.fromEntries(layers.map((l) => [String(l), vectorDigest(opts.vectors.vectors.get(l)!)])),
  };
  const release = acquireLock(`${opts.out}.lock`, { what: 'A/B evaluation', guards: opts.out });
  try {
    let done: AbCell[] = [];
    let created = new Date().toISOString();
    if (existsSync(opts.out)) {
      const prev = readJsonFile<Partial<AbEvalFile>>(opts.out);
      if (!prev || prev.kind !== 'ab-eval' || !prev.settings || typeof prev.settings !== 'object') {
        throw new Error(`${opts.out}: exists and is not an A/B evaluation result (no "kind": "ab-eval" with settings); use another --out`);
      }
      const diffs = abSettingsDifferences(prev.settings, settings);
      if (diffs.length && !opts.overwrite) {
        throw new Error(`${opts.out}: holds an A/B evaluation made with other settings; refusing to mix them:\n  - ${diffs.join('\n  - ')}\n` +
          'Use another --out, or --overwrite to discard it.');
      }
      if (!diffs.length) {
        done = (prev.cells ?? []).filter((c) => layers.includes(c.layer) && opts.multipliers.includes(c.multiplier));
        const left = (prev.cells ?? []).length - done.length;
        if (done.length) log(`ab-eval: re-using ${done.length} finished cell${done.length === 1 ? '' : 's'} from ${opts.out}`);
        if (left > 0) log(`ab-eval: ${left} cell${left === 1 ? '' : 's'} of ${opts.out} for layers or multipliers not asked for this time ${left === 1 ? 'is' : 'are'} left out of it`);
        const batching = (s: Record<string, unknown>) => `batch size ${show(s.batch_size)}, batch tokens ${show(s.batch_tokens ?? (s.batch_size == null ? DEFAULT_AB_BATCH_TOKENS : null))}`;
        if (done.length && batching(prev.settings) !== batching(settings)) {
          log(`ab-eval: note: the re-used cells were computed with ${batching(prev.settings)}, the rest with ${batching(settings)}; they may differ in the last bits (padding changes the summation order)`);
        }
        if (typeof prev.created === 'string') created = prev.created;
      }
    }
    const key = settingsKey(Object.fromEntries(Object.entries(settings).filter(([k]) => !FREE_SETTINGS.includes(k) && k !== 'vector_sha256')));
    const toFile = (r: AbResult, complete: boolean): AbEvalFile => ({
      kind: 'ab-eval', format: AB_EVAL_FORMAT, key, settings, complete, truncated_items: r.truncated?.items ?? 0,
      layers: r.layers, multipliers: r.multipliers, table: r.table, items: r.items, cells: r.cells,
      cells_resumed: done.length, seconds: r.seconds, created, updated: new Date().toISOString(),
    });
    const result = await abEvaluate(model, { ...opts, done, onCell: (_c, sofar) => atomicWriteJson(opts.out, toFile(sofar, false)) });
    const file = toFile(result, true);
    atomicWriteJson(opts.out, file);
    return { result, resumed: done.length, file };
  } finally {
    release();
  }
}
