// Checks before compute: everything a run needs that can be checked in seconds — data, model config and graph,
// layers, the judge's key and endpoint — is checked before the first stage runs and before the run folder is written,
// so a mistake is found at once instead of after an hour of extraction. Every problem found is listed in one error.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAnthropicSycophancy } from '../datasets/index';
import { resolveSteerLayers, type StudyConfig } from './config';

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

async function checkData(cfg: StudyConfig, problems: string[]): Promise<number> {
  if (isLocalPath(cfg.data) && !existsSync(resolve(cfg.data))) {
    problems.push(`--data ${cfg.data}: no such file or folder (${resolve(cfg.data)})`);
    return 0;
  }
  for (const [flag, p] of [['--ab-dataset', cfg.abDataset], ['--prompts', cfg.prompts]] as const) {
    if (p && !existsSync(resolve(p))) problems.push(`${flag} ${p}: no such file (${resolve(p)})`);
  }
  try {
    const loaded = await loadAnthropicSycophancy({ source: cfg.data, subsets: cfg.subsets });
    if (loaded.rows.length < 4) problems.push(`--data ${cfg.data}: only ${loaded.rows.length} usable rows`);
    return loaded.rows.length;
  } catch (err) {
    if (isNetworkError(err)) {
      problems.push(`--data ${cfg.data}: cannot reach the download server (${cause(err)}); pass a local folder of the Anthropic sycophancy .jsonl files (--data <dir>, or set SYCO_DATA)`);
    } else problems.push(`--data ${cfg.data}: ${(err as Error).message.split('\n')[0]}`);
    return 0;
  }
}

async function checkModel(cfg: StudyConfig, problems: string[]): Promise<number | null> {
  const { isLocalModel, loadConfigAndTokenizer, resolveOnnxFile, resolveModelFile, onnxFileName } = await import('../model/resolve');
  const local = isLocalModel(cfg.model);
  try {
    onnxFileName(cfg.dtype, cfg.modelFile);
    const { config } = await loadConfigAndTokenizer(cfg.model, local);
    const file = await resolveOnnxFile(cfg.model, config, cfg.dtype, cfg.modelFile);
    const source = await resolveModelFile(cfg.model, file, { localOnly: local });
    if (statSync(source).size === 0) throw new Error(`${source} is empty`);
    const { prepareHookedGraph, defaultCacheDir } = await import('../model/hooked');
    const prepared = await prepareHookedGraph(source, { ...config }, defaultCacheDir(),
      local ? undefined : (f) => resolveModelFile(cfg.model, `onnx/${f}`, { localOnly: false }));
    return prepared.info.numLayers;
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
 * Check data, model (config, ONNX file and hooked graph), layers and the judge (key, endpoint) before any stage runs;
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
  const rows = await checkData(cfg, problems);
  const numLayers = await checkModel(cfg, problems);
  const { layers, steer } = numLayers === null ? { layers: [], steer: [] } : checkLayers(cfg, numLayers, opts, problems);
  if (!problems.some((p) => p.startsWith('--judge'))) await checkJudge(cfg, opts, problems);
  if (problems.length) throw new PreflightError(problems);
  return { numLayers: numLayers ?? 0, layers, steerLayers: steer, rows, seconds: (performance.now() - t0) / 1000 };
}
