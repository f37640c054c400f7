// The study's parameters: defaults, overridden by SYCO_* environment variables, overridden by explicit values.
// Notebooks and `syco run` read the same settings, so a notebook runs on a 7B model at home and on stories260K in CI.
import { join, resolve } from 'node:path';
import type { HookName, Position } from '../model/types';
import type { ProbeKind } from '../probes/types';
import type { ProjectionMethod } from '../geometry/project';
import { projectRoot } from '../util/fs';

/** Every setting of one run of the study. */
export interface StudyConfig {
  /** Hub id or local model folder (transformers.js layout). SYCO_MODEL. */
  model: string;
  /** transformers.js dtype (fp32, fp16, q8, q4, ...). SYCO_DTYPE. */
  dtype: string;
  /** Explicit ONNX file inside onnx/ (overrides dtype). SYCO_MODEL_FILE. */
  modelFile?: string;
  /** Anthropic sycophancy data: a folder, a .jsonl file, a URL, or "upstream". SYCO_DATA. */
  data: string;
  /** Subsets to use (default: all the source holds). SYCO_SUBSETS (comma list). */
  subsets?: string[];
  /** Pair format: the study's `sentence` format or letter answers `ab`. SYCO_FORMAT. */
  format: 'sentence' | 'ab';
  /** Pairs sampled for the study (seeded). SYCO_PAIRS. */
  pairs: number;
  /** Fraction of pairs held out for probe testing and the A/B evaluation. SYCO_TEST_FRAC. */
  testFrac: number;
  /** Layers captured ('all' or a list). SYCO_LAYERS ("all", "0-4", "1,3,5"). */
  layers: number[] | 'all';
  /** Token position captured per text (the study: -2, the answer letter / last word). SYCO_POSITION. */
  position: Position;
  /** Hooks captured. SYCO_HOOKS. */
  hooks: HookName[];
  /** Texts per forward pass. SYCO_BATCH. */
  batchSize: number;
  /** Projection methods of the geometry stage. SYCO_METHODS. */
  methods: ProjectionMethod[];
  /** t-SNE iterations (the study: 300). SYCO_TSNE_ITERATIONS. */
  tsneIterations: number;
  /** Probe kinds. SYCO_PROBES. */
  probes: ProbeKind[];
  /** Layers steered ('auto' = three layers around two thirds of the depth). SYCO_STEER_LAYERS. */
  steerLayers: number[] | 'auto';
  /** Steering multipliers: each m > 0 gives +m and −m, 0 is the control. SYCO_MULTIPLIERS. */
  multipliers: number[];
  /** Vector normalisation: 'unit' (the study), 'common' (CAA), 'none'. SYCO_NORMALIZE. */
  normalize: 'unit' | 'common' | 'none';
  /** Open-ended prompt list (JSON list or text file); default the project's persona prompts. SYCO_PROMPTS. */
  prompts?: string;
  /** Prompts used from the list. SYCO_PROMPT_LIMIT. */
  promptLimit: number;
  /** New tokens per steered answer. SYCO_MAX_NEW_TOKENS. */
  maxNewTokens: number;
  /** CAA A/B test set for the behavioural evaluation (JSON); default none (held-out Anthropic A/B pairs only). SYCO_AB_DATASET. */
  abDataset?: string;
  /** Held-out Anthropic A/B items evaluated. SYCO_AB_ITEMS. */
  abItems: number;
  /** Judge backend (openai, anthropic, local) or none. SYCO_JUDGE. */
  judge?: 'openai' | 'anthropic' | 'local';
  /** Judge model. SYCO_JUDGE_MODEL. */
  judgeModel?: string;
  /** Judge server base URL. SYCO_JUDGE_URL. */
  judgeBaseUrl?: string;
  /** Seed of sampling, splits and embeddings. SYCO_SEED. */
  seed: number;
  /** Where runs go (a run is a timestamped folder inside). SYCO_RUNS. */
  runsDir: string;
  /** ONNX Runtime threads. SYCO_THREADS. */
  threads?: number;
}

/** The default model: a small instruction-tuned Llama-family model transformers.js runs on a laptop CPU. */
export const DEFAULT_MODEL = 'HuggingFaceTB/SmolLM2-135M-Instruct';

