// The run folder's stage book: each stage is computed once and saved with the settings it depends on (its own and every
// upstream stage's, the model's sha256 included). A later run re-uses a stage only when those settings are equal; when
// they differ it is refused before anything is written, naming the differences and the `--redo <stage>` that applies
// them. `--redo <stage>` clears that stage and everything downstream, so a folder always holds one configuration.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteJson, ensureDir, readJsonFile } from '../util/fs';
import { mergeSettings, SETTING_KEYS, settingFlag, settingStages, STAGES, type StageName, type StudyConfig } from './settings';

export { STAGES, type StageName } from './settings';
export * from '../util/results';

/** The settings a stage's results depend on (plain JSON values). */
export type StageSettings = Record<string, unknown>;

/** The stages each stage reads from (what `--redo` recomputes downstream, and what `syco run` skips when one fails). */
export const STAGE_INPUTS: Record<StageName, readonly StageName[]> = {
  data: [],
  activations: ['data'],
  geometry: ['activations'],
  probes: ['activations'],
  mlp: ['activations'],
  vectors: ['activations'],
  steering: ['vectors'],
  ab: ['vectors'],
  judge: ['steering'],
};

/** The folder (inside the run folder) each stage writes. */
export const STAGE_DIRS: Record<StageName, string> = {
  data: 'data', activations: 'activations', geometry: 'geometry', probes: 'probes', mlp: 'mlp', vectors: 'vectors',
  steering: 'steering', ab: 'ab', judge: 'judge',
};

/** The given stages and every stage downstream of them, in run order. */
export function withDownstream(stages: readonly StageName[]): StageName[] {
  const out = new Set<StageName>(stages);
  for (const s of STAGES) if (STAGE_INPUTS[s].some((i) => out.has(i))) out.add(s);
  return STAGES.filter((s) => out.has(s));
}

/** Facts about the inputs that are not settings: the model graph's sha256. */
export interface StageFacts {
  modelSha256: string;
}

/** The settings each stage depends on: its own settings and its upstream stages', the model sha256 from activations on. */
export function stageSettings(cfg: StudyConfig, facts: StageFacts): Record<StageName, StageSettings> {
  const own = (stage: StageName): StageSettings => {
    const o: StageSettings = {};
    for (const k of SETTING_KEYS) if (settingStages(k).includes(stage)) o[k] = (cfg as Record<string, unknown>)[k] ?? null;
    if (stage === 'activations') o.modelSha256 = facts.modelSha256;
    return o;
  };
  const out = {} as Record<StageName, StageSettings>;
  for (const s of STAGES) {
    const merged: StageSettings = {};
    for (const i of STAGE_INPUTS[s]) Object.assign(merged, out[i]);
    out[s] = { ...merged, ...own(s) };
  }
  return out;
}

/** One setting that differs between the saved stage and the request. */
export interface StageDifference {
  stage: StageName;
  setting: string;
  saved: unknown;
  requested: unknown;
}

