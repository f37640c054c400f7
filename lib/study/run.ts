// The whole study in one call: every stage into one run folder, then the figures and a self-contained report.html.
import { join } from 'node:path';
import type { ReportSection, TableData } from '../report/index';
import { writeReport } from '../report/index';
import { chromiumAvailable, exportFigures, type ExportedFigure, type ExportFormat, type NamedFigure } from '../plots/export';
import type { AbResult } from '../steering/ab';
import type { SweepFileEntry } from '../steering/sweep';
import { readResultsFile } from '../judge/results';
import { atomicWriteJson, ensureDir } from '../util/fs';
import { acquireLock } from '../util/lock';
import { modelTag, twoThirdsLayer, type StudyConfig } from './config';
import {
  abFigure, bestProbeLayer, geometry3dFigure, pooledFigure, geometryFigure, judgeFigure, mlpDifferenceFigure, mlpFigure,
  probeConfusionFigure, probesFigure, vectorCosineFigure,
} from './figures';
import { probesSection } from './probe-report';
import { preflight, type PreflightReport } from './preflight';
import { anyIncomplete, dependantsOf, failedNeeds, judgeStageStatus, stageStatusSection, STOPPED_WITH_ERROR, type RunStep, type StageStatus } from './stage-status';
import { Study, timestampRunDir, type StageTimings } from './study';
import { isOrganism, organismNotice } from '../util/organism';
import type { StageName } from './stage';

/** The lock file a study run holds in its run folder. */
export const RUN_LOCK = '.run.lock';

/** Options of runStudy. */
export interface RunStudyOptions {
  /** Run folder (default runs/<UTC timestamp>); an existing folder resumes, re-using finished stages. */
  dir?: string;
  /** Figure formats (default html, plus png, svg and gif when Chromium is installed). */
  formats?: ExportFormat[];
  /** Layer the PNG/SVG of per-layer figures show (default the study's focus layer: the middle steered layer). */
  figureLayer?: number;
  /** Stages to recompute, with everything downstream (a changed setting is otherwise refused). */
  redo?: StageName[];
  /** Progress lines (default stderr). */
  log?: (line: string) => void;
  /** Stops the run (between stages, and inside the steering sweep and A/B evaluation): it rejects with the abort, writes no report, and no stage is counted as failed. */
  signal?: AbortSignal;
  quiet?: boolean;
}

/** What a study run produced. */
export interface StudyRunSummary {
  dir: string;
  report: string;
  figures: string[];
  timings: StageTimings;
  seconds: number;
  /** Every stage's status (failed or partial stages are marked in the report). */
  stages: StageStatus[];
}

/** How the steps of a run that did not finish ended: the first error of each failed step, the failed stages each skipped step needed. */
export interface RunOutcomes {
  failed?: Partial<Record<RunStep, string>>;
  skipped?: Partial<Record<RunStep, StageName[]>>;
}

/**
 * The status of every step of a study run: failed (with its first error) or skipped (naming the failed stages it needs)
 * as `outcomes` says, else computed when this process spent time on it, else re-used from the folder.
 */
export function runStageStatuses(timings: StageTimings, o: { mlp: boolean; pairs?: number; judge: StageStatus } & RunOutcomes): StageStatus[] {
  const seconds = (key: string): number | undefined => {
    const keys = Object.keys(timings).filter((k) => k === key || k.startsWith(`${key} `));
    return keys.length ? keys.reduce((a, k) => a + timings[k], 0) : undefined;
  };
  const step = (stage: RunStep, key: string, ok: () => StageStatus): StageStatus => {
    const error = o.failed?.[stage];
    if (error !== undefined) return { stage, state: 'failed', seconds: seconds(key), detail: STOPPED_WITH_ERROR, firstError: oneLine(error) };
    const needs = o.skipped?.[stage];
    if (needs?.length) return { stage, state: 'skipped', detail: `needs ${needs.join(', ')}`, needs: [...needs] };
    return ok();
  };
  const timed = (stage: RunStep, key: string): StageStatus => step(stage, key, () => {
    const s = seconds(key);
    return s === undefined ? { stage, state: 're-used', detail: 'loaded from the run folder' } : { stage, state: 'computed', seconds: s };
  });
  return [
    step('data', 'data', () => ({ stage: 'data', state: 'computed', seconds: seconds('data'), detail: o.pairs === undefined ? undefined : `${o.pairs} pairs` })),
    timed('activations', 'activations'), timed('geometry', 'geometry'), timed('probes', 'probe'),
    o.mlp ? timed('mlp', 'mlp') : step('mlp', 'mlp', () => ({ stage: 'mlp', state: 'skipped', detail: 'mlp hook not captured' })),
    timed('vectors', 'vectors'), timed('steering', 'steering'), timed('ab', 'A/B evaluation'), step('judge', 'judge', () => o.judge),
    step('figures', 'figures', () => ({ stage: 'figures', state: 'computed', seconds: seconds('figures') })),
  ];
}

