import { resolve } from 'node:path';
import type { Command } from './index';
import { parseFlags, UsageError } from './args';
import { EXPORT_FORMATS, type ExportFormat } from '../plots/export';

const USAGE = `usage: syco run [--model <dir|hub id>] [--data <dir|file|url|upstream>] [--out <run dir>] [flags]
       (npm start -- [flags])

Runs the whole study into one folder (default runs/<UTC timestamp>/): data -> activations -> geometry ->
probes -> MLP -> steering vectors and open-ended sweep -> A/B evaluation -> judge (when configured) ->
figures (figures/*.html, and .png/.svg when Chromium is installed) and a self-contained report.html.
Every stage saves its result; re-running with --out <same folder> resumes and re-uses finished stages.
Each flag overrides its environment variable, which overrides the default. Prints a JSON summary on stdout.

  --model          hub id or local folder (SYCO_MODEL; default HuggingFaceTB/SmolLM2-135M-Instruct)
  --dtype          fp32, fp16, q8, q4, ... (SYCO_DTYPE; default fp32)
  --data           Anthropic sycophancy folder/file/URL or "upstream" (SYCO_DATA; default upstream)
  --out            run folder (default runs/<timestamp>; SYCO_RUNS sets the parent)
  --format         sentence or ab pairs (SYCO_FORMAT; default sentence)
  --pairs          pairs sampled (SYCO_PAIRS; default 200)
  --layers         layers captured: all, 0-4, 1,3,5 (SYCO_LAYERS; default all)
  --position       token position, negative from the end, or mean (SYCO_POSITION; default -2)
  --methods        projections: pca,tsne,umap,lle,spectral (SYCO_METHODS; default pca,tsne,umap)
  --probes         lr,lr-recipe,mm,mm-iid,ccs (SYCO_PROBES; default lr,mm,mm-iid,ccs)
  --steer-layers   auto or a list/range (SYCO_STEER_LAYERS; default auto = 3 layers near 2/3 depth)
  --multipliers    steering magnitudes; m gives +m and -m, 0 is the control (SYCO_MULTIPLIERS; default 2,0)
  --normalize      unit (the study), common (CAA), none (SYCO_NORMALIZE; default common)
  --prompts        open-ended prompt list (SYCO_PROMPTS; default data/persona_prompts.json)
  --prompt-limit   prompts used (SYCO_PROMPT_LIMIT; default 10)
  --max-new-tokens tokens per steered answer (SYCO_MAX_NEW_TOKENS; default 24)
  --ab-dataset     CAA A/B test set JSON, evaluated beside held-out Anthropic items (SYCO_AB_DATASET)
  --ab-items       held-out Anthropic A/B items (SYCO_AB_ITEMS; default 50)
  --judge          openai, anthropic, local or none (SYCO_JUDGE; default none). Keys from OPENAI_API_KEY / ANTHROPIC_API_KEY
  --judge-model    judge model (SYCO_JUDGE_MODEL)
  --judge-url      OpenAI/Anthropic-compatible base URL (SYCO_JUDGE_URL)
  --figures        figure formats: html, png, svg, gif (default all four when Chromium is installed, else html).
                   Per-layer figures: HTML keeps the layer slider; PNG/SVG show one layer (--figure-layer),
                   <name>-grid.png/.svg every layer as small multiples, <name>.gif an animation across layers
  --figure-layer   layer shown by static per-layer figures (default the middle steered layer)
  --seed           seed of sampling, splits and embeddings (SYCO_SEED; default 0)
  --threads        ONNX Runtime threads (SYCO_THREADS)
  --quiet          no progress bars`;

const FLAGS = [
  'model', 'dtype', 'data', 'out', 'format', 'pairs', 'layers', 'position', 'methods', 'probes', 'steer-layers', 'multipliers',
  'normalize', 'prompts', 'prompt-limit', 'max-new-tokens', 'ab-dataset', 'ab-items', 'judge', 'judge-model', 'judge-url', 'figures', 'figure-layer', 'seed', 'threads',
] as const;

