// Small helpers of the stage notebooks (notebooks/*.ipynb): settings summaries, a figure collector that shows and then
// exports, and the few per-stage numbers the notebooks display that the stage modules do not compute themselves.
import { join } from 'node:path';
import type { ActivationStore } from '../activations/store';
import type { HookedModel, HookName } from '../model/types';
import type { LayerProjection } from '../geometry/project';
import { trustworthiness } from '../geometry/quality';
import { buildPairs } from '../datasets/pairs';
import type { Pair, SycophancyRow } from '../datasets/types';
import { chromiumAvailable, exportFigures, type ExportFormat, type NamedFigure } from '../plots/export';
import { showFigure } from '../plots/display';
import { baseLayout } from '../plots/style';
import { NEGATIVE_COLOR, PALETTE, POSITIVE_COLOR } from '../plots/style';
import type { Figure, Trace } from '../plots/types';
import { colMeans, type Matrix } from '../util/matrix';
import { cosineMatrix } from '../linalg/cosine';
import type { ProbeSummary } from './study';
import { probeName } from '../probes/types';

export { describeSettings } from './settings';

/** Figures a notebook shows, remembered so the last cell can export them all to the run folder's figures/. */
export class NotebookFigures {
  readonly prefix: string;
  readonly figures: NamedFigure[] = [];

  /** `prefix` starts every file name (e.g. 'geometry' gives figures/geometry-<name>.html). */
  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Show a figure inline and keep it for export under `<prefix>-<name>` (a second show of a name replaces it). */
  show(name: string, figure: Figure): void {
    const full = `${this.prefix}-${name}`;
    const i = this.figures.findIndex((f) => f.name === full);
    if (i >= 0) this.figures[i] = { name: full, figure };
    else this.figures.push({ name: full, figure });
    showFigure(figure);
  }

  /** Export every kept figure to `<runDir>/figures/`: HTML always, PNG too when Chromium is installed. Returns the files. */
  async export(runDir: string, opts: { formats?: ExportFormat[] } = {}): Promise<string[]> {
    const formats = opts.formats ?? (chromiumAvailable() ? ['html', 'png'] : ['html']);
    const out = await exportFigures(this.figures, join(runDir, 'figures'), { formats });
    return out.flatMap((f) => f.files);
  }
}

/** The source row a pair was built from (matched by subset and 0-based row index); throws naming the pair when absent. */
export function sourceRowOf(rows: readonly SycophancyRow[], pair: Pick<Pair, 'id' | 'subset' | 'source_row'>): SycophancyRow {
  const row = rows.find((r) => r.subset === pair.subset && r.source_row === pair.source_row);
  if (!row) throw new Error(`pair ${pair.id}: no row ${pair.source_row} of subset ${pair.subset} among the ${rows.length} rows loaded`);
  return row;
}

/** Both pair formats of one source row, as records (format, label, text): what the model reads in each format. */
export function pairFormatsOf(row: SycophancyRow): { format: string; label: number; answer: string; text: string }[] {
  const out: { format: string; label: number; answer: string; text: string }[] = [];
  for (const format of ['ab', 'sentence'] as const) {
    const [p] = buildPairs([row], format);
    if (!p) {
      out.push({ format, label: -1, answer: '(dropped: a response has one word or fewer)', text: '' });
      continue;
    }
    out.push({ format, label: 1, answer: p.sycophantic_answer ?? '', text: p.sycophantic });
    out.push({ format, label: 0, answer: p.non_sycophantic_answer ?? '', text: p.non_sycophantic });
  }
  return out;
}

/** Grouped bar chart of counts: one bar group per category, one bar per series (e.g. pairs per subset by affiliation). */
export function countBars(rows: readonly { category: string; series: string; count: number }[], opts: { title: string; xTitle: string; subtitle?: string }): Figure {
  if (!rows.length) throw new Error('countBars: no rows given');
  const series = [...new Set(rows.map((r) => r.series))];
  const categories = [...new Set(rows.map((r) => r.category))];
  const data: Trace[] = series.map((s, k) => ({
    type: 'bar',
    name: s,
    x: categories,
    y: categories.map((c) => rows.filter((r) => r.series === s && r.category === c).reduce((a, r) => a + r.count, 0)),
    marker: { color: PALETTE[k % PALETTE.length] },
    hovertemplate: `${s}<br>%{x}: %{y}<extra></extra>`,
  }));
  const layout = baseLayout(opts.title, opts.xTitle, 'Pairs', opts.subtitle);
  layout.barmode = 'group';
  return { data, layout };
}

/** Euclidean norm of every row of a matrix (float64 accumulation). */
export function rowNorms(m: Matrix): number[] {
  const out: number[] = new Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0, o = i * m.cols; j < m.cols; j++) s += m.data[o + j] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** Box plots of the activation norms of the sycophantic and non-sycophantic texts at one layer. */
export function normsFigure(pos: number[], neg: number[], opts: { layer: number; hook: string }): Figure {
  const data: Trace[] = [
    { type: 'box', name: 'sycophantic texts', y: pos, boxpoints: 'all', jitter: 0.4, pointpos: 0, marker: { color: POSITIVE_COLOR, size: 4 } },
    { type: 'box', name: 'non-sycophantic texts', y: neg, boxpoints: 'all', jitter: 0.4, pointpos: 0, marker: { color: NEGATIVE_COLOR, size: 4 } },
  ];
  const layout = baseLayout(`L2 norm of the ${opts.hook} activation at layer ${opts.layer}`, '', '‖activation‖₂', 'one point per text; box: quartiles and median');
  layout.showlegend = false;
  return { data, layout };
}