/** Defaults of every setting (before environment variables). */
export function defaultStudyConfig(): StudyConfig {
  return {
    model: DEFAULT_MODEL,
    dtype: 'fp32',
    data: 'upstream',
    format: 'sentence',
    pairs: 200,
    testFrac: 0.2,
    layers: 'all',
    position: -2,
    hooks: ['resid', 'mlp'],
    batchSize: 16,
    methods: ['pca', 'tsne', 'umap'],
    tsneIterations: 300,
    probes: ['lr', 'mm', 'mm-iid', 'ccs'],
    steerLayers: 'auto',
    multipliers: [2, 0],
    normalize: 'common',
    promptLimit: 10,
    maxNewTokens: 24,
    abItems: 50,
    seed: 0,
    runsDir: join(projectRoot(), 'runs'),
  };
}

const PROJECTIONS: readonly string[] = ['pca', 'tsne', 'umap', 'lle', 'spectral'];
const PROBES: readonly string[] = ['lr', 'lr-recipe', 'mm', 'mm-iid', 'ccs'];
const HOOKS: readonly string[] = ['resid', 'mlp', 'attn'];

function bad(name: string, value: string, want: string): Error {
  return new Error(`${name}="${value}": expected ${want}`);
}

function int(name: string, value: string, min = -Infinity): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw bad(name, value, `an integer${min > -Infinity ? ` ≥ ${min}` : ''}`);
  return n;
}

