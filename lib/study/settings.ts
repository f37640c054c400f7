// The study's settings, one row each: config key, environment variable, CLI flag, parser, default, help, and the
// stages whose saved results depend on it. The config type, the defaults, the SYCO_* parsing, `syco run`'s flags and
// usage text, the notebooks' settings summary and the run folder's stage check all derive from this table.
import { join, resolve } from 'node:path';
import { HOOK_NAMES, type HookName, type Position } from '../model/types';
import { PROBE_KINDS, type ProbeKind } from '../probes/types';
import { PROJECTION_METHODS, type ProjectionMethod } from '../geometry/methods';
import { NORMALIZE, NORMALIZE_MODES, type Normalize } from '../steering/vectors';
import { projectRoot } from '../util/fs';
import { ORGANISM_DATA, ORGANISM_MODEL } from '../util/organism';

/** The stages of one run, in the order the study runs them. */
export const STAGES = ['data', 'activations', 'geometry', 'probes', 'mlp', 'vectors', 'steering', 'ab', 'judge'] as const;
/** One stage of the study. */
export type StageName = (typeof STAGES)[number];

/** The default model: the built-in model organism (offline, planted sycophancy; lib/study/organism.ts). */
export const DEFAULT_MODEL = ORGANISM_MODEL;

/** The hooks a run can capture. */
export { HOOK_NAMES };
/** Pair formats. */
export const PAIR_FORMATS = ['sentence', 'ab'] as const;
/** Judge backends (`none` in a setting means no judge). */
export const JUDGE_BACKENDS = ['openai', 'anthropic', 'local'] as const;

/** One setting: where it comes from, how it is read, what it defaults to, and which stages it changes. */
export interface SettingRow<T> {
  /** Environment variable (SYCO_*). */
  env: string;
  /** CLI flag without the dashes. */
  flag: string;
  /** Read a raw string; `name` (the variable or --flag) goes into the error message. */
  parse: (raw: string, name: string) => T;
  /** Default value (a function for defaults that depend on the machine); undefined = unset. */
  default: T | (() => T) | undefined;
  /** One line for usage texts and the README (without the default). */
  help: string;
  /** Argument placeholder shown in usage, e.g. <n>. */
  arg: string;
  /** Stages whose saved results depend on this setting directly (downstream stages follow). Empty: affects no result. */
  stages: readonly StageName[];
  /** How the default reads in usage text (default: the value itself). */
  shown?: string;
}

function bad(name: string, value: string, want: string): Error {
  return new Error(`${name}="${value}": expected ${want}`);
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Parse an integer setting (≥ min when given). */
export function parseInt_(value: string, name: string, min = -Infinity): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw bad(name, value, `an integer${min > -Infinity ? ` ≥ ${min}` : ''}`);
  return n;
}

/** Parse a finite number setting. */
export function parseNumber(value: string, name: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw bad(name, value, 'a number');
  return n;
}

/** Parse one of a fixed set of names. */
export function parseOneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw bad(name, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

/** Parse a comma list of names from a fixed set. */
export function parseListOf<T extends string>(value: string, name: string, allowed: readonly T[]): T[] {
  const out = list(value).map((v) => parseOneOf(v, name, allowed));
  if (!out.length) throw bad(name, value, `a comma list of ${allowed.join(', ')}`);
  return out;
}

/** Parse a layer list: "all", a range "2-5", a list "1,3,5", or a mix "0-2,7" (sorted, without repeats). */
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
      out.push(parseInt_(part, name, 0));
    }
  }
  if (!out.length) throw bad(name, value, '"all", a range like 2-5 or a list like 1,3,5');
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Parse a token position: an integer (negative counts from the end) or "mean". */
export function parsePosition(value: string, name: string): Position {
  return value === 'mean' ? 'mean' : parseInt_(value, name);
}

function row<T>(r: SettingRow<T>): SettingRow<T> {
  return r;
}

const text = (v: string): string => v;