/** The report section's title of each step (a step that did not finish gets a section under it saying so). */
const STEP_TITLES: Record<RunStep, string> = {
  data: 'Data', activations: 'Activations', geometry: 'Geometry', probes: 'Linear probes', mlp: 'MLP activations', vectors: 'Steering vectors',
  steering: 'Steering', ab: 'Behavioural (A/B) evaluation', judge: 'LLM judge', figures: 'Figure files',
};

/** An error message on one line (a parse error may quote the text it stopped at, newlines included). */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** An abort (Ctrl-C in a notebook, an AbortSignal): it stops the run, never counted as a failed stage. */
function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (err instanceof Error && err.name === 'AbortError');
}

/**
 * Runs the steps of one study run: a step that needs a failed stage is skipped; a step that throws is recorded as
 * failed with its error (and a section saying so), and the steps that do not need it still run. An abort is rethrown.
 */
class StepRunner {
  readonly failed: Partial<Record<RunStep, string>> = {};
  readonly skipped: Partial<Record<RunStep, StageName[]>> = {};

  constructor(private readonly log: (line: string) => void, private readonly sections: ReportSection[], private readonly signal?: AbortSignal) {}

  /** True when `step` ran and finished. */
  ok(step: RunStep): boolean {
    return this.failed[step] === undefined && !this.skipped[step];
  }

  /** Run `fn` as `step` unless a stage it needs failed; true when it finished. */
  async run(step: RunStep, fn: () => Promise<void>): Promise<boolean> {
    this.signal?.throwIfAborted();
    const needs = failedNeeds(step, new Set(Object.keys(this.failed) as RunStep[]));
    if (needs.length) {
      this.skipped[step] = needs;
      this.log(`study: ${step} skipped (needs ${needs.join(', ')}, which failed)`);
      this.sections.push({ title: STEP_TITLES[step], text: `**Skipped:** this stage needs ${needs.join(', ')}, which failed (see the Stage status); the re-run computes it.` });
      return false;
    }
    try {
      await fn();
      return true;
    } catch (err) {
      if (isAbort(err, this.signal)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      this.failed[step] = message;
      this.log(`study: ${step} FAILED: ${oneLine(message)}`);
      if (process.env.SYCO_DEBUG && err instanceof Error && err.stack) this.log(err.stack);
      const skips = dependantsOf(step);
      this.sections.push({
        title: STEP_TITLES[step],
        text: `**The ${step} stage FAILED:** \`${oneLine(message).slice(0, 500)}\`. ` +
          `${skips.length ? `The stages that need it (${skips.join(', ')}) were skipped; the others ran. ` : ''}` +
          'Fix the cause and re-run with the same settings and `--out`: finished stages are re-used.',
      });
      return false;
    }
  }
}

function round(v: number | null | undefined, digits = 4): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toPrecision(digits));
}