function num(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw bad(name, value, 'a number');
  return n;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly string[]): T {
  if (!allowed.includes(value)) throw bad(name, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

/** Parse a layer list: "all", a range "2-5", a list "1,3,5", or a mix "0-2,7". */
export function parseLayerSpec(name: string, value: string): number[] | 'all' {
  const v = value.trim();
  if (v === 'all') return 'all';
  const out: number[] = [];
  for (const part of list(v)) {
    const m = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (m) {
      const a = Number(m[1]), b = Number(m[2]);
      if (b < a) throw bad(name, value, 'ranges written low-high, e.g. 2-5');
      for (let l = a; l <= b; l++) out.push(l);
    } else {
      out.push(int(name, part, 0));
    }
  }
  if (!out.length) throw bad(name, value, '"all", a range like 2-5 or a list like 1,3,5');
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Study settings from SYCO_* environment variables (unset ones keep their defaults), then explicit overrides. */
export function studyConfig(overrides: Partial<StudyConfig> = {}, env: Record<string, string | undefined> = process.env): StudyConfig {
  const c = defaultStudyConfig();
  const e = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  let v: string | undefined;
  if ((v = e('SYCO_MODEL'))) c.model = v;
  if ((v = e('SYCO_DTYPE'))) c.dtype = v;
  if ((v = e('SYCO_MODEL_FILE'))) c.modelFile = v;
  if ((v = e('SYCO_DATA'))) c.data = v;
  if ((v = e('SYCO_SUBSETS'))) c.subsets = list(v);
  if ((v = e('SYCO_FORMAT'))) c.format = oneOf<'sentence' | 'ab'>('SYCO_FORMAT', v, ['sentence', 'ab']);
  if ((v = e('SYCO_PAIRS'))) c.pairs = int('SYCO_PAIRS', v, 4);
  if ((v = e('SYCO_TEST_FRAC'))) {
    c.testFrac = num('SYCO_TEST_FRAC', v);
    if (!(c.testFrac > 0 && c.testFrac < 1)) throw bad('SYCO_TEST_FRAC', v, 'a fraction between 0 and 1');
  }
  if ((v = e('SYCO_LAYERS'))) c.layers = parseLayerSpec('SYCO_LAYERS', v);
  if ((v = e('SYCO_POSITION'))) c.position = v === 'mean' ? 'mean' : int('SYCO_POSITION', v);
  if ((v = e('SYCO_HOOKS'))) c.hooks = list(v).map((h) => oneOf<HookName>('SYCO_HOOKS', h, HOOKS));
  if ((v = e('SYCO_BATCH'))) c.batchSize = int('SYCO_BATCH', v, 2);
  if ((v = e('SYCO_METHODS'))) c.methods = list(v).map((m) => oneOf<ProjectionMethod>('SYCO_METHODS', m, PROJECTIONS));
  if ((v = e('SYCO_TSNE_ITERATIONS'))) c.tsneIterations = int('SYCO_TSNE_ITERATIONS', v, 250);
  if ((v = e('SYCO_PROBES'))) c.probes = list(v).map((p) => oneOf<ProbeKind>('SYCO_PROBES', p, PROBES));
  if ((v = e('SYCO_STEER_LAYERS'))) {
    const s = v === 'auto' ? 'auto' : parseLayerSpec('SYCO_STEER_LAYERS', v);
    if (s === 'all') throw bad('SYCO_STEER_LAYERS', v, '"auto", a range or a list (not all)');
    c.steerLayers = s;
  }
  if ((v = e('SYCO_MULTIPLIERS'))) c.multipliers = list(v).map((m) => num('SYCO_MULTIPLIERS', m));
  if ((v = e('SYCO_NORMALIZE'))) c.normalize = oneOf<'unit' | 'common' | 'none'>('SYCO_NORMALIZE', v, ['unit', 'common', 'none']);
  if ((v = e('SYCO_PROMPTS'))) c.prompts = v;
  if ((v = e('SYCO_PROMPT_LIMIT'))) c.promptLimit = int('SYCO_PROMPT_LIMIT', v, 1);
  if ((v = e('SYCO_MAX_NEW_TOKENS'))) c.maxNewTokens = int('SYCO_MAX_NEW_TOKENS', v, 1);
  if ((v = e('SYCO_AB_DATASET'))) c.abDataset = v;
  if ((v = e('SYCO_AB_ITEMS'))) c.abItems = int('SYCO_AB_ITEMS', v, 0);
  if ((v = e('SYCO_JUDGE'))) {
    if (v !== 'none') c.judge = oneOf<'openai' | 'anthropic' | 'local'>('SYCO_JUDGE', v, ['openai', 'anthropic', 'local']);
  }
  if ((v = e('SYCO_JUDGE_MODEL'))) c.judgeModel = v;
  if ((v = e('SYCO_JUDGE_URL'))) c.judgeBaseUrl = v;
  if ((v = e('SYCO_SEED'))) c.seed = int('SYCO_SEED', v);
  if ((v = e('SYCO_RUNS'))) c.runsDir = resolve(v);
  if ((v = e('SYCO_THREADS'))) c.threads = int('SYCO_THREADS', v, 1);
  const out = { ...c, ...Object.fromEntries(Object.entries(overrides).filter(([, x]) => x !== undefined)) } as StudyConfig;
  validateStudyConfig(out);
  return out;
}

/** Check settings that must hold together; throws naming the setting at fault. */
export function validateStudyConfig(c: StudyConfig): void {
  if (!c.model) throw new Error('study config: model is empty (set --model or SYCO_MODEL)');
  if (!c.data) throw new Error('study config: data is empty (set --data or SYCO_DATA)');
  if (!Number.isInteger(c.pairs) || c.pairs < 4) throw new Error(`study config: pairs must be an integer ≥ 4, got ${c.pairs}`);
  if (!c.hooks.includes('resid')) throw new Error('study config: hooks must include resid (steering vectors and probes read it)');
  if (!c.multipliers.length) throw new Error('study config: multipliers is empty');
  for (const m of c.multipliers) if (!Number.isFinite(m)) throw new Error(`study config: multiplier ${m} is not a number`);
}

/** The signed multipliers a sweep runs: +m and −m for each m ≠ 0, and 0 (the control), sorted. */
export function signedMultipliers(multipliers: number[]): number[] {
  const s = new Set<number>([0]);
  for (const m of multipliers) {
    if (m !== 0) {
      s.add(Math.abs(m));
      s.add(-Math.abs(m));
    }
  }
  return [...s].sort((a, b) => a - b);
}

/** The steered layers: the configured list, or three layers around two thirds of the depth ('auto'). */
export function resolveSteerLayers(c: Pick<StudyConfig, 'steerLayers'>, captured: number[]): number[] {
  if (c.steerLayers !== 'auto') {
    for (const l of c.steerLayers) {
      if (!captured.includes(l)) throw new Error(`study config: steer layer ${l} was not captured (captured: ${captured.join(', ')})`);
    }
    return c.steerLayers;
  }
  if (captured.length <= 3) return [...captured];
  const centre = Math.round((captured.length - 1) * (2 / 3));
  const lo = Math.max(0, Math.min(captured.length - 3, centre - 1));
  return captured.slice(lo, lo + 3);
}

/** A short name for the model in file names (folder basename or hub id's last part, filesystem-safe). */
export function modelTag(model: string): string {
  const base = model.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? model;
  return base.replace(/[^A-Za-z0-9._-]+/g, '-') || 'model';
}