/** Every setting of one run of the study, in the order usage texts list them. */
export const SETTINGS = {
  model: row<string>({ env: 'SYCO_MODEL', flag: 'model', arg: '<dir|hub id>', parse: text, default: DEFAULT_MODEL, shown: 'models/organism (built in)', stages: ['activations'], help: 'hub id or local model folder (transformers.js layout)' }),
  dtype: row<string>({ env: 'SYCO_DTYPE', flag: 'dtype', arg: '<dtype>', parse: text, default: 'fp32', stages: ['activations'], help: 'transformers.js dtype: fp32, fp16, q8, q4, ...' }),
  modelFile: row<string>({ env: 'SYCO_MODEL_FILE', flag: 'model-file', arg: '<name>', parse: text, default: undefined, stages: ['activations'], help: 'explicit ONNX file inside onnx/ (overrides dtype)' }),
  data: row<string>({ env: 'SYCO_DATA', flag: 'data', arg: '<dir|file|url|upstream>', parse: text, default: ORGANISM_DATA, shown: 'data/organism (built in)', stages: ['data'], help: 'Anthropic sycophancy folder, .jsonl file, URL or "upstream"' }),
  subsets: row<string[]>({ env: 'SYCO_SUBSETS', flag: 'subsets', arg: '<a,b>', parse: (v) => list(v), default: undefined, stages: ['data'], help: 'subsets used (comma list)', shown: 'all the source holds' }),
  format: row<'sentence' | 'ab'>({ env: 'SYCO_FORMAT', flag: 'format', arg: 'sentence|ab', parse: (v, n) => parseOneOf(v, n, PAIR_FORMATS), default: 'sentence', stages: ['data'], help: "pair format: the study's sentence pairs or letter answers ab" }),
  pairs: row<number>({ env: 'SYCO_PAIRS', flag: 'pairs', arg: '<n>', parse: (v, n) => parseInt_(v, n, 4), default: 200, stages: ['data'], help: 'pairs sampled (seeded)' }),
  testFrac: row<number>({
    env: 'SYCO_TEST_FRAC', flag: 'test-frac', arg: '<f>', default: 0.2, stages: ['data'], help: 'fraction of pairs held out for probe testing',
    parse: (v, n) => {
      const f = parseNumber(v, n);
      if (!(f > 0 && f < 1)) throw bad(n, v, 'a fraction between 0 and 1');
      return f;
    },
  }),
  abItems: row<number>({ env: 'SYCO_AB_ITEMS', flag: 'ab-items', arg: '<n>', parse: (v, n) => parseInt_(v, n, 0), default: 50, stages: ['data'], help: 'held-out Anthropic A/B items (sampled with the data)' }),
  seed: row<number>({ env: 'SYCO_SEED', flag: 'seed', arg: '<n>', parse: (v, n) => parseInt_(v, n), default: 0, stages: ['data', 'geometry', 'probes', 'mlp', 'steering'], help: 'seed of sampling, splits, embeddings and generation' }),
  layers: row<number[] | 'all'>({ env: 'SYCO_LAYERS', flag: 'layers', arg: 'all|0-4|1,3,5', parse: (v, n) => parseLayerSpec(n, v), default: 'all', stages: ['activations'], help: 'layers captured' }),
  position: row<Position>({ env: 'SYCO_POSITION', flag: 'position', arg: '<i|mean>', parse: parsePosition, default: -2, stages: ['activations'], help: 'token position captured, negative from the end, or mean' }),
  hooks: row<HookName[]>({ env: 'SYCO_HOOKS', flag: 'hooks', arg: HOOK_NAMES.join(','), parse: (v, n) => parseListOf(v, n, HOOK_NAMES), default: ['resid', 'mlp'], stages: ['activations'], help: 'hooks captured (resid is required)' }),
  batchSize: row<number>({ env: 'SYCO_BATCH', flag: 'batch', arg: '<n>', parse: (v, n) => parseInt_(v, n, 2), default: 16, stages: [], help: 'texts per forward pass' }),
  maxTokens: row<number>({ env: 'SYCO_MAX_TOKENS', flag: 'max-tokens', arg: '<n>', parse: (v, n) => parseInt_(v, n, 2), default: undefined, stages: ['activations', 'ab'], shown: 'none: a text longer than the context is refused', help: 'cut texts and A/B prompts longer than n tokens (the first token and the last n - 1)' }),
  methods: row<ProjectionMethod[]>({ env: 'SYCO_METHODS', flag: 'methods', arg: '<a,b>', parse: (v, n) => parseListOf(v, n, PROJECTION_METHODS), default: ['pca', 'tsne', 'umap'], stages: [], help: `projections of the geometry stage: ${PROJECTION_METHODS.join(',')}` }),
  tsneIterations: row<number>({ env: 'SYCO_TSNE_ITERATIONS', flag: 'tsne-iterations', arg: '<n>', parse: (v, n) => parseInt_(v, n, 250), default: 300, stages: ['geometry'], help: 't-SNE iterations (the study: 300)' }),
  probes: row<ProbeKind[]>({ env: 'SYCO_PROBES', flag: 'probes', arg: '<a,b>', parse: (v, n) => parseListOf(v, n, PROBE_KINDS), default: ['lr', 'mm', 'mm-iid', 'ccs'], stages: [], help: `probe kinds: ${PROBE_KINDS.join(',')}` }),
  normalize: row<Normalize>({ env: 'SYCO_NORMALIZE', flag: 'normalize', arg: NORMALIZE_MODES.join('|'), parse: (v, n) => parseOneOf(v, n, NORMALIZE_MODES), default: 'common', stages: ['vectors'], help: `steering vector normalisation: ${NORMALIZE_MODES.map((m) => `${m} (${NORMALIZE[m].help})`).join(', ')}` }),
  steerLayers: row<number[] | 'auto'>({
    env: 'SYCO_STEER_LAYERS', flag: 'steer-layers', arg: 'auto|<list>', default: 'auto', stages: ['steering', 'ab'], shown: 'auto = 3 layers near 2/3 depth',
    help: 'layers steered',
    parse: (v, n) => {
      const s = v === 'auto' ? 'auto' : parseLayerSpec(n, v);
      if (s === 'all') throw bad(n, v, '"auto", a range or a list (not all)');
      return s;
    },
  }),
  multipliers: row<number[]>({ env: 'SYCO_MULTIPLIERS', flag: 'multipliers', arg: '<m,..>', parse: (v, n) => list(v).map((m) => parseNumber(m, n)), default: [2, 0], stages: ['steering', 'ab'], help: 'steering magnitudes; m gives +m and -m, 0 is the control' }),
  prompts: row<string>({ env: 'SYCO_PROMPTS', flag: 'prompts', arg: '<file>', parse: text, default: undefined, stages: ['steering'], help: 'open-ended prompt list (JSON list or text file)', shown: 'data/persona_prompts.json (organism: data/organism/persona_prompts.json)' }),
  promptLimit: row<number>({ env: 'SYCO_PROMPT_LIMIT', flag: 'prompt-limit', arg: '<n>', parse: (v, n) => parseInt_(v, n, 1), default: 10, stages: ['steering'], help: 'prompts used from the list' }),
  maxNewTokens: row<number>({ env: 'SYCO_MAX_NEW_TOKENS', flag: 'max-new-tokens', arg: '<n>', parse: (v, n) => parseInt_(v, n, 1), default: 24, stages: ['steering'], help: 'new tokens per steered answer' }),
  abDataset: row<string>({ env: 'SYCO_AB_DATASET', flag: 'ab-dataset', arg: '<file>', parse: text, default: undefined, stages: ['ab'], help: 'CAA A/B test set (JSON), evaluated beside the held-out Anthropic items', shown: 'none' }),
  judge: row<'openai' | 'anthropic' | 'local' | undefined>({
    env: 'SYCO_JUDGE', flag: 'judge', arg: 'openai|anthropic|local|none', default: undefined, stages: ['judge'], shown: 'none',
    help: 'judge backend; keys from OPENAI_API_KEY / ANTHROPIC_API_KEY',
    parse: (v, n) => (v === 'none' ? undefined : parseOneOf(v, n, JUDGE_BACKENDS)),
  }),
  judgeModel: row<string>({ env: 'SYCO_JUDGE_MODEL', flag: 'judge-model', arg: '<model>', parse: text, default: undefined, stages: ['judge'], help: 'judge model', shown: "the backend's default" }),
  judgeBaseUrl: row<string>({ env: 'SYCO_JUDGE_URL', flag: 'judge-url', arg: '<url>', parse: text, default: undefined, stages: ['judge'], help: 'OpenAI/Anthropic-compatible judge base URL', shown: "the backend's default" }),
  runsDir: row<string>({ env: 'SYCO_RUNS', flag: 'runs', arg: '<dir>', parse: (v) => resolve(v), default: () => join(projectRoot(), 'runs'), stages: [], help: 'where runs go (a run is a timestamped folder inside)', shown: 'runs/' }),
  threads: row<number>({ env: 'SYCO_THREADS', flag: 'threads', arg: '<n>', parse: (v, n) => parseInt_(v, n, 1), default: undefined, stages: [], help: 'ONNX Runtime threads', shown: 'automatic' }),
} as const;

