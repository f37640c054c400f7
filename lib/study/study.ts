// One run of the study in one folder: each stage computes its result once, saves it there, and re-uses it on the
// next call (a notebook re-run, or `syco run` resumed after a crash). Notebooks and the CLI call the same methods.
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readPairsJsonl, writePairsJsonl, type Pair } from '../datasets/index';
import type { HookedModel, HookName } from '../model/types';
import { extractActivations, type ExtractSummary } from '../activations/extract';
import { ActivationStore, openActivationStore } from '../activations/store';
import { projectLayers, type LayerProjection, type ProjectionMethod } from '../geometry/project';
import { inTslabKernel } from '../util/kernel';
import { loadPooled, projectPooled, savePooled, type PooledProjection } from '../geometry/pooled';
import { fromSavedProjection, GEOMETRY_FORMAT, toSavedProjection, type SavedLayerProjection } from '../geometry/saved';
import { PROBES_FORMAT, probeSweep, type ProbeSummary } from '../probes/sweep';
import type { ProbeKind } from '../probes/types';
import { mlpAverageActivation, mlpDifference, type MlpLayerActivation, type MlpLayerDifference } from '../mlp/index';
import { computeVectors, loadVectors, saveVectors, vectorDigest, type SteeringVectorSet } from '../steering/vectors';
import { steeringSweep, type SweepSummary } from '../steering/sweep';
import { abEvaluate, abItemsFromPairs, loadAbItems, type AbCell, type AbResult } from '../steering/ab';
import type { JudgeReport } from '../judge/judge';
import { atomicWriteJson, ensureDir, readJsonFile } from '../util/fs';
import { dataKey, loadStudyData, studyPrompts, type PreparedData, type StudyData } from './data';
import { modelTag, resolveSteerLayers, signedMultipliers, type StudyConfig } from './config';
import { layeredResult, savedResult, settingsKey, StageBook, stageSettings, type ResultCodec, type StageName, type StageSettings } from './stage';
import { modelSha256 } from './model-hash';

export type { StudyData } from './data';

export type { ProbeSummary } from '../probes/sweep';

/** The MLP stage's result: the study's normalised average activation and the pos−neg difference statistics. */
export interface StudyMlp {
  average: MlpLayerActivation[];
  difference: MlpLayerDifference[];
}

/** Seconds spent in each stage by this process (stages re-used from disk count their load time). */
export type StageTimings = Record<string, number>;

/** The folder a notebook uses for a configuration: runs/nb-<model>-<hash of the data/activation settings>. */
export function notebookRunDir(cfg: StudyConfig): string {
  const key = settingsKey([cfg.model, cfg.dtype, cfg.modelFile ?? null, cfg.data, cfg.subsets ?? null, cfg.format, cfg.pairs, cfg.testFrac, cfg.layers, cfg.position, cfg.hooks, cfg.seed]);
  return join(cfg.runsDir, `nb-${modelTag(cfg.model)}-${key.slice(0, 8)}`);
}

