// The study's figures from its stage results (plain data in, plotly figure specs out).
import type { LayerProjection } from '../geometry/project';
import type { MlpLayerActivation, MlpLayerDifference } from '../mlp/index';
import {
  NEGATIVE_COLOR, POSITIVE_COLOR, confusionMatrix, cosineHeatmap, pooledScatter, judgeScores, layerScatter, methodLabel, mlpActivationBars, probeAccuracyByLayer, scatter3d, steeringHeatmap,
} from '../plots/index';
import { vectorCosineMatrix, type SteeringVectorSet } from '../steering/vectors';
import type { AbResult } from '../steering/ab';
import { judgePoints, type SummaryRow } from '../judge/judge';
import type { Figure } from '../plots/types';
import { PROBES, PROBE_KINDS, probeName } from '../probes/types';
import type { Pair } from '../datasets/types';
import { modelTag } from './config';
import type { PooledProjection } from '../geometry/pooled';
import type { ProbeSummary } from './study';

/** Human names of the probe kinds, for legends (from the probe registry). */
export const PROBE_NAMES: Record<string, string> = Object.fromEntries(PROBE_KINDS.map((k) => [k, PROBES[k].name]));

/** Text safe inside plotly hover labels (which read a little HTML), cut to `max` characters. */
function hoverSafe(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Hover text of one point: pair id, subset, the view the user states (the answer that agrees with it) and a snippet of the text. */
export function pointHover(pair: Pair | undefined, label: number, pairIndex: number): string {
  if (!pair) return `pair #${pairIndex}`;
  const view = pair.sycophantic_answer ? `user's view: ${hoverSafe(pair.sycophantic_answer, 60)}${pair.user_affiliation ? ` (${hoverSafe(pair.user_affiliation, 30)})` : ''}` : pair.user_affiliation ? `user's view: ${hoverSafe(pair.user_affiliation, 30)}` : '';
  const text = label === 1 ? pair.sycophantic : pair.non_sycophantic;
  const answer = label === 1 ? pair.sycophantic_answer : pair.non_sycophantic_answer;
  const snippet = hoverSafe(pair.question ?? text, 90);
  return [`pair ${hoverSafe(pair.id, 60)} · ${hoverSafe(pair.subset, 40)}`, view, `“${snippet}”`, answer ? `this text answers: ${hoverSafe(answer, 60)}` : ''].filter(Boolean).join('<br>');
}

/** Hover texts of a projection's points, from the pairs in activation-store order (pairs[k] = pair index k). */
export function projectionHover(p: LayerProjection, pairs: readonly (Pair | undefined)[]): string[] {
  return Array.from(p.pair, (k, i) => pointHover(pairs[k], p.labels[i], k));
}

/** Options of the geometry figures. */
export interface GeometryFigureOptions {
  /** Model name for the subtitle. */
  model?: string;
  /** Token position for the subtitle. */
  position?: number | 'mean';
  /** The pairs in activation-store order (Study.storePairs()): hover then shows pair id, subset, the user's view and a text snippet. */
  pairs?: readonly (Pair | undefined)[];
}

/** Per-layer scatter of sycophantic vs non-sycophantic activations with a layer slider. */
export function geometryFigure(projections: LayerProjection[], opts: GeometryFigureOptions = {}): Figure {
  if (!projections.length) throw new Error('geometryFigure: no layers given');
  const method = projections[0].method;
  const where = [opts.model, opts.position === undefined ? undefined : `token position ${opts.position}`].filter(Boolean).join(', ');
  const pairs = opts.pairs;
  return layerScatter(projections.map((p) => ({ layer: p.layer, coords: p.coords, labels: p.labels, text: pairs ? projectionHover(p, pairs) : undefined })), {
    method,
    title: `${methodLabel(method)} of the residual stream, sycophantic vs not, by layer`,
    subtitle: where ? `${where}; drag the slider or press play to move through the layers` : undefined,
  });
}

/** One t-SNE (or other method) of every layer pooled: coloured by layer and, beside it, by class. */
export function pooledFigure(p: PooledProjection, opts: { model?: string; pairs?: readonly (Pair | undefined)[] } = {}): Figure {
  const layers = (p.info.layers as number[] | undefined) ?? [...new Set(p.layer)];
  const text = opts.pairs ? Array.from(p.pair, (k, i) => pointHover(opts.pairs![k], p.labels[i], k)) : undefined;
  return pooledScatter({ coords: p.coords, layer: p.layer, labels: p.labels, text }, {
    method: p.method,
    title: `One ${methodLabel(p.method)} of all ${layers.length} layers pooled`,
    subtitle: `${opts.model ? `${opts.model}; ` : ''}${p.pairsUsed} pairs × ${layers.length} layers = ${p.coords.rows} points, embedded together`,
  });
}

/** 3-D scatter of one layer's projection (e.g. the study's 3-D UMAP). */
export function geometry3dFigure(p: LayerProjection, opts: { model?: string; pairs?: readonly (Pair | undefined)[] } = {}): Figure {
  return scatter3d({ coords: p.coords, labels: p.labels, layer: p.layer, text: opts.pairs ? projectionHover(p, opts.pairs) : undefined }, {
    method: p.method,
    title: `3-D ${methodLabel(p.method)} of layer ${p.layer}${opts.model ? ` (${opts.model})` : ''}`,
  });
}

/** Held-out (and training) probe accuracy by layer, one colour per probe kind. */
export function probesFigure(results: Record<string, ProbeSummary[]>, opts: { model?: string } = {}): Figure {
  const rows = Object.entries(results).flatMap(([kind, rs]) =>
    rs.map((r) => ({ probe: probeName(kind), layer: r.layer, test: r.test_acc ?? r.train_acc, train: r.train_acc, testCi: r.test_acc_ci ?? null, nTest: 2 * r.n_test_pairs })));
  const anyCi = rows.some((r) => r.testCi);
  return probeAccuracyByLayer(rows, {
    subtitle: `${opts.model ? `${opts.model}; ` : ''}solid: held-out pairs${anyCi ? ' (bars: exact 95% interval)' : ''}, dashed: training pairs; dotted: chance (0.5)`,
  });
}

/** The best layer of one probe kind and how it was chosen: on the validation split when there is one (ties: the earliest layer). */
export function chooseProbeLayer(results: ProbeSummary[]): { best: ProbeSummary; on: 'validation' | 'held-out' } {
  if (!results.length) throw new Error('bestProbeLayer: no results given');
  const onVal = results.every((r) => r.val_acc !== null && r.val_acc !== undefined);
  const score = (r: ProbeSummary) => (onVal ? (r.val_acc as number) : (r.test_acc ?? r.train_acc));
  let best = results[0];
  for (const r of results) if (score(r) > score(best)) best = r;
  return { best, on: onVal ? 'validation' : 'held-out' };
}

/** The best layer of one probe kind: by validation accuracy when every layer has one, else by held-out accuracy (ties: the earliest layer). */
export function bestProbeLayer(results: ProbeSummary[]): ProbeSummary {
  return chooseProbeLayer(results).best;
}

/** "82.5% (95% interval 67.2–92.7%)": an accuracy with its interval, in percent. */
export function accuracyText(acc: number | null, ci?: { lo: number; hi: number } | null): string {
  if (acc === null || !Number.isFinite(acc)) return 'n/a';
  return `${(100 * acc).toFixed(1)}%${ci ? ` (95% interval ${(100 * ci.lo).toFixed(1)}–${(100 * ci.hi).toFixed(1)}%)` : ''}`;
}

/** Held-out confusion matrix of one probe at one layer. */
export function probeConfusionFigure(r: ProbeSummary): Figure {
  return confusionMatrix(r.confusion, {
    title: `${probeName(r.probe)} probe at layer ${r.layer}: held-out predictions`,
    subtitle: `accuracy ${accuracyText(r.test_acc ?? r.train_acc, r.test_acc_ci)} on ${r.n_test_pairs} held-out pairs (${2 * r.n_test_pairs} texts)`,
  });
}

/** The study's bar chart: average normalised MLP activation per layer, sycophantic and non-sycophantic texts side by side. */
export function mlpFigure(average: MlpLayerActivation[], opts: { model?: string } = {}): Figure {
  return mlpActivationBars([
    { name: 'sycophantic texts', color: POSITIVE_COLOR, stats: average.map((a) => ({ layer: a.layer, mean: a.normalized_pos })) },
    { name: 'non-sycophantic texts', color: NEGATIVE_COLOR, stats: average.map((a) => ({ layer: a.layer, mean: a.normalized_neg })) },
  ], {
    title: 'Average MLP output by layer (normalised over all layers)',
    subtitle: `${opts.model ? `${opts.model}; ` : ''}(mean − global min) / (global max − global min), as in the study`,
    yTitle: 'normalised mean MLP output',
  });
}

/** Mean |pos − neg| of the MLP output per layer with 95% Student-t intervals over pairs. */
export function mlpDifferenceFigure(diff: MlpLayerDifference[], opts: { model?: string } = {}): Figure {
  return mlpActivationBars(diff.map((d) => ({ layer: d.layer, mean: d.mean_abs_diff.mean, ciLow: d.mean_abs_diff.lo, ciHigh: d.mean_abs_diff.hi })), {
    title: 'How much the MLP output differs between the two answers of a pair, by layer',
    subtitle: `${opts.model ? `${opts.model}; ` : ''}mean over pairs of mean |sycophantic − non-sycophantic|, 95% interval over pairs`,
    yTitle: 'mean |Δ MLP output|',
    ciLabel: '95% t interval',
  });
}

/** Cosine similarity of the steering vectors across layers. */
export function vectorCosineFigure(set: SteeringVectorSet): Figure {
  const { layers, matrix } = vectorCosineMatrix(set);
  return cosineHeatmap({ layers, similarity: matrix }, {
    title: 'Cosine similarity of the sycophancy steering vectors across layers',
    subtitle: `${modelTag(set.meta.model)}; mean of (sycophantic − non-sycophantic) over ${set.meta.pairs} training pairs per layer`,
  });
}

/** Layer × multiplier heatmap of the mean A/B probability of the sycophantic answer. */
export function abFigure(result: AbResult, opts: { dataset?: string } = {}): Figure {
  return steeringHeatmap(result.table.map((r) => ({ layer: r.layer, multiplier: r.multiplier, value: r.meanP })), {
    subtitle: `${opts.dataset ? `${opts.dataset}, ` : ''}${result.items.length} items; p(sycophantic letter) / (p(A) + p(B)) after "(", ${result.format} prompts; multiplier 0 = no steering`,
  });
}

/** Mean judge score of the steered answers by multiplier, one line per layer. */
export function judgeFigure(rows: readonly SummaryRow[], opts: { judge?: string } = {}): Figure | null {
  const points = judgePoints(rows);
  if (!points.length) return null;
  return judgeScores(points, { subtitle: opts.judge ? `judge: ${opts.judge}; 95% interval over answers` : undefined });
}