/** Per layer: mean over pairs of (pos − neg) at one hook, its norm, and the cosine matrix between layers' mean differences. */
export function meanDifferences(store: ActivationStore, hook: HookName = 'resid'): { layers: number[]; norms: number[]; similarity: number[][]; vectors: Float64Array[] } {
  const layers = store.layers;
  const vectors = layers.map((l) => colMeans(store.diff(hook, l)));
  const norms = vectors.map((v) => Math.sqrt(v.reduce((a, x) => a + x * x, 0)));
  const similarity = cosineMatrix(vectors);
  return { layers, norms, similarity, vectors };
}

/** A line per named series over layers (e.g. trustworthiness per method, probe cosines per kind), with an optional reference line. */
export function layerLines(series: readonly { name: string; points: readonly { layer: number; value: number }[] }[], opts: { title: string; yTitle: string; subtitle?: string; yRange?: [number, number]; reference?: { value: number; label: string } }): Figure {
  if (!series.length) throw new Error('layerLines: no series given');
  const data: Trace[] = series.map((s, k) => {
    const pts = [...s.points].sort((a, b) => a.layer - b.layer);
    return {
      type: 'scatter', mode: 'lines+markers', name: s.name, x: pts.map((p) => p.layer), y: pts.map((p) => p.value),
      line: { color: PALETTE[k % PALETTE.length] }, hovertemplate: `${s.name}<br>layer %{x}: %{y:.3f}<extra></extra>`,
    };
  });
  const layers = series.flatMap((s) => s.points.map((p) => p.layer));
  if (opts.reference) {
    data.push({
      type: 'scatter', mode: 'lines', name: opts.reference.label, x: [Math.min(...layers), Math.max(...layers)],
      y: [opts.reference.value, opts.reference.value], line: { color: '#888', dash: 'dot' }, hoverinfo: 'skip',
    });
  }
  const layout = baseLayout(opts.title, 'Layer', opts.yTitle, opts.subtitle);
  layout.xaxis = { ...(layout.xaxis as object), dtick: 1 };
  if (opts.yRange) layout.yaxis = { ...(layout.yaxis as object), range: opts.yRange };
  return { data, layout };
}

/** Trustworthiness (k nearest neighbours) of every layer's projection against the activations it was computed from. */
export function projectionQuality(store: ActivationStore, projections: readonly LayerProjection[], k = 5): { method: string; layer: number; trustworthiness: number }[] {
  return projections.map((p) => {
    if (p.of !== 'both') throw new Error(`projectionQuality: layer ${p.layer} (${p.method}) projects differences; only pos+neg projections are supported`);
    const { X } = store.labelled(p.hook, p.layer);
    return { method: p.method, layer: p.layer, trustworthiness: trustworthiness(X, p.coords, Math.min(k, Math.floor((X.rows - 1) / 2))) };
  });
}

/** Probe results as flat table records: kind, layer, train/held-out accuracy, pair accuracy and cosine to the mean difference. */
export function probeRecords(results: Record<string, ProbeSummary[]>): Record<string, string | number | null>[] {
  return Object.entries(results).flatMap(([kind, rs]) => rs.map((r) => ({
    probe: probeName(kind), layer: r.layer, train_acc: r.train_acc, test_acc: r.test_acc,
    test_pair_acc: r.test_pair_acc, cos_mean_diff: r.cos_mean_diff, n_test_pairs: r.n_test_pairs,
  })));
}

/** The last `n` tokens of a text as the model tokenises it (with its special tokens), with negative positions (−1 = last). */
export function lastTokens(model: Pick<HookedModel, 'encode' | 'decode'>, text: string, n = 6): { position: number; id: number; token: string }[] {
  const ids = model.encode(text);
  const tail = ids.slice(Math.max(0, ids.length - n));
  return tail.map((id, i) => ({ position: i - tail.length, id, token: JSON.stringify(model.decode([id])) }));
}

/** The judge backend the Judge notebook uses: SYCO_JUDGE when set, else a hosted one whose key is set, else local. */
export function notebookJudgeBackend(env: Record<string, string | undefined> = process.env): { backend: 'openai' | 'anthropic' | 'local' | null; reason: string } {
  const set = (k: string) => (env[k] ?? '').trim() !== '';
  const chosen = (env.SYCO_JUDGE ?? '').trim();
  if (chosen === 'none') return { backend: null, reason: 'SYCO_JUDGE=none' };
  if (chosen === 'openai' || chosen === 'anthropic' || chosen === 'local') return { backend: chosen, reason: `SYCO_JUDGE=${chosen}` };
  if (chosen) throw new Error(`SYCO_JUDGE="${chosen}": expected openai, anthropic, local or none`);
  if (set('OPENAI_API_KEY')) return { backend: 'openai', reason: 'OPENAI_API_KEY is set' };
  if (set('ANTHROPIC_API_KEY')) return { backend: 'anthropic', reason: 'ANTHROPIC_API_KEY is set' };
  return { backend: 'local', reason: 'no SYCO_JUDGE and no API key: the local in-process model' };
}

/** Per (layer, arm) of a judge summary: answers scored, judged "None" (gibberish) and unusable replies, for countBars. */
export function judgeStatusCounts(rows: readonly { layer: number | null; multiplier: number | null; arm: string; n_scored: number; n_none: number; n_errors: number; n_items: number }[]): { category: string; series: string; count: number }[] {
  return rows.flatMap((r) => {
    const category = `layer ${r.layer ?? '?'}, ${r.arm} (m ${r.multiplier ?? '?'})`;
    return [
      { category, series: 'scored 0–5', count: r.n_scored },
      { category, series: 'None / N/A (gibberish)', count: r.n_none },
      { category, series: 'unusable reply', count: r.n_errors },
      { category, series: 'not scored yet', count: Math.max(0, r.n_items - r.n_scored - r.n_none - r.n_errors) },
    ];
  });
}
