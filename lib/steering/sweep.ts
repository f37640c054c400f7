// Steered open-ended generation over layers × multipliers, saved in the study's results schema, resumable per file.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { HookedModel } from '../model/types';
import type { ModelText } from '../model/text';
import { encodeTemplated } from '../model/chat';
import { atomicWriteJson, ensureDir, readJsonFile, sha256 } from '../util/fs';
import { acquireLock } from '../util/lock';
import { Progress } from '../util/progress';
import { steeringAt, vectorDigest, type SteeringVectorSet } from './vectors';

/** The lock file a sweep holds in its output folder. */
export const SWEEP_LOCK = '.steer.lock';

/** The study's continuation appended to persona prompts before generating. */
export const I_THINK = ' I think';

/** One row of a results file (the study's schema; answer_control present when the sweep ran the 0 control). */
export interface SweepRecord {
  sentence: string;
  answer_plus: string;
  answer_minus: string;
  answer_control?: string;
}

/** Where steering starts: 'all' = every position (the study), 'generated' = only generated tokens (CAA-style). */
export type SteerFrom = 'all' | 'generated';

/** Options of steeringSweep. */
export interface SweepOptions {
  vectors: SteeringVectorSet;
  /** Layers to steer (each must have a vector). */
  layers: number[];
  /**
   * Multiplier magnitudes. Each non-zero value m gives the pair +m (answer_plus) / −m (answer_minus), whatever its sign;
   * the control (multiplier 0, answer_control) is generated unless `control` is false. So [m] = +m, −m and 0, and
   * [-m, 0, m] means the same. With one magnitude each layer writes `AT_sentence_results_<model>_<pairs>_<layer>.json`;
   * with several, one file per magnitude: `..._<layer>_m<magnitude>.json` (the judge reads the magnitude from the name).
   */
  multipliers: number[];
  prompts: string[];
  /** Tokens to generate per answer (default 40). */
  maxNewTokens?: number;
  /** Append the study's " I think" to every prompt (the "sentence" field keeps the prompt as given). Default false. */
  iThink?: boolean;
  /** Default 'all' (the study). */
  steerFrom?: SteerFrom;
  /** Wrap each prompt with the model's chat template (user turn + generation prompt); error when it has none. */
  chat?: boolean;
  /** Generate the multiplier-0 control (default true). */
  control?: boolean;
  outDir: string;
  /** Model name in file names (e.g. "llama2"). */
  modelTag: string;
  /** Pair count (or tag) in file names. */
  pairsTag: string | number;
  /** Greedy decoding (default true unless temperature > 0). */
  greedy?: boolean;
  temperature?: number;
  topP?: number;
  /** Sampling seed; prompt i uses seed + i so results do not depend on resume points. */
  seed?: number;
  /** Extra stop strings/ids passed to generate. */
  stop?: (number | string)[];
  /** When the settings differ from an existing manifest: false (default) refuses, true discards the old results. */
  overwrite?: boolean;
  /** Called after every generation. */
  onProgress?: (p: { done: number; total: number; layer: number }) => void;
  /** Called after each results file is durably written. */
  onFile?: (f: SweepFileEntry) => void;
  /** Stops the sweep between generations (it rejects with an AbortError; finished files stay). */
  signal?: AbortSignal;
  quiet?: boolean;
  progressStream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
}

/** One results file of a sweep, as listed in its manifest. */
export interface SweepFileEntry {
  file: string;
  layer: number;
  /** Magnitude m (answer_plus = +m, answer_minus = −m). */
  multiplier: number;
  model: string;
  pairs: string | number;
  n: number;
}

/** What a sweep call did. */
export interface SweepSummary {
  outDir: string;
  files: SweepFileEntry[];
  /** Files found finished and kept. */
  skippedFiles: string[];
  /** Files written by this call. */
  writtenFiles: string[];
  /** Generations run by this call. */
  generations: number;
  seconds: number;
  complete: boolean;
}

/** The study's results file name for one (model, pairs, layer), with a magnitude suffix when a sweep has several. */
export function resultsFileName(modelTag: string, pairsTag: string | number, layer: number, magnitude?: number): string {
  return `AT_sentence_results_${modelTag}_${pairsTag}_${layer}${magnitude === undefined ? '' : `_m${magnitude}`}.json`;
}

/** Magnitudes (unique |m| > 0, in order of first appearance) and whether 0 was listed. */
export function multiplierMagnitudes(multipliers: number[]): { magnitudes: number[]; zeroListed: boolean } {
  const magnitudes: number[] = [];
  let zeroListed = false;
  for (const m of multipliers) {
    if (!Number.isFinite(m)) throw new Error(`multipliers: ${m} is not a finite number`);
    if (m === 0) { zeroListed = true; continue; }
    const a = Math.abs(m);
    if (!magnitudes.includes(a)) magnitudes.push(a);
  }
  return { magnitudes, zeroListed };
}