/** Flag name → the environment variable it stands for (flags are applied through the same parser as the environment). */
const ENV_OF: Record<string, string> = {
  model: 'SYCO_MODEL', dtype: 'SYCO_DTYPE', data: 'SYCO_DATA', format: 'SYCO_FORMAT', pairs: 'SYCO_PAIRS', layers: 'SYCO_LAYERS',
  position: 'SYCO_POSITION', methods: 'SYCO_METHODS', probes: 'SYCO_PROBES', 'steer-layers': 'SYCO_STEER_LAYERS',
  multipliers: 'SYCO_MULTIPLIERS', normalize: 'SYCO_NORMALIZE', prompts: 'SYCO_PROMPTS', 'prompt-limit': 'SYCO_PROMPT_LIMIT',
  'max-new-tokens': 'SYCO_MAX_NEW_TOKENS', 'ab-dataset': 'SYCO_AB_DATASET', 'ab-items': 'SYCO_AB_ITEMS', judge: 'SYCO_JUDGE',
  'judge-model': 'SYCO_JUDGE_MODEL', 'judge-url': 'SYCO_JUDGE_URL', seed: 'SYCO_SEED', threads: 'SYCO_THREADS',
};

/** Join `--flag -2` (or `-2,0,2`) into `--flag=-2` so a negative number is read as the flag's value. */
function joinNegativeArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = argv[i + 1];
    if (a.startsWith('--') && (FLAGS as readonly string[]).includes(a.slice(2)) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** `syco run`: the whole study end to end into runs/<timestamp>/ with figures and report.html. */
export const command: Command = {
  summary: 'run the whole study end to end',
  async run(argv: string[]): Promise<void> {
    const spec: Record<string, { type: 'string' } | { type: 'boolean'; short?: string }> = { quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };
    for (const f of FLAGS) spec[f] = { type: 'string' };
    const { values, positionals } = parseFlags('run', joinNegativeArgs(argv), spec as never) as {
      values: Record<string, string | boolean | undefined>; positionals: string[];
    };
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    if (positionals.length) throw new UsageError(`syco run: unexpected argument "${positionals[0]}"\n\n${USAGE}`);
    const env: Record<string, string | undefined> = { ...process.env };
    for (const [flag, name] of Object.entries(ENV_OF)) {
      const v = values[flag];
      if (typeof v === 'string') env[name] = v;
    }
    let formats: ExportFormat[] | undefined;
    if (typeof values.figures === 'string') {
      formats = values.figures.split(',').map((s) => s.trim()).filter(Boolean) as ExportFormat[];
      for (const f of formats) if (!EXPORT_FORMATS.includes(f)) throw new UsageError(`syco run: --figures: unknown format "${f}" (${EXPORT_FORMATS.join(', ')})`);
    }
    let figureLayer: number | undefined;
    if (typeof values['figure-layer'] === 'string') {
      figureLayer = Number(values['figure-layer']);
      if (!Number.isInteger(figureLayer) || figureLayer < 0) throw new UsageError(`syco run: --figure-layer must be a 0-based layer index, got "${values['figure-layer']}"`);
    }
    if (values.quiet) process.env.SYCO_QUIET = '1';

    const { studyConfig } = await import('../study/config');
    let cfg;
    try {
      cfg = studyConfig({}, env);
    } catch (err) {
      let msg = (err as Error).message;
      for (const [flag, name] of Object.entries(ENV_OF)) if (typeof values[flag] === 'string') msg = msg.replace(`${name}=`, `--${flag}=`);
      throw new UsageError(`syco run: ${msg}`);
    }
    const { runStudy } = await import('../study/run');
    const summary = await runStudy(cfg, { dir: typeof values.out === 'string' ? resolve(values.out) : undefined, formats, figureLayer, quiet: Boolean(values.quiet) });
    process.stdout.write(JSON.stringify({
      dir: summary.dir, report: summary.report, figures: summary.figures.length, seconds: Number(summary.seconds.toFixed(2)),
      timings: Object.fromEntries(Object.entries(summary.timings).map(([k, v]) => [k, Number(v.toFixed(3))])),
    }) + '\n');
  },
};