type Table = typeof SETTINGS;
/** A setting's key. */
export type SettingKey = keyof Table;
type ValueOf<R> = R extends SettingRow<infer T> ? T : never;
type Unset = { [K in SettingKey]: Table[K]['default'] extends undefined ? K : never }[SettingKey];

/** Every setting of one run of the study (see SETTINGS for what each means). */
export type StudyConfig = { [K in Exclude<SettingKey, Unset>]: ValueOf<Table[K]> } & { [K in Unset]?: ValueOf<Table[K]> };

/** The setting keys in table order. */
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

function rowOf(key: SettingKey): SettingRow<unknown> {
  return SETTINGS[key] as SettingRow<unknown>;
}

/** Defaults of every setting (before environment variables). */
export function defaultStudyConfig(): StudyConfig {
  const c: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) {
    const d = rowOf(k).default;
    const v = typeof d === 'function' ? (d as () => unknown)() : d;
    if (v !== undefined) c[k] = Array.isArray(v) ? [...v] : v;
  }
  return c as StudyConfig;
}

/** Read one setting from a raw string (`name` is the variable or flag the string came from, for the error). */
export function parseSetting<K extends SettingKey>(key: K, raw: string, name: string = SETTINGS[key].env): ValueOf<Table[K]> {
  return rowOf(key).parse(raw.trim(), name) as ValueOf<Table[K]>;
}

