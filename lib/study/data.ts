// The data stage's computation, shared by the checks before compute (which load the data once) and the data stage
// (which re-uses what the checks loaded): pairs built, sampled and split, held-out A/B items; and the open-ended prompts.
import {
  buildPairsWithStats, defaultPersonaPrompts, loadAnthropicSycophancy, loadPromptList, pairGroupKey, samplePairs, splitPairs,
  type LoadSycophancyResult, type Pair,
} from '../datasets/index';
import { isOrganism, ORGANISM_PROMPTS } from '../util/organism';
import { settingsKey } from '../util/results';
import type { StudyConfig } from './config';

/** The data stage's result: the sampled pairs, their train/test split, and where they came from. */
export interface StudyData {
  /** Sampled pairs in the study's format (label 1 = sycophantic text, 0 = not). */
  pairs: Pair[];
  train: Pair[];
  test: Pair[];
  /** Held-out A/B-format pairs (source rows not among the sampled pairs) for the behavioural evaluation. */
  abHeldOut: Pair[];
  /** Rows read per subset, pairs built and dropped (one word or fewer). */
  stats: { rows: number; skipped: number; built: number; dropped: number; bySubset: Record<string, number>; files: string[] };
}

/** The data stage's result computed from loaded rows, with the loader's warnings (what the stage logs). */
export interface PreparedData {
  data: StudyData;
  warnings: string[];
  /** The settings key the data stage saves it under (data/data.json). */
  key: string;
}

/** The key of the data stage's settings (source, subsets, format, pairs, test fraction, seed). */
export function dataKey(cfg: StudyConfig): string {
  return settingsKey([cfg.data, cfg.subsets ?? null, cfg.format, cfg.pairs, cfg.testFrac, cfg.seed]);
}

/** Build pairs from loaded rows, sample and split them (seeded), and sample the held-out A/B items from unused rows. */
export function prepareStudyData(cfg: StudyConfig, loaded: LoadSycophancyResult): PreparedData {
  const built = buildPairsWithStats(loaded.rows, cfg.format);
  if (built.pairs.length < 4) throw new Error(`data: ${cfg.data} gave only ${built.pairs.length} pairs in ${cfg.format} format`);
  const pairs = samplePairs(built.pairs, Math.min(cfg.pairs, built.pairs.length), cfg.seed);
  const { train, test } = splitPairs(pairs, cfg.testFrac, cfg.seed);
  const used = new Set(pairs.map(pairGroupKey));
  const ab = cfg.format === 'ab' ? built.pairs : buildPairsWithStats(loaded.rows, 'ab').pairs;
  const abHeldOut = samplePairs(ab.filter((p) => !used.has(pairGroupKey(p))), cfg.abItems, cfg.seed + 1);
  const stats: StudyData['stats'] = {
    rows: loaded.rows.length, skipped: loaded.skipped, built: built.pairs.length, dropped: built.dropped,
    bySubset: built.bySubset, files: loaded.files.map((f) => f.url ?? f.path),
  };
  return { data: { pairs, train, test, abHeldOut, stats }, warnings: loaded.warnings, key: dataKey(cfg) };
}

/** Load the configured data and prepare the data stage's result from it. */
export async function loadStudyData(cfg: StudyConfig): Promise<PreparedData> {
  return prepareStudyData(cfg, await loadAnthropicSycophancy({ source: cfg.data, subsets: cfg.subsets }));
}

/** The open-ended prompts of the steering sweep: the configured list, or the project's (organism: its own) persona prompts; the first promptLimit. */
export function studyPrompts(cfg: StudyConfig): string[] {
  const all = cfg.prompts ? loadPromptList(cfg.prompts) : isOrganism(cfg.model) ? loadPromptList(ORGANISM_PROMPTS) : defaultPersonaPrompts();
  return all.slice(0, cfg.promptLimit);
}