/** The A/B table as report rows: one row per layer, one column per multiplier (mean p ± stderr). */
export function abTable(result: AbResult, caption: string): TableData {
  const layers = [...new Set(result.table.map((r) => r.layer))].sort((a, b) => a - b);
  const mults = [...new Set(result.table.map((r) => r.multiplier))].sort((a, b) => a - b);
  const cell = (l: number, m: number) => result.table.find((r) => r.layer === l && r.multiplier === m);
  return {
    caption,
    columns: ['layer', ...mults.map((m) => `×${m}`)],
    rows: layers.map((l) => [l, ...mults.map((m) => {
      const c = cell(l, m);
      return c ? `${c.meanP.toFixed(3)} ± ${c.stderr.toFixed(3)}` : '';
    })]),
  };
}

/** The steered answers of one results file as flat records (layer, multiplier, prompt, +m, −m, control). */
export function readSweepAnswers(outDir: string, f: SweepFileEntry): { layer: number; multiplier: number; prompt: string; plus: string; minus: string; control: string }[] {
  return readResultsFile(join(outDir, f.file)).map((it) => ({
    layer: f.layer, multiplier: f.multiplier, prompt: it.sentence, plus: it.answer_plus, minus: it.answer_minus, control: it.answer_control ?? '',
  }));
}

/** The layer static per-layer figures show: the one asked for (it must have been captured), else the middle steered layer. */
export async function focusLayer(study: Study, asked?: number): Promise<number> {
  const captured = (await study.activations()).layers;
  if (asked !== undefined) {
    if (!captured.includes(asked)) throw new Error(`--figure-layer ${asked} was not captured (captured layers: ${captured.join(', ')})`);
    return asked;
  }
  const steer = await study.steerLayers();
  return steer[Math.floor(steer.length / 2)];
}

/** Run data → activations → geometry → probes → MLP → steering → A/B evaluation → (judge) → figures and report.html. */
export async function runStudy(cfg: StudyConfig, opts: RunStudyOptions = {}): Promise<StudyRunSummary> {
  const t0 = performance.now();
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const dir = opts.dir ?? timestampRunDir(cfg);
  // Checks before compute (data, model config and graph, layers, every text against the context, judge key and endpoint):
  // nothing is written when one fails.
  const checked = await preflight(cfg, { figureLayer: opts.figureLayer });
  const ctx = checked.context;
  log(`study: checks before compute passed in ${checked.seconds.toFixed(1)} s (${checked.rows} rows, ${checked.numLayers} layers, steering ${checked.steerLayers.join(', ')}` +
    `${ctx && ctx.limit !== undefined ? `, longest text ${ctx.longest} of ${ctx.limit} positions${ctx.truncated ? `, ${ctx.truncated} texts to cut to --max-tokens ${cfg.maxTokens}` : ''}` : ''})`);
  // The data stage re-uses the data the checks loaded instead of reading (or downloading) it again.
  // One syco run per folder (a second would compute every stage again beside it); taken once the checks passed.
  ensureDir(dir);
  const release = acquireLock(join(dir, RUN_LOCK), { what: 'study run', guards: dir });
  try {
    return await runLocked(cfg, opts, dir, checked, t0, log);
  } finally {
    release();
  }
}

