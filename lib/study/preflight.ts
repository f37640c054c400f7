// Checks before compute: everything a run needs that can be checked in seconds — data, model config and graph,
// layers, the judge's key and endpoint — is checked before the first stage runs and before the run folder is written,
// so a mistake is found at once instead of after an hour of extraction. Every problem found is listed in one error.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAnthropicSycophancy, type LoadSycophancyResult } from '../datasets/index';
import type { ModelText } from '../model/text';
import { resolveSteerLayers, type StudyConfig } from './config';
import { prepareStudyData, studyPrompts, type PreparedData } from './data';

/** What the checks found out (used by the run; the model facts avoid loading the model twice). */
export interface PreflightReport {
  /** Decoder blocks of the model's hooked graph. */
  numLayers: number;
  /** Layers the run captures. */
  layers: number[];
  /** Layers it steers. */
  steerLayers: number[];
  /** Rows of sycophancy data found. */
  rows: number;
  /** The data stage's result prepared from the data the checks loaded (the run's data stage re-uses it). */
  data?: PreparedData;
  /** The longest text of the sampled pairs, in tokens, and the model's context (undefined: its config does not say). */
  context?: { longest: number; limit: number | undefined; truncated: number };
  /** Seconds the checks took. */
  seconds: number;
}

/** Options of preflight. */
export interface PreflightOptions {
  /** The layer static figures show (--figure-layer), checked against the captured layers. */
  figureLayer?: number;
  /** Environment to read judge keys from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Milliseconds to wait for a server to answer (default 5000). */
  timeoutMs?: number;
  /** Skip the judge endpoint reachability check (keys are still checked). */
  skipReachability?: boolean;
}

