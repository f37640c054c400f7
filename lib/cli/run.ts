import { resolve } from 'node:path';
import type { Command } from './index';
import { EXIT_INCOMPLETE, parseFlags, UsageError } from './args';
import { onInterrupt, shellArg, withOut } from './interrupt';
import { EXPORT_FORMATS, type ExportFormat } from '../plots/export';
import { parseInt_, parseListOf, settingFlags, settingsFromFlags, settingsUsage, STAGES, type StageName } from '../study/settings';
import { configureRuntime } from '../util/runtime';

const USAGE = `usage: syco run [--model <dir|hub id>] [--data <dir|file|url|upstream>] [--out <run dir>] [flags]
       (npm start -- [flags])

Runs the whole study into one folder (default runs/<UTC timestamp>/): data -> activations -> geometry ->
probes -> MLP -> steering vectors and open-ended sweep -> A/B evaluation -> judge (when configured) ->
figures (figures/*.html, and .png/.svg when Chromium is installed) and a self-contained report.html.
Every stage saves its result with its settings; re-running with --out <same folder> resumes and re-uses
finished stages. A re-run with a changed setting is refused before anything is written, naming the
differences; --redo <stage> recomputes that stage and everything downstream with the new settings.
Each flag overrides its environment variable, which overrides the default. Prints a JSON summary on stdout.
Exit status: 0 when every stage finished; 3 when the report was written but a stage failed or is partial: a stage
that stopped with an error (its error is recorded; the stages that need it are skipped, the others still run) or a
judge whose requests failed. The report's Stage status marks each one, with its error counts and first error, and
stderr names each with the command that retries it (the same arguments: finished stages are re-used). 1 when the
run could not start (bad settings, a failed check before compute, a folder made with other settings or being
written by another run: nothing is written) or the report itself could not be written; 2 on a usage error; 130 when
interrupted (Ctrl-C stops at once; nothing is counted as failed).

${settingsUsage(undefined, [
  ['--out <dir>', 'run folder (default runs/<timestamp>; --runs / SYCO_RUNS sets the parent)'],
  ['--redo <stage,..>', `recompute these stages and everything downstream: ${STAGES.join(', ')}`],
  ['--figures <a,b>', `figure formats: ${EXPORT_FORMATS.join(', ')} (default all four when Chromium is installed, else html). ` +
    'Per-layer figures: HTML keeps the layer slider; PNG/SVG show one layer (--figure-layer), <name>-grid.png/.svg every layer ' +
    'as small multiples, <name>.gif an animation across layers'],
  ['--figure-layer <i>', 'layer shown by static per-layer figures (default the middle steered layer)'],
  ['--quiet', 'no progress bars'],
])}`;

/** Join `--flag -2` (or `-2,0,2`) into `--flag=-2` so a negative number is read as the flag's value. */
function joinNegativeArgs(argv: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = argv[i + 1];
    if (a.startsWith('--') && flags.includes(a.slice(2)) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** `syco run`: the whole study end to end into runs/<timestamp>/ with figures and report.html. */
export const command: Command = {
  summary: 'run the whole study end to end',
  async run(argv: string[]): Promise<void | number> {
    const spec = { ...settingFlags(), out: { type: 'string' }, redo: { type: 'string' }, figures: { type: 'string' }, 'figure-layer': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
    const { values, positionals } = parseFlags('run', joinNegativeArgs(argv, Object.keys(spec)), spec);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    if (positionals.length) throw new UsageError(`syco run: unexpected argument "${positionals[0]}"\n\n${USAGE}`);
    let formats: ExportFormat[] | undefined;
    let redo: StageName[] | undefined;
    let figureLayer: number | undefined;
    let cfg;
    try {
      if (typeof values.figures === 'string') formats = parseListOf(values.figures, '--figures', EXPORT_FORMATS);
      if (typeof values['figure-layer'] === 'string') figureLayer = parseInt_(values['figure-layer'], '--figure-layer', 0);
      if (typeof values.redo === 'string') redo = parseListOf(values.redo, '--redo', STAGES);
      const { studyConfig } = await import('../study/config');
      cfg = studyConfig(settingsFromFlags(values));
    } catch (err) {
      throw new UsageError(`syco run: ${(err as Error).message}`);
    }
    if (values.quiet) configureRuntime({ quiet: true });
    const { runStudy } = await import('../study/run');
    const { judgeRetryNote, STOPPED_WITH_ERROR } = await import('../study/stage-status');
    const { timestampRunDir } = await import('../study/study');
    const dir = typeof values.out === 'string' ? resolve(values.out) : timestampRunDir(cfg);
    const resume = withOut(argv.filter((a, i) => !(a === '--redo' || a.startsWith('--redo=') || argv[i - 1] === '--redo')), dir).map(shellArg).join(' ');
    const off = onInterrupt(`interrupted; resume with \`npm start -- ${resume}\``);
    let summary;
    try {
      summary = await runStudy(cfg, { dir, formats, figureLayer, redo, quiet: Boolean(values.quiet) });
    } finally {
      off();
    }
    process.stdout.write(JSON.stringify({
      dir: summary.dir, report: summary.report, figures: summary.figures.length, seconds: Number(summary.seconds.toFixed(2)),
      timings: Object.fromEntries(Object.entries(summary.timings).map(([k, v]) => [k, Number(v.toFixed(3))])),
      stages: Object.fromEntries(summary.stages.map((st) => [st.stage, st.state])),
    }) + '\n');
    const bad = summary.stages.filter((st) => st.state === 'failed' || st.state === 'partial');
    if (bad.length) {
      // Each failed or partial stage on its own line, the stages skipped for want of it, then how to retry.
      // A stage that threw: "<stage> FAILED: <error>"; one that counted its errors (the judge): its counts and first error.
      const lines = bad.map((st) => {
        const threw = st.detail === STOPPED_WITH_ERROR;
        const counts = threw ? '' : ` (${st.detail ?? ''}${st.errors ? `; ${Object.entries(st.errors).map(([k, v]) => `${v} ${k}`).join(', ')}` : ''})`;
        const first = st.firstError ? `${threw ? '' : ': first error'}: ${st.firstError.split('\n')[0].slice(0, 500)}` : '';
        return `syco run: ${st.stage} ${st.state === 'failed' ? 'FAILED' : 'PARTIAL'}${counts}${first}`;
      });
      const skipped = summary.stages.filter((st) => st.needs?.length);
      if (skipped.length) lines.push(`syco run: skipped because a stage they need failed: ${skipped.map((st) => `${st.stage} (needs ${st.needs!.join(', ')})`).join(', ')}`);
      lines.push(`syco run: the report marks every stage's status: ${summary.report}`);
      lines.push(`syco run: to retry, fix the cause and re-run \`npm start -- ${resume}\` (syco run takes the same arguments): finished stages are re-used, ` +
        `the failed and skipped ones are computed${bad.map((st) => judgeRetryNote(st, shellArg(summary.dir))).join('')}.`);
      process.stderr.write(lines.join('\n') + '\n');
      return EXIT_INCOMPLETE;
    }
  },
};