/** A run folder name for `syco run`: runs/<UTC timestamp>. */
export function timestampRunDir(cfg: StudyConfig, now = new Date()): string {
  return join(cfg.runsDir, now.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z'));
}

/** The whole study over one run folder: data → activations → geometry | probes | MLP (→ steering, judge in later stages). */
export class Study {
  readonly cfg: StudyConfig;
  readonly dir: string;
  /** Seconds per stage spent by this object. */
  readonly timings: StageTimings = {};
  private dataCache?: StudyData;
  private modelCache?: Promise<HookedModel>;
  private storeCache?: ActivationStore;
  private log: (line: string) => void;
  private readonly redo: StageName[];
  private readonly book: StageBook;
  private preparing?: Promise<Record<StageName, StageSettings>>;
  private preloaded?: PreparedData;

  /**
   * A study over a run folder. Nothing is written until the first stage (or prepare()) has checked that the folder's
   * saved stages were made with these settings; `redo` recomputes those stages and everything downstream. `data` is
   * the data stage's result already prepared from the same settings (preflight's), used instead of loading it again.
   */
  constructor(cfg: StudyConfig, dir: string, opts: { log?: (line: string) => void; redo?: StageName[]; data?: PreparedData } = {}) {
    this.cfg = cfg;
    this.preloaded = opts.data;
    this.dir = resolve(dir);
    // In a notebook, stage messages go to stdout (plain output, not the red stderr box).
    this.log = opts.log ?? ((line) => (inTslabKernel() ? process.stdout : process.stderr).write(line + '\n'));
    this.redo = opts.redo ?? [];
    this.book = new StageBook(this.dir);
  }

  /**
   * Check the run folder against these settings (the model's sha256 included) before anything is written: throws
   * StageConflictError listing the differences and the --redo that applies them; else clears the redo stages and
   * writes config.json. Every stage calls it first; call it yourself to fail early.
   */
  prepare(): Promise<Record<StageName, StageSettings>> {
    this.preparing ??= (async () => {
      const settings = stageSettings(this.cfg, { modelSha256: await modelSha256(this.cfg) });
      const planned: Partial<Record<StageName, StageSettings>> = { ...settings };
      if (!this.cfg.judge) delete planned.judge;
      if (!this.cfg.hooks.includes('mlp')) delete planned.mlp;
      const clear = this.book.check(planned, this.redo);
      ensureDir(this.dir);
      if (clear.length) this.log(`study: --redo ${this.redo.join(',')}: recomputing ${clear.join(', ')}`);
      this.book.clear(clear);
      atomicWriteJson(join(this.dir, 'config.json'), { ...this.cfg, saved: new Date().toISOString() });
      return settings;
    })();
    return this.preparing;
  }

  /** Check the folder, then record that `stage` is computed here with this run's settings; returns those settings. */
  private async stage(stage: StageName): Promise<StageSettings> {
    const settings = (await this.prepare())[stage];
    this.book.begin(stage, settings);
    return settings;
  }

  /** Path of a file inside the run folder. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Time a stage and record it under `name`. */
  async timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.timings[name] = (this.timings[name] ?? 0) + (performance.now() - t0) / 1000;
    }
  }

  /**
   * A stage result saved in `file` as {key, settings, result}: returned from disk when it was saved for the same settings,
   * else computed, saved atomically and returned. `codec` converts results that are not plain JSON (typed arrays).
   */
  private async saved<T, J = T>(stage: StageName, file: string, settings: unknown, compute: () => Promise<T>, codec?: ResultCodec<T, J>): Promise<T> {
    await this.stage(stage);
    return savedResult(file, settings, compute, codec);
  }

  /** Stage 1: load and validate the Anthropic rows, build pairs, sample and split them (saved as JSONL). */
  async data(): Promise<StudyData> {
    if (this.dataCache) return this.dataCache;
    await this.stage('data');
    return this.timed('data', async () => {
      const key = dataKey(this.cfg);
      const metaPath = this.path('data', 'data.json');
      if (existsSync(metaPath)) {
        const meta = readJsonFile<{ key: string; stats: StudyData['stats'] }>(metaPath);
        if (meta.key === key) {
          const read = (n: string) => readPairsJsonl(this.path('data', n));
          this.dataCache = { pairs: read('pairs.jsonl'), train: read('pairs.train.jsonl'), test: read('pairs.test.jsonl'), abHeldOut: read('ab_heldout.jsonl'), stats: meta.stats };
          return this.dataCache;
        }
      }
      // The checks before compute loaded the data already (syco run): re-use it instead of reading it again.
      const prepared = this.preloaded?.key === key ? this.preloaded : await loadStudyData(this.cfg);
      this.preloaded = undefined;
      for (const w of prepared.warnings) this.log(`data: warning: ${w}`);
      const { pairs, train, test, abHeldOut, stats } = prepared.data;
      ensureDir(this.path('data'));
      writePairsJsonl(this.path('data', 'pairs.jsonl'), pairs);
      writePairsJsonl(this.path('data', 'pairs.train.jsonl'), train);
      writePairsJsonl(this.path('data', 'pairs.test.jsonl'), test);
      writePairsJsonl(this.path('data', 'ab_heldout.jsonl'), abHeldOut);
      atomicWriteJson(metaPath, { key, stats });
      this.dataCache = prepared.data;
      return this.dataCache;
    });
  }

  /** The hooked model (loaded once per Study). */
  model(): Promise<HookedModel> {
    if (!this.modelCache) {
      this.modelCache = this.timed('model load', async () => {
        const { loadHookedModel } = await import('../model/hooked');
        return loadHookedModel(this.cfg.model, { dtype: this.cfg.dtype, modelFileName: this.cfg.modelFile, threads: this.cfg.threads });
      });
    }
    return this.modelCache;
  }

  /** Stage 2: every pair through the model, residual stream (and MLP output) of every chosen layer at the chosen position. Resumable. */
  async activations(opts: { quiet?: boolean } = {}): Promise<ActivationStore> {
    if (this.storeCache) return this.storeCache;
    await this.stage('activations');
    const dir = this.path('activations');
    if (existsSync(join(dir, 'manifest.json'))) {
      const store = openActivationStore(dir);
      if (store.complete) return (this.storeCache = store);
    }
    const { pairs } = await this.data();
    const model = await this.model();
    const summary: ExtractSummary = await this.timed('activations', () => extractActivations({
      model, pairs, outDir: dir, hooks: this.cfg.hooks, layers: this.cfg.layers, position: this.cfg.position,
      batchSize: this.cfg.batchSize, maxTokens: this.cfg.maxTokens, source: this.cfg.data, quiet: opts.quiet,
    }));
    this.log(`activations: ${summary.pairs} pairs, ${summary.layers.length} layers × ${summary.hooks.join('+')} (${summary.computed} computed, ${summary.skipped} re-used) in ${summary.seconds.toFixed(1)} s`);
    return (this.storeCache = openActivationStore(dir));
  }

  /** The sampled pairs in activation-store order (element k is the store's pair k), e.g. for hover texts of projections. */
  async storePairs(): Promise<(Pair | undefined)[]> {
    const store = await this.activations();
    const { pairs } = await this.data();
    const byId = new Map(pairs.map((p) => [p.id, p]));
    const ids = store.pairIds;
    return ids.length ? ids.map((id) => byId.get(id)) : pairs.slice(0, store.pairs);
  }

  /** Stage 3: per-layer 2-D (or 3-D) projections of pos and neg activations by one method (saved per method). */
  async geometry(method: ProjectionMethod, opts: { dims?: 2 | 3; hook?: HookName; layers?: number[] } = {}): Promise<LayerProjection[]> {
    const store = await this.activations();
    const dims = opts.dims ?? 2;
    const hook = opts.hook ?? 'resid';
    const layers = opts.layers ?? store.layers;
    const settings = { method, dims, hook, of: 'both', seed: this.cfg.seed, iterations: method === 'tsne' ? this.cfg.tsneIterations : null };
    const file = this.path('geometry', `${method}${dims === 3 ? '-3d' : ''}${hook === 'resid' ? '' : `-${hook}`}.json`);
    await this.stage('geometry');
    const { layers: saved } = await layeredResult<SavedLayerProjection>(file, {
      format: GEOMETRY_FORMAT, settings, layers, extra: { pair_ids: store.pairIds },
      compute: (todo, done) => this.timed(`geometry ${method}`, () => void projectLayers(store, {
        method, dims, hook, layers: todo, seed: this.cfg.seed, iterations: settings.iterations ?? undefined, threads: this.cfg.threads,
        onLayer: (p) => done(toSavedProjection(p)),
      })),
    });
    return saved.map((l) => fromSavedProjection(l));
  }

  /** Stage 3b: one embedding of every layer's points pooled (default t-SNE; saved as geometry/<method>-pooled.json). */
  async geometryPooled(method: ProjectionMethod = 'tsne', opts: { hook?: HookName; maxPoints?: number } = {}): Promise<PooledProjection> {
    const store = await this.activations();
    const hook = opts.hook ?? 'resid';
    const settings = { method, hook, layers: store.layers, seed: this.cfg.seed, maxPoints: opts.maxPoints ?? 3000, iterations: method === 'tsne' ? this.cfg.tsneIterations : undefined };
    const file = this.path('geometry', `${method}-pooled${hook === 'resid' ? '' : `-${hook}`}.json`);
    return this.saved('geometry', file, settings, () => this.timed(`geometry ${method} pooled`, async () => projectPooled(store, {
      method, hook, seed: this.cfg.seed, maxPoints: settings.maxPoints, iterations: settings.iterations, threads: this.cfg.threads,
    })), { save: savePooled, load: loadPooled });
  }

  /** Stage 4: one probe per layer of every configured kind, trained on the train split and scored on the test split. */
  async probes(kinds: ProbeKind[] = this.cfg.probes, opts: { hook?: HookName; quiet?: boolean } = {}): Promise<Record<string, ProbeSummary[]>> {
    const store = await this.activations();
    const hook = opts.hook ?? 'resid';
    const out: Record<string, ProbeSummary[]> = {};
    for (const kind of kinds) {
      const settings = { kind, hook, testFrac: this.cfg.testFrac, valFrac: 0.25, seed: this.cfg.seed };
      const file = this.path('probes', `${kind}${hook === 'resid' ? '' : `-${hook}`}.json`);
      await this.stage('probes');
      const res = await layeredResult<ProbeSummary>(file, {
        format: PROBES_FORMAT, settings, layers: store.layers,
        compute: (todo, done) => this.timed(`probe ${kind}`, () => void probeSweep(store, {
          probe: kind, hook, testFrac: this.cfg.testFrac, valFrac: settings.valFrac, seed: this.cfg.seed, layers: todo, quiet: opts.quiet,
          onLayer: ({ direction: _d, ...entry }) => done(entry),
        })),
      });
      out[kind] = res.layers;
    }
    return out;
  }

  /** Stage 5: average normalised MLP activation per layer and the pos−neg difference statistics. */
  async mlp(): Promise<StudyMlp> {
    const store = await this.activations();
    if (!store.hooks.includes('mlp')) throw new Error(`${store.dir}: MLP outputs were not captured (hooks: ${store.hooks.join(', ')}); add mlp to SYCO_HOOKS`);
    return this.saved('mlp', this.path('mlp', 'mlp.json'), { layers: store.layers, pairs: store.pairs, seed: this.cfg.seed }, () => this.timed('mlp', () => ({
      average: mlpAverageActivation(store, { quiet: true }).layers,
      difference: mlpDifference(store, { quiet: true, seed: this.cfg.seed }),
    })));
  }

  /** Stage 6a: steering vectors per layer — mean of (sycophantic − non-sycophantic) over the training pairs, normalised. */
  async vectors(): Promise<SteeringVectorSet> {
    const store = await this.activations();
    const { train } = await this.data();
    await this.stage('vectors');
    const dir = this.path('vectors');
    const key = settingsKey([store.dir, store.pairs, this.cfg.normalize, train.map((p) => p.id)]);
    const keyPath = join(dir, 'study-key.json');
    if (existsSync(keyPath) && readJsonFile<{ key: string }>(keyPath).key === key) return loadVectors(dir);
    const set = await this.timed('vectors', () => computeVectors(store, { hook: 'resid', normalize: this.cfg.normalize, pairIds: train.map((p) => p.id) }));
    saveVectors(dir, set);
    atomicWriteJson(keyPath, { key });
    return set;
  }

  /** The layers steered: the configured ones, or three around two thirds of the depth. */
  async steerLayers(): Promise<number[]> {
    return resolveSteerLayers(this.cfg, (await this.activations()).layers);
  }

  /** The open-ended prompts of the steering sweep (configured list or the project's persona prompts, first promptLimit). */
  prompts(): string[] {
    return studyPrompts(this.cfg);
  }

  /** Stage 6b: steered open-ended answers (+m, −m, control) per steered layer, in the study's results files. Resumable per file. */
  async steering(opts: { quiet?: boolean; signal?: AbortSignal } = {}): Promise<SweepSummary> {
    const vectors = await this.vectors();
    const layers = await this.steerLayers();
    const model = await this.model();
    const magnitudes = signedMultipliers(this.cfg.multipliers).filter((m) => m > 0);
    if (!magnitudes.length) throw new Error('steering: multipliers hold only 0; give at least one non-zero multiplier (SYCO_MULTIPLIERS)');
    const { pairs } = await this.data();
    await this.stage('steering');
    return this.timed('steering', () => steeringSweep(model, {
      vectors, layers, multipliers: magnitudes, prompts: this.prompts(), maxNewTokens: this.cfg.maxNewTokens, iThink: true,
      outDir: this.path('steering'), modelTag: modelTag(this.cfg.model), pairsTag: pairs.length, seed: this.cfg.seed,
      overwrite: true, quiet: opts.quiet, signal: opts.signal,
    }));
  }

  /** Stage 7: A/B evaluation — p(sycophantic letter) normalised over both letters per layer × multiplier, on held-out Anthropic items and the CAA test set when configured. Resumable per cell. */
  async abEval(opts: { quiet?: boolean; signal?: AbortSignal } = {}): Promise<Record<string, AbResult>> {
    const vectors = await this.vectors();
    const layers = await this.steerLayers();
    const { abHeldOut } = await this.data();
    const multipliers = signedMultipliers(this.cfg.multipliers);
    const sets: Record<string, { items: ReturnType<typeof abItemsFromPairs>; source: string }> = {};
    if (abHeldOut.length) sets.anthropic = { items: abItemsFromPairs(abHeldOut), source: this.cfg.data };
    if (this.cfg.abDataset) sets.caa = { items: loadAbItems(this.cfg.abDataset).items, source: this.cfg.abDataset };
    const out: Record<string, AbResult> = {};
    for (const [name, { items, source }] of Object.entries(sets)) {
      const settings = { source, items: items.map((i) => i.id), layers, multipliers, vectors: layers.map((l) => vectorDigest(vectors.vectors.get(l)!)) };
      const file = this.path('ab', `${name}.json`);
      out[name] = await this.saved('ab', file, settings, async () => {
        const model = await this.model();
        // Finished (layer, multiplier) cells are kept in <name>.cells.json until the whole result is saved, so a
        // resumed run computes only the cells that were missing.
        const cellsFile = this.path('ab', `${name}.cells.json`);
        const key = settingsKey(settings);
        const done = existsSync(cellsFile) ? readJsonFile<{ key?: string; cells?: AbCell[] }>(cellsFile) : {};
        const res = await this.timed('A/B evaluation', () => abEvaluate(model, {
          vectors, layers, multipliers, items, maxTokens: this.cfg.maxTokens, quiet: opts.quiet, signal: opts.signal,
          done: done.key === key ? done.cells ?? [] : [],
          onCell: (_cell, sofar) => atomicWriteJson(cellsFile, { key, cells: sofar.cells }),
        }));
        rmSync(cellsFile, { force: true });
        return res;
      });
    }
    return out;
  }

  /** Stage 8: score the steered answers with an LLM judge (null when no judge backend is configured). Resumable. */
  async judge(opts: { quiet?: boolean } = {}): Promise<JudgeReport | null> {
    if (!this.cfg.judge) return null;
    await this.steering({ quiet: opts.quiet });
    await this.stage('judge');
    const { judgeResults } = await import('../judge/judge');
    return this.timed('judge', () => judgeResults({
      results: this.path('steering'), out: this.path('judge'),
      backend: { backend: this.cfg.judge!, model: this.cfg.judgeModel, baseURL: this.cfg.judgeBaseUrl },
      quiet: opts.quiet,
    }));
  }

  /** Release the model. */
  async close(): Promise<void> {
    if (this.modelCache) {
      const m = await this.modelCache.catch(() => null);
      this.modelCache = undefined;
      await m?.dispose();
    }
  }
}