/** The prompt text actually fed to the model for one sweep prompt. */
export function sweepPromptText(model: Pick<ModelText, 'id' | 'chatPrompt'>, prompt: string, opts: { chat?: boolean; iThink?: boolean }): string {
  let text = prompt;
  if (opts.chat) {
    const c = model.chatPrompt([{ role: 'user', content: prompt }], { addGenerationPrompt: true });
    if (c === null) throw new Error(`${model.id}: the model has no chat template (run without chat)`);
    text = c;
  }
  return opts.iThink ? text + I_THINK : text;
}

function abortError(signal: AbortSignal): Error {
  const e = new Error(`steering sweep aborted${signal.reason !== undefined ? `: ${String(signal.reason instanceof Error ? signal.reason.message : signal.reason)}` : ''}`);
  e.name = 'AbortError';
  return e;
}

/** A sweep's resolved options: the magnitudes, the control, the generation settings and where steering starts. */
interface SweepPlan {
  magnitudes: number[];
  control: boolean;
  maxNewTokens: number;
  temperature: number;
  greedy: boolean;
  steerFrom: SteerFrom;
  fromPosition: 'generated' | undefined;
}

/** Check a sweep's prompts, layers, vectors, tags and multipliers against the model and resolve its defaults. */
function resolveSweep(model: HookedModel, opts: SweepOptions): SweepPlan {
  const { vectors } = opts;
  if (!opts.prompts.length) throw new Error('steeringSweep: no prompts');
  opts.prompts.forEach((p, i) => {
    if (typeof p !== 'string' || !p.trim()) throw new Error(`steeringSweep: prompt ${i} is empty or not a string`);
  });
  if (!opts.layers.length) throw new Error('steeringSweep: no layers');
  for (const l of opts.layers) {
    if (!vectors.vectors.has(l)) throw new Error(`steeringSweep: the vector set has no vector for layer ${l} (has ${vectors.layers.join(', ')})`);
    if (!Number.isInteger(l) || l < 0 || l >= model.numLayers) throw new Error(`steeringSweep: layer ${l} out of range (model has ${model.numLayers} layers)`);
  }
  if (vectors.meta.hidden !== model.hiddenSize) {
    throw new Error(`steeringSweep: vectors have hidden size ${vectors.meta.hidden}, model ${model.id} has ${model.hiddenSize}`);
  }
  if (!/^[\w.\-]+$/.test(opts.modelTag)) throw new Error(`steeringSweep: modelTag "${opts.modelTag}" must be letters, digits, '.', '-' or '_' (it names files)`);
  if (!/^[\w.\-]+$/.test(String(opts.pairsTag))) throw new Error(`steeringSweep: pairsTag "${opts.pairsTag}" must be letters, digits, '.', '-' or '_' (it names files)`);
  const { magnitudes } = multiplierMagnitudes(opts.multipliers);
  if (!magnitudes.length) throw new Error(`steeringSweep: multipliers [${opts.multipliers.join(', ')}] hold no non-zero magnitude`);
  // 0 in the list is the control, which runs by default anyway; control: false turns it off.
  const control = opts.control ?? true;
  const maxNewTokens = opts.maxNewTokens ?? 40;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new Error(`steeringSweep: maxNewTokens must be a positive integer, got ${maxNewTokens}`);
  const temperature = opts.temperature ?? 0;
  const greedy = opts.greedy ?? !(temperature > 0);
  const steerFrom: SteerFrom = opts.steerFrom ?? 'all';
  if (steerFrom !== 'all' && steerFrom !== 'generated') throw new Error(`steeringSweep: steerFrom must be 'all' or 'generated', got "${steerFrom}"`);
  return { magnitudes, control, maxNewTokens, temperature, greedy, steerFrom, fromPosition: steerFrom === 'generated' ? 'generated' : undefined };
}

/** The settings that decide the content of every results file (saved in the manifest; a resumed run must match them). */
function sweepSettings(model: HookedModel, opts: SweepOptions, plan: SweepPlan) {
  const { vectors } = opts;
  const { magnitudes, control, maxNewTokens, temperature, greedy, steerFrom } = plan;
  return {
    model: model.id,
    model_sha256: model.sourceHash,
    model_tag: opts.modelTag,
    pairs_tag: opts.pairsTag,
    hook: vectors.meta.hook,
    normalize: vectors.meta.normalize,
    vectors: Object.fromEntries(opts.layers.map((l) => [String(l), vectorDigest(vectors.vectors.get(l)!)])),
    magnitudes,
    control,
    prompts_sha256: sha256(JSON.stringify(opts.prompts)),
    prompts: opts.prompts.length,
    max_new_tokens: maxNewTokens,
    i_think: Boolean(opts.iThink),
    steer_from: steerFrom,
    chat: Boolean(opts.chat),
    greedy,
    ...(greedy ? {} : { temperature, top_p: opts.topP ?? 1, seed: opts.seed ?? 0 }),
    stop: opts.stop ?? [],
  };
}