/** The settings given as SYCO_* variables (blank ones count as unset). */
export function settingsFromEnv(env: Record<string, string | undefined>): Partial<StudyConfig> {
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) {
    const raw = env[rowOf(k).env];
    if (raw === undefined || raw.trim() === '') continue;
    out[k] = parseSetting(k, raw);
    if (out[k] === undefined) out[k] = null; // an explicit "none": overrides a default
  }
  return out as Partial<StudyConfig>;
}

/** The settings given as --flags (values as parsed by node:util parseArgs; errors name the flag). */
export function settingsFromFlags(values: Record<string, unknown>): Partial<StudyConfig> {
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) {
    const raw = values[rowOf(k).flag];
    if (typeof raw !== 'string') continue;
    out[k] = parseSetting(k, raw, `--${rowOf(k).flag}`);
    if (out[k] === undefined) out[k] = null;
  }
  return out as Partial<StudyConfig>;
}

/** Merge layers of settings (later ones win; null = explicitly unset, undefined = not given). */
export function mergeSettings(...layers: Partial<StudyConfig>[]): StudyConfig {
  const c: Record<string, unknown> = { ...defaultStudyConfig() };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (v === null) delete c[k];
      else c[k] = v;
    }
  }
  return c as StudyConfig;
}

/** node:util parseArgs options for the given settings' flags (all string-valued). */
export function settingFlags(keys: readonly SettingKey[] = SETTING_KEYS): Record<string, { type: 'string' }> {
  return Object.fromEntries(keys.map((k) => [rowOf(k).flag, { type: 'string' as const }]));
}

/** How a setting's default reads in usage text and the README. */
export function shownDefault(key: SettingKey): string {
  const r = rowOf(key);
  if (r.shown !== undefined) return r.shown;
  const d = typeof r.default === 'function' ? (r.default as () => unknown)() : r.default;
  if (d === undefined) return 'unset';
  return Array.isArray(d) ? d.join(',') : String(d);
}

/** Usage lines `  --flag <arg>  help (SYCO_VAR; default d)` of the given settings, then a command's own [flag, help] rows. */
export function settingsUsage(keys: readonly SettingKey[] = SETTING_KEYS, extra: [string, string][] = []): string {
  const rows: [string, string][] = [
    ...keys.map((k): [string, string] => [`--${rowOf(k).flag} ${rowOf(k).arg}`, `${rowOf(k).help} (${rowOf(k).env}; default ${shownDefault(k)})`]),
    ...extra,
  ];
  const width = Math.max(...rows.map(([h]) => h.length)) + 2;
  return rows.map(([h, text]) => `  ${h.padEnd(width)}${text}`).join('\n');
}

/** The settings as a Markdown table (flag, variable, default, meaning, stages), the README's settings list. */
export function settingsMarkdown(keys: readonly SettingKey[] = SETTING_KEYS): string {
  const lines = ['| flag | variable | default | meaning | saved stages it changes |', '| --- | --- | --- | --- | --- |'];
  for (const k of keys) {
    const r = rowOf(k);
    lines.push(`| \`--${r.flag}\` | \`${r.env}\` | ${shownDefault(k)} | ${r.help.replace(/\|/g, '\\|')} | ${r.stages.join(', ') || '—'} |`);
  }
  return lines.join('\n');
}

/** The settings summary of a notebook's parameters cell: the model, then `flag value` per stage the settings change. */
export function describeSettings(cfg: StudyConfig, dir?: string): string {
  const lines = [`model ${cfg.model} (${cfg.dtype}${cfg.modelFile ? `, ${cfg.modelFile}` : ''})`];
  const groups = new Map<string, string[]>();
  for (const k of SETTING_KEYS) {
    const v = (cfg as Record<string, unknown>)[k];
    if (k === 'model' || k === 'dtype' || k === 'modelFile' || v === undefined) continue;
    const group = rowOf(k).stages[0] ?? 'run';
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(`${rowOf(k).flag} ${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  for (const [g, items] of groups) lines.push(`${g}: ${items.join('; ')}`);
  if (dir) lines.push(`run folder ${dir}`);
  return lines.join('\n');
}

/** The stages a setting changes directly. */
export function settingStages(key: SettingKey): readonly StageName[] {
  return rowOf(key).stages;
}

/** The flag of a setting (without dashes). */
export function settingFlag(key: SettingKey): string {
  return rowOf(key).flag;
}
