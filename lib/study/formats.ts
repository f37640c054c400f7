// The two pair formats side by side (the original study's V1 vs V2 comparison): the same model, data, layers and
// seed, once with letter answers (A/B) and once with sentence answers; probes per layer in each, one figure.
import { join, resolve } from 'node:path';
import { chromiumAvailable, exportFigures, type ExportFormat } from '../plots/export';
import { sideBySide } from '../plots/compose';
import type { Figure } from '../plots/types';
import { writeReport, type TableData } from '../report/index';
import { atomicWriteJson } from '../util/fs';
import { modelTag, type StudyConfig } from './config';
import { accuracyText, chooseProbeLayer, probesFigure } from './figures';
import { probeName } from '../probes/types';
import { Study, timestampRunDir, type ProbeSummary } from './study';

/** The pair formats compared, in panel order. */
export const COMPARED_FORMATS = ['ab', 'sentence'] as const;

const FORMAT_NAMES: Record<(typeof COMPARED_FORMATS)[number], string> = {
  ab: 'A/B format (letter answers)',
  sentence: 'sentence format (answer text)',
};

/** What compareFormats produced. */
export interface FormatComparison {
  dir: string;
  report: string;
  figures: string[];
  /** Probe results per format and kind. */
  probes: Record<string, Record<string, ProbeSummary[]>>;
}

/** The side-by-side figure: probe accuracy by layer (with intervals) in the A/B format and in the sentence format. */
export function formatsFigure(probes: Record<string, Record<string, ProbeSummary[]>>, opts: { model?: string } = {}): Figure {
  const formats = COMPARED_FORMATS.filter((f) => probes[f]);
  return sideBySide(formats.map((f) => probesFigure(probes[f])), {
    title: 'Linear-probe accuracy by layer: A/B vs sentence pairs',
    subtitle: `${opts.model ? `${opts.model}; ` : ''}same rows, layers and seed; solid: held-out (bars: exact 95% interval), dashed: training; dotted: chance`,
    panelTitles: formats.map((f) => FORMAT_NAMES[f]),
  });
}

/** Run data → activations → probes once per pair format into `<dir>/ab` and `<dir>/sentence`, then the comparison figure and report. */
export async function compareFormats(cfg: StudyConfig, opts: { dir?: string; formats?: ExportFormat[]; log?: (line: string) => void; quiet?: boolean } = {}): Promise<FormatComparison> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const dir = resolve(opts.dir ?? timestampRunDir(cfg).replace(/([^/\\]+)$/, 'formats-$1'));
  const probes: FormatComparison['probes'] = {};
  const rows: TableData['rows'] = [];
  for (const format of COMPARED_FORMATS) {
    const study = new Study({ ...cfg, format }, join(dir, format), { log });
    try {
      log(`formats: ${format}: data, activations, probes`);
      await study.data();
      const store = await study.activations({ quiet: opts.quiet });
      probes[format] = await study.probes(cfg.probes, { quiet: opts.quiet });
      for (const kind of cfg.probes) {
        const { best, on } = chooseProbeLayer(probes[format][kind]);
        rows.push([FORMAT_NAMES[format], probeName(kind), best.layer, on, accuracyText(best.test_acc, best.test_acc_ci), best.n_test_pairs, store.layers.length]);
      }
    } finally {
      await study.close();
    }
  }
  const tag = modelTag(cfg.model);
  const figure = formatsFigure(probes, { model: tag });
  const formats = opts.formats ?? (chromiumAvailable() ? ['html', 'png', 'svg'] : ['html']);
  const exported = await exportFigures([{ name: 'formats-probes', figure }], join(dir, 'figures'), { formats, sharedPlotly: true });
  const report = writeReport(join(dir, 'report.html'), {
    title: `Pair formats compared: ${tag}`,
    intro: `Model \`${tag}\`, data \`${cfg.data}\`, ${cfg.pairs} pairs per format, position ${cfg.position}, seed ${cfg.seed}. ` +
      'Each format has its own run folder (`ab/`, `sentence/`) with its activations and probe results.',
    sections: [{
      title: 'Probe accuracy by layer, per format',
      text: 'Left: the A/B format, where the two texts differ only in the answer letter; right: the sentence format, where they differ in the answer text. ' +
        'Best layers are chosen on a validation split of the training pairs when there is one.',
      figures: [figure],
      tables: [{ caption: 'Best layer per format and probe, held-out accuracy with exact 95% interval', columns: ['format', 'probe', 'best layer', 'chosen on', 'held-out accuracy', 'held-out pairs', 'layers'], rows }],
    }],
  });
  const out: FormatComparison = { dir, report, figures: exported.flatMap((e) => e.files), probes };
  atomicWriteJson(join(dir, 'summary.json'), { dir, report, figures: out.figures });
  return out;
}