type SweepSettings = ReturnType<typeof sweepSettings>;

/**
 * What an earlier sweep in the folder left: the files it finished, when its settings match (its layers may differ;
 * the vector digests of layers it kept are added to `settings`). Other settings are refused, or with overwrite its
 * files are deleted and nothing is kept.
 */
function resumeSweep(outDir: string, manPath: string, settings: SweepSettings, opts: SweepOptions): { entries: SweepFileEntry[]; finished: Set<string> } {
  const entries: SweepFileEntry[] = [];
  const finished = new Set<string>();
  if (!existsSync(manPath)) return { entries, finished };
  let prev: { settings?: Record<string, unknown>; files?: SweepFileEntry[]; layers?: number[] } | null = null;
  let unreadable = '';
  try {
    prev = readJsonFile(manPath);
  } catch (err) {
    unreadable = (err as Error).message;
  }
  const diffs: string[] = [];
  if (!prev || !prev.settings) diffs.push(unreadable || `${manPath} has no settings`);
  else {
    // The layer list may grow or shrink between runs; every other setting must match.
    const keys = new Set([...Object.keys(settings), ...Object.keys(prev.settings)]);
    for (const k of keys) {
      if (k === 'vectors') continue;
      const a = JSON.stringify((prev.settings as Record<string, unknown>)[k]);
      const b = JSON.stringify((settings as Record<string, unknown>)[k]);
      if (a !== b) diffs.push(`${k}: was ${a}, now ${b}`);
    }
    const pv = (prev.settings.vectors ?? {}) as Record<string, string>;
    for (const l of opts.layers) if (pv[String(l)] !== undefined && pv[String(l)] !== settings.vectors[String(l)]) diffs.push(`vector of layer ${l} changed`);
  }
  if (diffs.length && !opts.overwrite) {
    throw new Error(`${outDir}: holds a sweep with other settings; use another --out or overwrite (this discards it):\n  ${diffs.join('\n  ')}`);
  }
  if (diffs.length) {
    for (const f of prev?.files ?? []) {
      try { unlinkSync(join(outDir, f.file)); } catch { /* already gone */ }
    }
    try { unlinkSync(join(outDir, 'control.json')); } catch { /* none */ }
  } else {
    for (const f of prev!.files ?? []) {
      if (existsSync(join(outDir, f.file))) {
        finished.add(f.file);
        entries.push(f);
      }
    }
    // keep the vector digests of layers kept from earlier runs
    const pv = (prev!.settings!.vectors ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(pv)) if (!(k in settings.vectors)) (settings.vectors as Record<string, string>)[k] = v;
  }
  return { entries, finished };
}

/** The key of the controls cache: the settings without the vectors (a control is unsteered, so any layer's vector shares it). */
function controlsKey(settings: SweepSettings): string {
  return sha256(JSON.stringify({ ...settings, vectors: null }));
}

/** The cached control answers (prompt index → text) of these settings; none when the cache is missing, unreadable or for other settings. */
function loadControls(ctlPath: string, settings: SweepSettings): Map<number, string> {
  const controls = new Map<number, string>();
  if (!existsSync(ctlPath)) return controls;
  try {
    const c = JSON.parse(readFileSync(ctlPath, 'utf8'));
    if (c.settings_sha256 === controlsKey(settings)) {
      for (const [k, v] of Object.entries(c.answers ?? {})) if (typeof v === 'string') controls.set(Number(k), v);
    }
  } catch { /* rebuilt by the sweep */ }
  return controls;
}

/**
 * For each layer and multiplier magnitude m, generate answers to every prompt steered with +m and −m (and the
 * unsteered control) and write them in the study's schema. Resumable per results file: finished files whose
 * manifest settings match are kept; a mismatch is refused (or, with overwrite, the old results are discarded).
 * Controls do not depend on the layer: they are generated once per prompt and cached in `control.json`.
 */