/** The failed checks of a run, one per line; thrown before anything is computed or written. */
export class PreflightError extends Error {
  override name = 'PreflightError';
  constructor(readonly problems: string[]) {
    super(`checks before compute failed (nothing was computed or written):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** True for errors of a connection that never got an answer (refused, unknown host, timeout, reset). */
export function isNetworkError(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: any = err; e && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|ENETUNREACH|EHOSTUNREACH|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)$/.test(String(e.code ?? ''))) return true;
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || /fetch failed|getaddrinfo|network/i.test(String(e.message ?? ''))) return true;
  }
  return false;
}

function cause(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e: any = err; e && !seen.has(e) && parts.length < 3; e = e.cause) {
    seen.add(e);
    parts.push(e.name === 'TimeoutError' ? 'no answer in time' : String(typeof e.code === 'string' ? e.code : (e.message ?? e)).split('\n')[0]);
  }
  return parts.join(': ');
}

/** Whether a server answers at all (any HTTP status counts; no credentials are sent). */
async function reachable(url: string, timeoutMs: number): Promise<string | null> {
  try {
    await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    return null;
  } catch (err) {
    return cause(err);
  }
}

function isLocalPath(s: string): boolean {
  return !/^https?:\/\//.test(s) && s !== 'upstream';
}

/** The hub transformers.js downloads from ($HF_ENDPOINT when set). */
export function hubHost(env: Record<string, string | undefined> = process.env): string {
  return (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/?$/, '/');
}

async function checkData(cfg: StudyConfig, problems: string[]): Promise<LoadSycophancyResult | null> {
  if (isLocalPath(cfg.data) && !existsSync(resolve(cfg.data))) {
    problems.push(`--data ${cfg.data}: no such file or folder (${resolve(cfg.data)})`);
    return null;
  }
  for (const [flag, p] of [['--ab-dataset', cfg.abDataset], ['--prompts', cfg.prompts]] as const) {
    if (p && !existsSync(resolve(p))) problems.push(`${flag} ${p}: no such file (${resolve(p)})`);
  }
  try {
    const loaded = await loadAnthropicSycophancy({ source: cfg.data, subsets: cfg.subsets });
    if (loaded.rows.length < 4) problems.push(`--data ${cfg.data}: only ${loaded.rows.length} usable rows`);
    return loaded;
  } catch (err) {
    if (isNetworkError(err)) {
      problems.push(`--data ${cfg.data}: cannot reach the download server (${cause(err)}); pass a local folder of the Anthropic sycophancy .jsonl files (--data <dir>, or set SYCO_DATA)`);
    } else problems.push(`--data ${cfg.data}: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
}

async function checkModel(cfg: StudyConfig, problems: string[]): Promise<{ numLayers: number; text: ModelText } | null> {
  const { isLocalModel, loadConfigAndTokenizer, resolveOnnxFile, resolveModelFile, onnxFileName } = await import('../model/resolve');
  const { modelText } = await import('../model/text');
  const local = isLocalModel(cfg.model);
  try {
    onnxFileName(cfg.dtype, cfg.modelFile);
    const { config, tokenizer } = await loadConfigAndTokenizer(cfg.model, local);
    const file = await resolveOnnxFile(cfg.model, config, cfg.dtype, cfg.modelFile);
    const source = await resolveModelFile(cfg.model, file, { localOnly: local });
    if (statSync(source).size === 0) throw new Error(`${source} is empty`);
    const { prepareHookedGraph, defaultCacheDir } = await import('../model/hooked');
    const prepared = await prepareHookedGraph(source, { ...config }, defaultCacheDir(),
      local ? undefined : (f) => resolveModelFile(cfg.model, `onnx/${f}`, { localOnly: false }));
    return { numLayers: prepared.info.numLayers, text: modelText(local ? resolve(cfg.model) : cfg.model, tokenizer, config) };
  } catch (err) {
    if (!local && isNetworkError(err)) {
      problems.push(`--model ${cfg.model}: cannot reach the hub (${hubHost()}: ${cause(err)}); pass a local folder (--model <dir>, or set SYCO_MODEL) or set HF_ENDPOINT to a reachable mirror`);
    } else {
      problems.push(`--model ${cfg.model}: ${(err as Error).message.split('\n')[0]}`);
    }
    return null;
  }
}

function checkLayers(cfg: StudyConfig, numLayers: number, opts: PreflightOptions, problems: string[]): { layers: number[]; steer: number[] } {
  const all = Array.from({ length: numLayers }, (_, i) => i);
  const layers = cfg.layers === 'all' ? all : cfg.layers;
  const outside = layers.filter((l) => l >= numLayers);
  if (outside.length) problems.push(`--layers: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} past the model's last layer (${numLayers} layers: 0–${numLayers - 1})`);
  const captured = layers.filter((l) => l < numLayers);
  let steer: number[] = [];
  try {
    steer = resolveSteerLayers(cfg, captured);
  } catch (err) {
    problems.push(`--steer-layers: ${(err as Error).message.replace(/^study config: /, '')}`);
  }
  if (opts.figureLayer !== undefined && !captured.includes(opts.figureLayer)) {
    problems.push(`--figure-layer ${opts.figureLayer} is not a captured layer (captured: ${captured.join(', ') || 'none'})`);
  }
  return { layers: captured, steer };
}

/**
 * Every text the run feeds the model must fit its context (or be cut to --max-tokens): the sampled pairs (activations),
 * the held-out and CAA A/B prompts, and each steering prompt plus --max-new-tokens. Returns the prepared data stage.
 */
async function checkTexts(cfg: StudyConfig, text: ModelText, loaded: LoadSycophancyResult, problems: string[]): Promise<{ data?: PreparedData; context?: PreflightReport['context'] }> {
  const first = (err: unknown) => (err as Error).message;
  let data: PreparedData;
  try {
    data = prepareStudyData(cfg, loaded);
  } catch (err) {
    problems.push(`--data ${cfg.data}: ${first(err).replace(/^data: /, '')}`);
    return {};
  }
  const { checkPairsContext } = await import('../activations/context');
  let context: PreflightReport['context'];
  try {
    const c = checkPairsContext(text, data.data.pairs, `--data ${cfg.data}`, cfg.maxTokens);
    context = { longest: c.longest, limit: c.limit, truncated: c.truncated };
  } catch (err) {
    problems.push(first(err));
  }
  const { abItemsFromPairs, loadAbItems, prepareAbItems } = await import('../steering/ab');
  const { fitAbPrompts } = await import('../steering/ab-context');
  const sets: [string, () => ReturnType<typeof abItemsFromPairs>][] = [];
  if (data.data.abHeldOut.length) sets.push([`--data ${cfg.data} (held-out A/B items)`, () => abItemsFromPairs(data.data.abHeldOut)]);
  if (cfg.abDataset && existsSync(resolve(cfg.abDataset))) sets.push([`--ab-dataset ${cfg.abDataset}`, () => loadAbItems(cfg.abDataset!).items]);
  for (const [what, items] of sets) {
    try {
      fitAbPrompts(prepareAbItems(text, items()), text.maxPositions, cfg.maxTokens);
    } catch (err) {
      problems.push(`${what}: ${first(err)}`);
    }
  }
  if (text.maxPositions !== undefined && (!cfg.prompts || existsSync(resolve(cfg.prompts)))) {
    const { sweepPromptText } = await import('../steering/sweep');
    try {
      const over = studyPrompts(cfg).map((p, i) => ({ i, n: text.encode(sweepPromptText(text, p, { iThink: true })).length }))
        .filter(({ n }) => n + cfg.maxNewTokens > text.maxPositions!);
      if (over.length) {
        problems.push(`${cfg.prompts ? `--prompts ${cfg.prompts}` : 'steering prompts'}: ${over.length} prompt(s) plus --max-new-tokens ${cfg.maxNewTokens} do not fit the model's context of ` +
          `${text.maxPositions} positions: ${over.slice(0, 5).map(({ i, n }) => `prompt ${i} has ${n} tokens`).join(', ')}${over.length > 5 ? ', …' : ''}; use shorter prompts or fewer --max-new-tokens`);
      }
    } catch (err) {
      problems.push(`${cfg.prompts ? `--prompts ${cfg.prompts}` : 'steering prompts'}: ${first(err)}`);
    }
  }
  return { data, context };
}

const DEFAULT_JUDGE_URL = { openai: 'https://api.openai.com/v1', anthropic: 'https://api.anthropic.com/v1' } as const;

async function checkJudge(cfg: StudyConfig, opts: PreflightOptions, problems: string[]): Promise<void> {
  const env = opts.env ?? process.env;
  const set = (k: string) => (env[k] ?? '').trim() !== '';
  if (!cfg.judge) return;
  if (cfg.judge === 'local') {
    if (cfg.judgeModel && (cfg.judgeModel.startsWith('.') || cfg.judgeModel.startsWith('/')) && !existsSync(join(resolve(cfg.judgeModel), 'config.json'))) {
      problems.push(`--judge-model ${cfg.judgeModel}: not a transformers.js model folder (no ${join(resolve(cfg.judgeModel), 'config.json')})`);
    }
    return;
  }
  if (cfg.judge === 'openai' && !set('OPENAI_API_KEY') && !cfg.judgeBaseUrl) {
    problems.push('--judge openai: OPENAI_API_KEY is not set; set it in the environment, or pass --judge-url <server> for a server that needs no key (e.g. --judge-url http://localhost:11434/v1 for Ollama)');
    return;
  }
  if (cfg.judge === 'anthropic' && !set('ANTHROPIC_API_KEY')) {
    problems.push('--judge anthropic: ANTHROPIC_API_KEY is not set; set it in the environment (or pass --judge-url for a compatible server and set the key it expects)');
    return;
  }
  if (opts.skipReachability) return;
  const url = cfg.judgeBaseUrl ?? DEFAULT_JUDGE_URL[cfg.judge];
  const why = await reachable(`${url.replace(/\/+$/, '')}/models`, opts.timeoutMs ?? 5000);
  if (why) problems.push(`--judge ${cfg.judge}: cannot reach the judge at ${url} (${why}); check ${cfg.judgeBaseUrl ? '--judge-url' : 'the network, or pass --judge-url'}`);
}

/**
 * Check data, model (config, ONNX file and hooked graph), layers, every text against the model's context (pairs, A/B
 * prompts, steering prompts) and the judge (key, endpoint) before any stage runs;
 * throws one PreflightError listing every problem. Writes nothing into the run folder (the model's hooked graph is
 * prepared into the model cache, as the first stage would).
 */
export async function preflight(cfg: StudyConfig, opts: PreflightOptions = {}): Promise<PreflightReport> {
  const t0 = performance.now();
  const problems: string[] = [];
  // Cheapest first (no model, no network): the judge's key and the paths given; stop there when any is wrong.
  await checkJudge(cfg, { ...opts, skipReachability: true }, problems);
  if (isLocalPath(cfg.data) && !existsSync(resolve(cfg.data))) problems.push(`--data ${cfg.data}: no such file or folder (${resolve(cfg.data)})`);
  const { isLocalModel } = await import('../model/resolve');
  if (isLocalModel(cfg.model) && !existsSync(join(resolve(cfg.model), 'config.json'))) {
    problems.push(`--model ${cfg.model}: ${existsSync(resolve(cfg.model)) ? `no config.json in ${resolve(cfg.model)} (not a transformers.js model folder)` : `no such folder (${resolve(cfg.model)})`}`);
  }
  if (problems.length) throw new PreflightError(problems);
  const loaded = await checkData(cfg, problems);
  const model = await checkModel(cfg, problems);
  const { layers, steer } = model === null ? { layers: [], steer: [] } : checkLayers(cfg, model.numLayers, opts, problems);
  // Texts longer than the model's context are refused here, before the run folder is written (not at the first forward pass).
  const texts = loaded && model ? await checkTexts(cfg, model.text, loaded, problems) : {};
  if (!problems.some((p) => p.startsWith('--judge'))) await checkJudge(cfg, opts, problems);
  if (problems.length) throw new PreflightError(problems);
  return {
    numLayers: model?.numLayers ?? 0, layers, steerLayers: steer, rows: loaded?.rows.length ?? 0, data: texts.data, context: texts.context,
    seconds: (performance.now() - t0) / 1000,
  };
}
