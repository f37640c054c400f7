import { resolve } from 'node:path';
import type { Command } from './index';
import { parseFlags, UsageError } from './args';
import { EXPORT_FORMATS, type ExportFormat } from '../plots/export';
import { parseListOf, settingFlags, settingsFromFlags, settingsUsage } from '../study/settings';
import { configureRuntime } from '../util/runtime';

const USAGE = `usage: syco formats [--model <dir|hub id>] [--data <dir|file|url|upstream>] [--out <dir>] [flags]

Compares the two pair formats side by side: runs data -> activations -> probes once with A/B (letter) pairs and once
with sentence pairs (same model, rows, layers and seed) into <out>/ab and <out>/sentence, then writes one figure
(<out>/figures/formats-probes.*: probe accuracy by layer with exact 95% intervals, one panel per format) and
<out>/report.html. --format is ignored (both are run). Prints a JSON summary on stdout.

${settingsUsage(undefined, [
  ['--out <dir>', 'output folder (default runs/formats-<timestamp>)'],
  ['--figures <a,b>', `figure formats: ${EXPORT_FORMATS.join(', ')} (default html,png,svg when Chromium is installed)`],
  ['--quiet', 'no progress bars'],
])}`;

/** `syco formats`: the A/B and sentence formats' probe accuracy side by side in one figure. */
export const command: Command = {
  summary: 'compare the A/B and sentence pair formats side by side',
  async run(argv: string[]): Promise<void> {
    const spec = { ...settingFlags(), out: { type: 'string' }, figures: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
    const { values, positionals } = parseFlags('formats', argv, spec);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    if (positionals.length) throw new UsageError(`syco formats: unexpected argument "${positionals[0]}"\n\n${USAGE}`);
    let formats: ExportFormat[] | undefined;
    let cfg;
    try {
      if (typeof values.figures === 'string') formats = parseListOf(values.figures, '--figures', EXPORT_FORMATS);
      const { studyConfig } = await import('../study/config');
      cfg = studyConfig(settingsFromFlags(values));
    } catch (err) {
      throw new UsageError(`syco formats: ${(err as Error).message}`);
    }
    if (values.quiet) configureRuntime({ quiet: true });
    const { compareFormats } = await import('../study/formats');
    const r = await compareFormats(cfg, { dir: typeof values.out === 'string' ? resolve(values.out) : undefined, formats, quiet: Boolean(values.quiet) });
    process.stdout.write(JSON.stringify({ dir: r.dir, report: r.report, figures: r.figures.length }) + '\n');
  },
};