export async function steeringSweep(model: HookedModel, opts: SweepOptions): Promise<SweepSummary> {
  const t0 = Date.now();
  const { vectors, outDir } = opts;
  const plan = resolveSweep(model, opts);
  const { magnitudes, control, maxNewTokens, temperature, greedy, fromPosition } = plan;
  const texts = opts.prompts.map((p) => sweepPromptText(model, p, opts));
  // Templated prompts are encoded without added special tokens (the template writes its own BOS, as in HF).
  const inputs: (string | number[])[] = texts.map((t) => (opts.chat ? encodeTemplated(model, t) : t));

  // Settings that decide the content of every file (a resumed run must match them).
  const settings = sweepSettings(model, opts, plan);
  ensureDir(outDir);
  // One sweep per folder: a second process would generate every answer again and overwrite the same files.
  const release = acquireLock(join(outDir, SWEEP_LOCK), { what: 'steering sweep', guards: outDir });
  try {
    const manPath = join(outDir, 'manifest.json');
    const oneFile = magnitudes.length === 1;
    const fileOf = (layer: number, m: number) => resultsFileName(opts.modelTag, opts.pairsTag, layer, oneFile ? undefined : m);
    const { entries, finished } = resumeSweep(outDir, manPath, settings, opts);

    const writeManifest = (complete: boolean) => atomicWriteJson(manPath, {
      kind: 'steering-sweep',
      settings,
      layers: opts.layers,
      files: entries.slice().sort((a, b) => a.layer - b.layer || a.multiplier - b.multiplier),
      vectors_meta: vectors.meta,
      complete,
      updated: new Date().toISOString(),
    });

    // Controls cache (prompt index -> text), valid for these settings only.
    const ctlPath = join(outDir, 'control.json');
    const controls = control ? loadControls(ctlPath, settings) : new Map<number, string>();
    const saveControls = () => atomicWriteJson(ctlPath, { settings_sha256: controlsKey(settings), answers: Object.fromEntries([...controls.entries()].sort((a, b) => a[0] - b[0])) });

    const todoLayers = opts.layers.filter((l) => magnitudes.some((m) => !finished.has(fileOf(l, m))));
    const doneLayers = opts.layers.filter((l) => !todoLayers.includes(l));
    for (const l of doneLayers) for (const m of magnitudes) {
      const file = fileOf(l, m);
      if (!entries.some((e) => e.file === file)) entries.push({ file, layer: l, multiplier: m, model: opts.modelTag, pairs: opts.pairsTag, n: opts.prompts.length });
    }
    const skippedFiles = doneLayers.flatMap((l) => magnitudes.map((m) => fileOf(l, m)));
    const perLayer = (l: number) => magnitudes.filter((m) => !finished.has(fileOf(l, m))).length * 2 * opts.prompts.length;
    const total = todoLayers.reduce((a, l) => a + perLayer(l), 0) + (control ? opts.prompts.length - controls.size : 0);
    const prog = new Progress({ label: `steer ${opts.modelTag}`, total: Math.max(total, 0), quiet: opts.quiet, stream: opts.progressStream });
    let generations = 0;
    const writtenFiles: string[] = [];
    writeManifest(todoLayers.length === 0);

    const gen = async (i: number, layer: number, multiplier: number): Promise<string> => {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const res = await model.generate(inputs[i], {
        maxNewTokens,
        greedy,
        temperature: greedy ? undefined : temperature,
        topP: opts.topP,
        seed: (opts.seed ?? 0) + i,
        stop: opts.stop,
        steering: steeringAt(vectors, layer, multiplier, fromPosition),
      });
      generations++;
      prog.tick();
      opts.onProgress?.({ done: prog.done, total, layer });
      return res.text;
    };

    for (const layer of todoLayers) {
      const todoM = magnitudes.filter((m) => !finished.has(fileOf(layer, m)));
      const records = new Map<number, SweepRecord[]>(todoM.map((m) => [m, []]));
      for (let i = 0; i < opts.prompts.length; i++) {
        let ctl: string | undefined;
        if (control) {
          ctl = controls.get(i);
          if (ctl === undefined) {
            ctl = await gen(i, layer, 0);
            controls.set(i, ctl);
            saveControls();
          }
        }
        for (const m of todoM) {
          const plus = await gen(i, layer, m);
          const minus = await gen(i, layer, -m);
          const rec: SweepRecord = { sentence: opts.prompts[i], answer_plus: plus, answer_minus: minus };
          if (ctl !== undefined) rec.answer_control = ctl;
          records.get(m)!.push(rec);
        }
      }
      for (const m of todoM) {
        const file = fileOf(layer, m);
        atomicWriteJson(join(outDir, file), records.get(m)!);
        const entry: SweepFileEntry = { file, layer, multiplier: m, model: opts.modelTag, pairs: opts.pairsTag, n: opts.prompts.length };
        const k = entries.findIndex((e) => e.file === file);
        if (k >= 0) entries[k] = entry; else entries.push(entry);
        writtenFiles.push(file);
        writeManifest(false);
        opts.onFile?.(entry);
      }
    }
    prog.finish();
    writeManifest(true);
    return {
      outDir,
      files: entries.slice().sort((a, b) => a.layer - b.layer || a.multiplier - b.multiplier),
      skippedFiles,
      writtenFiles,
      generations,
      seconds: (Date.now() - t0) / 1000,
      complete: true,
    };
  } finally {
    release();
  }
}