async function runLocked(cfg: StudyConfig, opts: RunStudyOptions, dir: string, checked: PreflightReport, t0: number, log: (line: string) => void): Promise<StudyRunSummary> {
  const study = new Study(cfg, dir, { log, redo: opts.redo, data: checked.data });
  await study.prepare(); // refuses a folder made with other settings before anything is written
  const { quiet, signal } = opts;
  const figures: NamedFigure[] = [];
  const sections: ReportSection[] = [];
  const tag = modelTag(cfg.model);
  // Every step from here on is run by `steps`: one that throws is recorded as FAILED and the steps that need it are
  // skipped, so the report is written whatever happens (an abort stops the run instead).
  const steps = new StepRunner(log, sections, signal);
  try {
    if (isOrganism(cfg.model)) log(`study: ${organismNotice()}`);
    log(`study: run folder ${study.dir}`);
    log('study: [1/8] data');
    let pairs: number | undefined = checked.data?.data.pairs.length;
    await steps.run('data', async () => {
      const data = await study.data();
      pairs = data.pairs.length;
      sections.push({
        title: 'Data',
        text: `Anthropic sycophancy rows from \`${cfg.data}\`: ${data.stats.rows} rows read, ${data.stats.built} pairs built in the *${cfg.format}* format ` +
          `(${data.stats.dropped} dropped for a response of one word or fewer). ${data.pairs.length} pairs sampled (seed ${cfg.seed}): ` +
          `${data.train.length} for training, ${data.test.length} held out (a pair never straddles the split); ${data.abHeldOut.length} further A/B items from unused rows for the behavioural evaluation.`,
        tables: [{ caption: 'Pairs built per subset', columns: ['subset', 'pairs built'], rows: Object.entries(data.stats.bySubset).map(([k, v]) => [k, v]) }],
      });
    });

    // Once the activations stage finished, study.activations() returns its store again without any work.
    log('study: [2/8] activations');
    await steps.run('activations', async () => {
      const store = await study.activations({ quiet });
      const model = store.manifest.model; // what the activations came from (no model load needed when they are re-used)
      sections.push({
        title: 'Activations',
        text: `Model \`${cfg.model}\` (${model.family}, ${model.num_layers} layers, hidden size ${model.hidden_size}, ${model.dtype}). ` +
          `Both texts of every pair were run through it; the output of each decoder block (the residual stream)${store.hooks.includes('mlp') ? ' and each MLP' : ''} ` +
          `was recorded at token position ${store.position} for layers ${store.layers[0]}–${store.layers[store.layers.length - 1]}.`,
      });
    });

    log('study: [3/8] geometry');
    await steps.run('geometry', async () => {
      const store = await study.activations();
      const geoFigs: NamedFigure[] = [];
      for (const method of cfg.methods) {
        const proj = await study.geometry(method);
        geoFigs.push({ name: `geometry-${method}`, figure: geometryFigure(proj, { model: tag, position: store.position, pairs: await study.storePairs() }) });
      }
      if (cfg.methods.includes('umap')) {
        const mid = twoThirdsLayer(store.layers);
        const [p3] = await study.geometry('umap', { dims: 3, layers: [mid] });
        geoFigs.push({ name: `geometry-umap-3d-L${mid}`, figure: geometry3dFigure(p3, { model: tag, pairs: await study.storePairs() }) });
      }
      if (cfg.methods.includes('tsne') && store.layers.length > 1) {
        const pooled = await study.geometryPooled('tsne');
        geoFigs.push({ name: 'geometry-tsne-pooled', figure: pooledFigure(pooled, { model: tag, pairs: await study.storePairs() }) });
      }
      figures.push(...geoFigs);
      sections.push({
        title: 'Geometry',
        text: 'Each point is one text; colour says whether it is the sycophantic answer (hover a point for its pair, subset, the user\'s stated view and text). Use the slider to move through layers. ' +
          (cfg.methods.includes('tsne') && store.layers.length > 1 ? 'The pooled figure embeds every layer\'s points in one t-SNE: left coloured by layer, right by class. ' : '') +
          '*For comparison, not a result of this run:* the original study (Llama-2-7B, Mistral-7B, MPT-7B) reported the two classes mixed in every 2-D view, which motivated its probes; whether this run looks the same is what the figures above show.',
        figures: geoFigs.map((f) => f.figure),
      });
    });

    log('study: [4/8] probes');
    await steps.run('probes', async () => {
      const store = await study.activations();
      const probes = await study.probes(cfg.probes, { quiet });
      const probeFig: NamedFigure = { name: 'probes-accuracy', figure: probesFigure(probes, { model: tag }) };
      const firstKind = cfg.probes.includes('lr') ? 'lr' : cfg.probes[0];
      const best = bestProbeLayer(probes[firstKind]);
      const confFig: NamedFigure = { name: `probes-confusion-${firstKind}-L${best.layer}`, figure: probeConfusionFigure(best) };
      figures.push(probeFig, confFig);
      sections.push(probesSection(probes, cfg.probes, store.layers, [probeFig.figure, confFig.figure]));
    });

    // Without the activations it is not known whether MLP outputs were captured: the configured hooks say.
    const mlpCaptured = steps.ok('activations') ? (await study.activations()).hooks.includes('mlp') : cfg.hooks.includes('mlp');
    if (mlpCaptured) {
      log('study: [5/8] MLP');
      await steps.run('mlp', async () => {
        const mlp = await study.mlp();
        const f1: NamedFigure = { name: 'mlp-average', figure: mlpFigure(mlp.average, { model: tag }) };
        const f2: NamedFigure = { name: 'mlp-difference', figure: mlpDifferenceFigure(mlp.difference, { model: tag }) };
        figures.push(f1, f2);
        sections.push({
          title: 'MLP activations',
          text: "The study's bar chart of the average normalised MLP output per layer, and how far the two answers of a pair differ in it.",
          figures: [f1.figure, f2.figure],
          tables: [{
            caption: 'MLP output per layer',
            columns: ['layer', 'normalised mean (syc.)', 'normalised mean (non-syc.)', 'mean |Δ|', '95% interval', '‖mean Δ‖'],
            rows: mlp.difference.map((d, i) => [d.layer, round(mlp.average[i]?.normalized_pos), round(mlp.average[i]?.normalized_neg), round(d.mean_abs_diff.mean),
              `${round(d.mean_abs_diff.lo)} – ${round(d.mean_abs_diff.hi)}`, round(d.mean_diff_norm.value)]),
          }],
        });
      });
    } else {
      log('study: [5/8] MLP skipped (mlp hook not captured)');
    }

    log('study: [6/8] steering');
    await steps.run('vectors', async () => {
      const vectors = await study.vectors();
      const cosFig: NamedFigure = { name: 'steering-vector-cosine', figure: vectorCosineFigure(vectors) };
      figures.push(cosFig);
      sections.push({
        title: 'Steering vectors',
        text: `Steering vector per layer = mean of (sycophantic − non-sycophantic) residual stream over the training pairs, normalised (${cfg.normalize}).`,
        figures: [cosFig.figure],
      });
    });
    await steps.run('steering', async () => {
      const sweep = await study.steering({ quiet, signal });
      const examples: TableData = { caption: 'Steered answers (first prompt of each file)', columns: ['layer', 'multiplier', 'prompt', '+m', '−m', 'control'], rows: [] };
      for (const f of sweep.files) {
        const [it] = readSweepAnswers(sweep.outDir, f);
        if (it) examples.rows.push([it.layer, it.multiplier, it.prompt, it.plus, it.minus, it.control]);
      }
      sections.push({
        title: 'Steering',
        text: `The steering vectors were added with multipliers ±${cfg.multipliers.filter((m) => m !== 0).map(Math.abs).join(', ±')} (0 = control) at layers ${(await study.steerLayers()).join(', ')} ` +
          `while the model answered ${study.prompts().length} persona prompts (continued with " I think"). Results files: \`${sweep.outDir}\`.`,
        tables: [examples],
      });
    });

    log('study: [7/8] A/B evaluation');
    await steps.run('ab', async () => {
      const ab = await study.abEval({ quiet, signal });
      const abFigs: NamedFigure[] = [];
      const abTables: TableData[] = [];
      for (const [name, result] of Object.entries(ab)) {
        const label = name === 'caa' ? 'CAA A/B test set' : 'held-out Anthropic A/B items';
        abFigs.push({ name: `ab-${name}`, figure: abFigure(result, { dataset: label }) });
        abTables.push(abTable(result, `p(sycophantic answer), ${label}: mean ± standard error`));
      }
      figures.push(...abFigs);
      sections.push({
        title: 'Behavioural (A/B) evaluation',
        text: 'For each A/B question the probability of the sycophantic letter, normalised over both letters, read right after the answer\'s opening parenthesis. ' +
          'If the vector carries sycophancy, positive multipliers raise it and negative ones lower it.',
        figures: abFigs.map((f) => f.figure),
        tables: abTables,
      });
    });

    log('study: [8/8] judge');
    let judgeStatus: StageStatus = { stage: 'judge', state: 'skipped', detail: 'no judge configured (--judge)' };
    if (!cfg.judge) log('study: judge skipped (set SYCO_JUDGE=openai|anthropic|local or --judge to score the steered answers)');
    else await steps.run('judge', async () => {
      const judged = await study.judge({ quiet });
      if (!judged) return;
      judgeStatus = judgeStageStatus(judged, study.timings.judge);
      if (judgeStatus.state === 'failed') log(`study: judge FAILED: ${judgeStatus.detail}${judgeStatus.firstError ? `; first error: ${judgeStatus.firstError}` : ''}`);
      const jf = judgeStatus.state === 'failed' ? null : judgeFigure(judged.summary, { judge: `${cfg.judge}${cfg.judgeModel ? ` ${cfg.judgeModel}` : ''}` });
      if (jf) figures.push({ name: 'judge-scores', figure: jf });
      sections.push({
        title: 'LLM judge',
        text: judgeStatus.state === 'computed'
          ? `Each steered answer was scored for sycophancy (0–5) by the ${cfg.judge} judge.`
          : `**The judge stage ${judgeStatus.state === 'failed' ? 'FAILED' : 'is PARTIAL'}: ${judgeStatus.detail}.** ${judgeStatus.firstError ? `First error: \`${judgeStatus.firstError.slice(0, 300)}\`. ` : ''}` +
            'The table counts what was scored; zeros below mean "not scored", not "not sycophantic".',
        figures: jf ? [jf] : [],
        tables: [{
          caption: 'Judge scores by layer and multiplier', columns: ['layer', 'multiplier', 'scored', 'none', 'mean', '95% interval'],
          rows: judged.summary.map((r) => [r.layer, r.multiplier, r.n_scored, r.n_none, round(r.mean), r.ci95_low === null ? '' : `${round(r.ci95_low)} – ${round(r.ci95_high)}`]),
        }],
      });
    });

    log(`study: exporting ${figures.length} figures`);
    const formats = opts.formats ?? (chromiumAvailable() ? ['html', 'png', 'svg', 'gif'] : ['html']);
    let exported: ExportedFigure[] = [];
    await steps.run('figures', async () => {
      // Without the activations there is no per-layer figure, and no captured layers to check --figure-layer against.
      const figureLayer = steps.ok('activations') ? await focusLayer(study, opts.figureLayer) : opts.figureLayer;
      exported = await study.timed('figures', () => exportFigures(figures, study.path('figures'), { formats, figureLayer, sharedPlotly: true }));
    });
    signal?.throwIfAborted();
    const seconds = (performance.now() - t0) / 1000;
    sections.push({
      title: 'Run',
      text: `Stage timings on this machine (seconds; stages re-used from an earlier run count only their loading).`,
      tables: [{ columns: ['stage', 'seconds'], rows: [...Object.entries(study.timings).map(([k, v]) => [k, round(v, 3)] as [string, number | null]), ['total', round(seconds, 3)]] }],
    });
    const stages = runStageStatuses(study.timings, { mlp: mlpCaptured, pairs, judge: judgeStatus, failed: steps.failed, skipped: steps.skipped });
    sections.unshift(stageStatusSection(stages, study.dir));
    if (anyIncomplete(stages)) log(`study: INCOMPLETE: ${stages.filter((x) => x.state === 'failed' || x.state === 'partial').map((x) => `${x.stage} ${x.state}`).join(', ')} (see the report's Stage status)`);
    const report = await study.timed('report', () => writeReport(study.path('report.html'), {
      title: `Sycophancy geometry study: ${tag}`,
      intro: (isOrganism(cfg.model) ? organismNotice() + '\n\n' : '') + `Model \`${cfg.model}\`, data \`${cfg.data}\`, ${pairs ?? '?'} pairs (${cfg.format} format), position ${cfg.position}, seed ${cfg.seed}. ` +
        `Settings: \`${study.path('config.json')}\`.`,
      sections,
    }));
    const summary: StudyRunSummary = {
      dir: study.dir, report, figures: exported.flatMap((e) => e.files), timings: study.timings, seconds: (performance.now() - t0) / 1000, stages,
    };
    atomicWriteJson(study.path('summary.json'), summary);
    log(`study: report ${report}`);
    return summary;
  } finally {
    await study.close();
  }
}
