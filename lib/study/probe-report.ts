// The report's probe section: accuracies with their exact intervals, the best layer and how it was chosen, and why a
// training accuracy can sit below the held-out one.
import type { ReportSection, TableData } from '../report/index';
import { probeInfo, probeName, type ProbeKind } from '../probes/types';
import { accuracyText, chooseProbeLayer } from './figures';
import type { ProbeSummary } from './study';


/** The report section of the probe stage. */
export function probesSection(probes: Record<string, ProbeSummary[]>, kinds: ProbeKind[], layers: number[], figures: ReportSection['figures']): ReportSection {
  const firstKind = kinds.includes('lr') ? 'lr' : kinds[0];
  const { best, on } = chooseProbeLayer(probes[firstKind]);
  const name = probeName;
  const nTest = best.n_test_pairs;
  const chosen = on === 'validation'
    ? `chosen by its accuracy on a validation split (${best.n_val_pairs} of the training pairs, held out from a second fit: ${accuracyText(best.val_acc, best.val_acc_ci)}), so the held-out accuracy below is an honest estimate for that layer`
    : `chosen on the held-out split itself, so its held-out accuracy is optimistic (the best of ${layers.length} layers measured on the same ${nTest} pairs)`;
  const lines = [
    `A probe per layer learns a direction that tells the sycophantic text from the other; accuracy is measured on ${nTest} held-out pairs (${2 * nTest} texts; chance 50%). ` +
      'Every accuracy carries its exact 95% binomial (Clopper–Pearson) interval; it treats the texts as independent trials, and the two texts of a pair share a question, so read the pair accuracy\'s interval (over pairs) as the stricter one.',
    '',
    `Best ${name(firstKind)} layer: **${best.layer}**, ${chosen}: ${accuracyText(best.test_acc, best.test_acc_ci)}.`,
  ];
  const below = kinds.flatMap((k) => (probes[k] ?? []).filter((r) => r.test_acc !== null && r.train_acc < r.test_acc).map((r) => ({ k, r })));
  if (below.length) {
    const byKind = [...new Set(below.map((b) => b.k))];
    const inside = below.filter(({ r }) => r.test_acc_ci && r.train_acc >= r.test_acc_ci.lo).length;
    const ex = below[0];
    lines.push('',
      `**Training accuracy below held-out** at ${below.length} (probe, layer) result${below.length === 1 ? '' : 's'} (e.g. ${name(ex.k)} at layer ${ex.r.layer}: ` +
        `${accuracyText(ex.r.train_acc)} on training texts vs ${accuracyText(ex.r.test_acc)} held out). ` +
        `${inside} of them lie inside the held-out interval, i.e. within what ${2 * nTest} held-out texts can resolve. Why the training split need not score higher:`,
      ...byKind.map((k) => `- ${probeInfo(k)?.howFit ?? `${name(k)}: see lib/probes`}.`),
      '- Standardising the activations (per-feature z-scores on the training split) would make the logistic penalty comparable across layers; this run does not standardise.');
  }
  const table: TableData = {
    caption: 'Held-out accuracy [exact 95% interval] by layer and probe; cosine of the probe direction to the mean difference in brackets',
    columns: ['layer', ...kinds.map(name)],
    rows: layers.map((l) => [l, ...kinds.map((k) => {
      const r = probes[k]?.find((x) => x.layer === l);
      if (!r) return '';
      const acc = r.test_acc ?? r.train_acc;
      const ci = r.test_acc_ci ? ` [${r.test_acc_ci.lo.toFixed(2)}–${r.test_acc_ci.hi.toFixed(2)}]` : '';
      return `${acc.toFixed(3)}${ci} (${r.cos_mean_diff.toFixed(2)})`;
    })]),
  };
  const detail: TableData = {
    caption: `${name(firstKind)}: training, validation and held-out accuracy with exact 95% intervals`,
    columns: ['layer', 'train', 'validation', 'held-out', 'held-out pairs (pos scored above neg)'],
    rows: (probes[firstKind] ?? []).map((r) => [r.layer, accuracyText(r.train_acc, r.train_acc_ci), accuracyText(r.val_acc ?? null, r.val_acc_ci), accuracyText(r.test_acc, r.test_acc_ci), accuracyText(r.test_pair_acc, r.test_pair_acc_ci)]),
  };
  return { title: 'Linear probes', text: lines.join('\n'), figures, tables: [table, detail] };
}
