// Every stage's status for the report: computed, re-used, skipped, partial or failed — a partial or failed stage with
// its error counts and its first error, so a judge that scored nothing reads as a failure, not a table of zeros.
import { firstJudgeError, type JudgeReport } from '../judge/judge';
import type { ReportSection } from '../report/index';
import { STAGE_INPUTS, STAGES, type StageName } from './stage';

export { firstJudgeError };

/** How one stage ended. */
export type StageState = 'computed' | 're-used' | 'skipped' | 'partial' | 'failed';

/** The status of one stage of a run. */
export interface StageStatus {
  stage: string;
  state: StageState;
  /** Seconds spent in this process (none when re-used or skipped). */
  seconds?: number;
  /** What was done, in a few words (e.g. "0 of 30 answers scored"). */
  detail?: string;
  /** Error counts by kind, e.g. { 'request errors': 30 }. */
  errors?: Record<string, number>;
  /** The first error message recorded. */
  firstError?: string;
  /** Skipped because these stages it needs failed (directly or upstream). */
  needs?: string[];
}

/** The detail of a stage that threw: its error is the status's firstError. */
export const STOPPED_WITH_ERROR = 'stopped with an error';

/** A step of `syco run`: a stage of the run folder, or the export of the figure files (the report is always written). */
export type RunStep = StageName | 'figures';

/** Every step of `syco run`, in run order. */
export const RUN_STEPS: readonly RunStep[] = [...STAGES, 'figures'];

/**
 * What each step of `syco run` needs finished first — the one dependency table: a stage needs the stages it reads
 * (STAGE_INPUTS, the same table that decides what `--redo` recomputes); the figure export needs none (it exports
 * whatever figures the finished stages made).
 */
export const RUN_STEP_NEEDS: Readonly<Record<RunStep, readonly StageName[]>> = { ...STAGE_INPUTS, figures: [] };

/** The failed stages `step` needs, directly or through the stages it needs, in run order (non-empty: it cannot run). */
export function failedNeeds(step: RunStep, failed: ReadonlySet<RunStep>): StageName[] {
  const found = new Set<StageName>();
  const seen = new Set<StageName>();
  const walk = (s: RunStep): void => {
    for (const n of RUN_STEP_NEEDS[s]) {
      if (seen.has(n)) continue;
      seen.add(n);
      if (failed.has(n)) found.add(n);
      walk(n);
    }
  };
  walk(step);
  return STAGES.filter((s) => found.has(s));
}

/** The steps that need `step` (directly or through other steps), in run order: what its failure skips. */
export function dependantsOf(step: RunStep): RunStep[] {
  return RUN_STEPS.filter((s) => s !== step && failedNeeds(s, new Set([step])).length > 0);
}

/** The judge stage's status from its report: failed when nothing was scored, partial when some answers were not. */
export function judgeStageStatus(report: JudgeReport, seconds?: number): StageStatus {
  const sum = (k: 'n_items' | 'n_scored' | 'n_parse_errors' | 'n_request_errors' | 'n_pending') => report.files.reduce((a, f) => a + (f.totals[k] ?? 0), 0);
  const items = sum('n_items'), scored = sum('n_scored'), parse = sum('n_parse_errors'), request = sum('n_request_errors'), pending = sum('n_pending');
  const none = report.files.reduce((a, f) => a + (f.totals.Total_number_none ?? 0), 0);
  const errors: Record<string, number> = {};
  if (request) errors['request errors'] = request;
  if (parse) errors['unparseable replies'] = parse;
  if (pending) errors['not scored yet'] = pending;
  const incomplete = report.files.some((f) => !f.complete);
  const state: StageState = items > 0 && scored === 0 ? 'failed' : request || parse || pending || incomplete ? 'partial' : 'computed';
  return {
    stage: 'judge', state, seconds,
    detail: `${scored} of ${items} interactions scored${none ? `, ${none} answers judged None/N/A` : ''}`,
    errors: Object.keys(errors).length ? errors : undefined,
    firstError: state === 'computed' ? undefined : firstJudgeError(report),
  };
}

const MARK: Record<StageState, string> = { computed: '✔ computed', 're-used': '✔ re-used', skipped: '– skipped', partial: '⚠ PARTIAL', failed: '✖ FAILED' };

/** True when any stage failed or ended partial. */
export function anyIncomplete(stages: readonly StageStatus[]): boolean {
  return stages.some((s) => s.state === 'failed' || s.state === 'partial');
}

/**
 * How to retry a failed or partial stage of the run in `dir`: re-run with the same settings and --out (finished stages
 * are re-used); unparseable judge replies need syco judge --retry-failed.
 */
export function retryHint(s: StageStatus, dir = '<run folder>'): string {
  return `re-run with the same settings and \`--out ${dir}\` to retry it (finished stages are re-used)${judgeRetryNote(s, dir)}`;
}

/** For a judge stage with unparseable replies: that a re-run retries only request errors, and how to re-ask the rest; else ''. */
export function judgeRetryNote(s: StageStatus, dir = '<run folder>'): string {
  const unparseable = s.stage === 'judge' && (s.errors?.['unparseable replies'] ?? 0) > 0;
  return unparseable
    ? ` (request errors are retried; unparseable replies stay recorded — re-ask them with \`syco judge --retry-failed --out ${dir}/judge\` and the same \`--results ${dir}/steering\`, \`--backend\` and \`--model\`)`
    : '';
}

/** The report section listing every stage's status, failures first in the text. */
export function stageStatusSection(stages: readonly StageStatus[], dir?: string): ReportSection {
  const bad = stages.filter((s) => s.state === 'failed' || s.state === 'partial');
  const blocked = stages.filter((s) => s.needs?.length);
  const text = bad.length
    ? [...bad.map((s) => `**${s.stage}: ${s.state === 'failed' ? 'FAILED' : 'PARTIAL'}** — ${s.detail ?? ''}${s.errors ? ` (${Object.entries(s.errors).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}.` +
      `${s.firstError ? ` First error: \`${s.firstError.slice(0, 500)}\`.` : ''} Its results below are incomplete or missing; ${retryHint(s, dir)}.`),
    ...(blocked.length ? [`**Skipped because a stage they need failed:** ${blocked.map((s) => `${s.stage} (needs ${s.needs!.join(', ')})`).join(', ')}; the re-run computes them.`] : []),
    ].join('\n\n')
    : 'Every stage finished.';
  return {
    title: 'Stage status',
    text,
    tables: [{
      columns: ['stage', 'status', 'seconds', 'detail', 'errors', 'first error'],
      rows: stages.map((s) => [s.stage, MARK[s.state], s.seconds === undefined ? '' : Number(s.seconds.toFixed(2)), s.detail ?? '',
        s.errors ? Object.entries(s.errors).map(([k, v]) => `${v} ${k}`).join(', ') : '', s.firstError ? s.firstError.slice(0, 200) : '']),
    }],
  };
}