/** A re-run whose settings differ from the run folder's: nothing was written. */
export class StageConflictError extends Error {
  override name = 'StageConflictError';
  constructor(readonly dir: string, readonly differences: StageDifference[], readonly redo: StageName[]) {
    super(conflictMessage(dir, differences, redo));
  }
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'unset';
  if (typeof v === 'string') return /^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 12)}…` : v;
  if (Array.isArray(v)) return v.join(',');
  return JSON.stringify(v);
}

function settingName(key: string): string {
  if (key === 'modelSha256') return 'model sha256';
  return (SETTING_KEYS as string[]).includes(key) ? `--${settingFlag(key as (typeof SETTING_KEYS)[number])}` : key;
}

function conflictMessage(dir: string, diffs: StageDifference[], redo: StageName[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const d of diffs) {
    if (seen.has(d.setting)) continue;
    seen.add(d.setting);
    lines.push(`  ${settingName(d.setting)}: ${show(d.saved)} in the folder, ${show(d.requested)} now (stage ${d.stage})`);
  }
  const all = withDownstream(redo);
  return `${dir} holds results made with other settings; nothing was written:\n${lines.join('\n')}\n` +
    `To apply the new settings in this folder, add --redo ${redo.join(',')} (recomputes ${all.join(', ')}; ` +
    `in a notebook: new Study(cfg, dir, { redo: [${redo.map((r) => `'${r}'`).join(', ')}] })), or use a new --out folder.`;
}

/** The differences between two stage settings (keys of either). */
export function settingsDifferences(stage: StageName, saved: StageSettings, requested: StageSettings): StageDifference[] {
  const out: StageDifference[] = [];
  for (const k of new Set([...Object.keys(saved), ...Object.keys(requested)])) {
    if (JSON.stringify(saved[k] ?? null) !== JSON.stringify(requested[k] ?? null)) out.push({ stage, setting: k, saved: saved[k], requested: requested[k] });
  }
  return out;
}

/** What stages.json records per stage. */
interface StageRecord {
  settings: StageSettings;
  saved: string;
}

const BOOK = 'stages.json';

/** The stages of one run folder and the settings each was computed with. */
export class StageBook {
  readonly dir: string;
  private records: Partial<Record<StageName, StageRecord>>;

  constructor(dir: string) {
    this.dir = dir;
    this.records = this.read();
  }

  private read(): Partial<Record<StageName, StageRecord>> {
    const file = join(this.dir, BOOK);
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { stages: Partial<Record<StageName, StageRecord>> }).stages ?? {};
      } catch (err) {
        throw new Error(`${file}: unreadable stage book (${(err as Error).message}); use a new --out folder`);
      }
    }
    return this.legacyRecords();
  }

  /** A folder written before stages.json: its config.json and activation manifest say what its stages were made with. */
  private legacyRecords(): Partial<Record<StageName, StageRecord>> {
    const cfgFile = join(this.dir, 'config.json');
    if (!existsSync(cfgFile)) return {};
    let saved: Partial<StudyConfig>;
    let sha = 'unknown';
    try {
      // A read or parse error names the file at fault (config.json or the activation manifest).
      saved = readJsonFile<Partial<StudyConfig>>(cfgFile);
      const man = join(this.dir, STAGE_DIRS.activations, 'manifest.json');
      if (existsSync(man)) sha = readJsonFile<{ model?: { sha256?: string } }>(man).model?.sha256 ?? sha;
    } catch (err) {
      throw new Error(`${(err as Error).message}; use a new --out folder`);
    }
    const { saved: _s, ...rest } = saved as Partial<StudyConfig> & { saved?: string };
    const all = stageSettings(mergeSettings(rest), { modelSha256: sha });
    const out: Partial<Record<StageName, StageRecord>> = {};
    for (const s of STAGES) if (existsSync(join(this.dir, STAGE_DIRS[s]))) out[s] = { settings: all[s], saved: 'before stages.json' };
    return out;
  }

  /** The settings a stage was saved with (undefined when it was never started here). */
  settingsOf(stage: StageName): StageSettings | undefined {
    return this.records[stage]?.settings;
  }

  /**
   * Check the requested stage settings against the saved ones without writing anything. Returns the stages to clear
   * (the redo stages and their downstream that exist here); throws StageConflictError when a saved stage outside them
   * was made with other settings.
   */
  check(requested: Partial<Record<StageName, StageSettings>>, redo: readonly StageName[] = []): StageName[] {
    const cleared = new Set(withDownstream(redo));
    const diffs: StageDifference[] = [];
    for (const s of STAGES) {
      const want = requested[s];
      const have = this.records[s]?.settings;
      if (!want || !have || cleared.has(s)) continue;
      diffs.push(...settingsDifferences(s, have, want));
    }
    if (diffs.length) {
      // The smallest --redo that applies every difference: each differing stage not downstream of another one.
      const stages = STAGES.filter((s) => diffs.some((d) => d.stage === s));
      const roots = stages.filter((s) => !withDownstream(stages.filter((o) => o !== s)).includes(s));
      throw new StageConflictError(this.dir, diffs, [...new Set([...redo, ...roots])]);
    }
    return STAGES.filter((s) => cleared.has(s) && (this.records[s] || existsSync(join(this.dir, STAGE_DIRS[s]))));
  }

  /** Delete the saved results of these stages (after a passed check). */
  clear(stages: readonly StageName[]): void {
    for (const s of stages) {
      rmSync(join(this.dir, STAGE_DIRS[s]), { recursive: true, force: true });
      delete this.records[s];
    }
    if (stages.length) this.write();
  }

  /** Record that a stage is being computed with these settings (before its first file is written). */
  begin(stage: StageName, settings: StageSettings): void {
    const have = this.records[stage];
    if (have && JSON.stringify(have.settings) === JSON.stringify(settings)) return;
    if (have) {
      const diffs = settingsDifferences(stage, have.settings, settings);
      if (diffs.length) throw new StageConflictError(this.dir, diffs, [stage]);
    }
    this.records[stage] = { settings, saved: new Date().toISOString() };
    this.write();
  }

  private write(): void {
    ensureDir(this.dir);
    atomicWriteJson(join(this.dir, BOOK), { format: 'syco-stages/1', stages: this.records });
  }
}

