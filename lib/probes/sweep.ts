// Per-layer probe sweeps over an activation run, with a train/test split by pair (both sides of a pair stay together).
import type { ActivationStore, LabelledMatrix } from '../activations/store';
import type { HookName } from '../model/types';
import { cosine, l2norm, selectRows } from '../util/matrix';
import { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { accuracy, classMeans, confusion } from './common';
import { trainProbe } from './train';
import { accuracyInterval, type Interval } from './interval';
import type { ProbeKind, ProbeOptions } from './types';
import { readLayered } from '../util/results';

/** Split pair ids 0..nPairs-1 into train/test: a seeded shuffle, the first round(testFrac·nPairs) pairs go to test. */
export function splitPairs(nPairs: number, testFrac: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!(testFrac >= 0 && testFrac < 1)) throw new Error(`splitPairs: testFrac must be in [0, 1), got ${testFrac}`);
  const perm = new Rng(seed).permutation(nPairs);
  const nTest = Math.round(testFrac * nPairs);
  if (nPairs - nTest < 2) throw new Error(`splitPairs: ${nPairs} pairs leave ${nPairs - nTest} for training (need at least 2)`);
  return { test: Int32Array.from(perm.slice(0, nTest)).sort(), train: Int32Array.from(perm.slice(nTest)).sort() };
}

/** One layer's probe result (JSON-ready apart from `direction`). */
export interface LayerProbeResult {
  layer: number;
  probe: ProbeKind;
  n_train_pairs: number;
  n_test_pairs: number;
  train_acc: number;
  /** null when there is no test split. */
  test_acc: number | null;
  /** Held-out confusion [[tn, fp], [fn, tp]] (training confusion when there is no test split). */
  confusion: [[number, number], [number, number]];
  train_confusion: [[number, number], [number, number]];
  /** Fraction of pairs whose pos row scores higher than its neg row. */
  train_pair_acc: number;
  test_pair_acc: number | null;
  /** Exact 95% (Clopper–Pearson) intervals: train/test accuracy over texts, test pair accuracy over pairs. */
  train_acc_ci: Interval | null;
  test_acc_ci: Interval | null;
  test_pair_acc_ci: Interval | null;
  /** Pairs of the validation split (carved from the training pairs; 0 when none) and the accuracy there of a probe trained on the rest. */
  n_val_pairs: number;
  val_acc: number | null;
  val_acc_ci: Interval | null;
  direction_norm: number;
  bias: number;
  /** Cosine between the probe direction and the training mean-difference (steering) direction mean(pos) − mean(neg). */
  cos_mean_diff: number;
  info: Record<string, number | string | boolean>;
  seconds: number;
  direction: Float32Array;
}

/** Options of a sweep: which probe, the split, and the probe's own options. */
export interface ProbeLayerOptions extends ProbeOptions {
  probe: ProbeKind;
  /** Fraction of pairs held out (default 0.2). */
  testFrac?: number;
  /** Seed of the split and of the probe (default 0). */
  seed?: number;
  /**
   * Fraction of the training pairs held out as a validation split for choosing the best layer (default 0.25; 0 for
   * none): a second probe is trained on the other training pairs and scored there. The reported probe still trains on
   * every training pair.
   */
  valFrac?: number;
}

function pairAcc(scores: Float32Array, y: Uint8Array, pair: Int32Array): number | null {
  const posS = new Map<number, number>(), negS = new Map<number, number>();
  for (let i = 0; i < y.length; i++) (y[i] ? posS : negS).set(pair[i], scores[i]);
  let ok = 0, n = 0;
  for (const [p, s] of posS) {
    const t = negS.get(p);
    if (t === undefined) continue;
    n++;
    if (s > t) ok++;
  }
  return n ? ok / n : null;
}

/** Rows of a labelled split: activations, labels and pair ids. */
interface SplitRows {
  X: LabelledMatrix['X'];
  y: Uint8Array;
  pair: Int32Array;
  group?: Int32Array;
}

/** Accuracy on a validation split of the training pairs of a probe trained on the remaining training pairs (null when too few pairs). */
function validationAccuracy(tr: SplitRows, opts: ProbeLayerOptions, seed: number): { pairs: number; rows: number; acc: number | null } {
  const frac = opts.valFrac ?? 0.25;
  const unit = tr.group ?? tr.pair;
  const ids = [...new Set(unit)].sort((a, b) => a - b);
  const nVal = Math.round(frac * ids.length);
  if (!(frac > 0) || nVal < 1 || ids.length - nVal < 4) return { pairs: 0, rows: 0, acc: null };
  const inner = splitPairs(ids.length, frac, seed + 1);
  const valSet = new Set(Array.from(inner.test, (k) => ids[k]));
  const fit: number[] = [], held: number[] = [];
  for (let i = 0; i < unit.length; i++) (valSet.has(unit[i]) ? held : fit).push(i);
  const yFit = Uint8Array.from(fit, (i) => tr.y[i]);
  if (yFit.every((v) => v === yFit[0])) return { pairs: 0, rows: 0, acc: null };
  const probe = trainProbe(opts.probe, selectRows(tr.X, fit), yFit, { ...opts, seed, pairs: Int32Array.from(fit, (i) => tr.pair[i]), onProgress: undefined });
  const s = probe.score(selectRows(tr.X, held));
  const pred = Uint8Array.from(s, (v) => (v > 0 ? 1 : 0));
  return { pairs: new Set(held.map((i) => tr.pair[i])).size, rows: held.length, acc: accuracy(pred, Uint8Array.from(held, (i) => tr.y[i])) };
}

/** Train and evaluate one probe on one labelled matrix (split by pair). */
export function probeLayer(data: LabelledMatrix, layer: number, opts: ProbeLayerOptions): LayerProbeResult {
  const t0 = Date.now();
  const seed = opts.seed ?? 0;
  // split whole groups (pairs sharing a source row or a text) when the run records them, else single pairs
  const unit = data.group ?? data.pair;
  const unitIds = [...new Set(unit)].sort((a, b) => a - b);
  const split = splitPairs(unitIds.length, opts.testFrac ?? 0.2, seed);
  const testSet = new Set(Array.from(split.test, (k) => unitIds[k]));
  const trainRows: number[] = [], testRows: number[] = [];
  for (let i = 0; i < unit.length; i++) (testSet.has(unit[i]) ? testRows : trainRows).push(i);
  const pick = (rows: number[]) => ({
    X: selectRows(data.X, rows),
    y: Uint8Array.from(rows, (i) => data.y[i]),
    pair: Int32Array.from(rows, (i) => data.pair[i]),
    group: data.group ? Int32Array.from(rows, (i) => data.group![i]) : undefined,
  });
  const tr = pick(trainRows);
  const te = pick(testRows);
  const probe = trainProbe(opts.probe, tr.X, tr.y, { ...opts, seed, pairs: tr.pair });
  const val = validationAccuracy(tr, opts, seed);
  const sTr = probe.score(tr.X);
  const pTr = Uint8Array.from(sTr, (s) => (s > 0 ? 1 : 0));
  const { pos, neg } = classMeans(tr.X, tr.y);
  const md = new Float64Array(pos.length);
  for (let j = 0; j < md.length; j++) md[j] = pos[j] - neg[j];
  let testAcc: number | null = null, testPair: number | null = null;
  let conf = confusion(pTr, tr.y);
  if (te.X.rows) {
    const sTe = probe.score(te.X);
    const pTe = Uint8Array.from(sTe, (s) => (s > 0 ? 1 : 0));
    testAcc = accuracy(pTe, te.y);
    testPair = pairAcc(sTe, te.y, te.pair);
    conf = confusion(pTe, te.y);
  }
  return {
    layer,
    probe: opts.probe,
    n_train_pairs: new Set(tr.pair).size,
    n_test_pairs: new Set(te.pair).size,
    train_acc: accuracy(pTr, tr.y),
    test_acc: testAcc,
    confusion: conf,
    train_confusion: confusion(pTr, tr.y),
    train_pair_acc: pairAcc(sTr, tr.y, tr.pair) ?? NaN,
    test_pair_acc: testPair,
    train_acc_ci: accuracyInterval(accuracy(pTr, tr.y), tr.y.length),
    test_acc_ci: accuracyInterval(testAcc, te.y.length),
    test_pair_acc_ci: accuracyInterval(testPair, new Set(te.pair).size),
    n_val_pairs: val.pairs,
    val_acc: val.acc,
    val_acc_ci: accuracyInterval(val.acc, val.rows),
    direction_norm: l2norm(probe.direction),
    bias: probe.bias,
    cos_mean_diff: cosine(probe.direction, md),
    info: probe.info,
    seconds: (Date.now() - t0) / 1000,
    direction: probe.direction,
  };
}

/** Options of probeSweep: hook, layers and the per-layer options. */
export interface ProbeSweepOptions extends ProbeLayerOptions {
  hook?: HookName;
  /** Layers to probe (default: every captured layer). */
  layers?: number[] | 'all';
  /** No progress output. */
  quiet?: boolean;
  /** Called with each finished layer (e.g. to save partial results). */
  onLayer?: (r: LayerProbeResult) => void;
}

/** The format name of per-layer probe result files (`syco probe` and the Study's probes stage). */
export const PROBES_FORMAT = 'syco-probes/1';

/** A probe result without its direction vector (JSON-ready; one entry of a probe result file). */
export type ProbeSummary = Omit<LayerProbeResult, 'direction'>;

/** Read a syco-probes/1 file (from `syco probe` or a run folder's probes/) as per-layer probe results. */
export function readProbeResults(file: string): ProbeSummary[] {
  return readLayered<ProbeSummary>(file, PROBES_FORMAT).layers;
}

/** Train one probe per layer of an activation run; one layer in memory at a time. */
export function probeSweep(store: ActivationStore, opts: ProbeSweepOptions): LayerProbeResult[] {
  const hook = opts.hook ?? 'resid';
  const layers = !opts.layers || opts.layers === 'all' ? store.layers : opts.layers;
  const prog = new Progress({ label: `probe ${opts.probe} (${hook})`, total: layers.length, quiet: opts.quiet });
  const out: LayerProbeResult[] = [];
  for (const layer of layers) {
    const r = probeLayer(store.labelled(hook, layer), layer, opts);
    out.push(r);
    opts.onLayer?.(r);
    prog.tick();
  }
  prog.finish();
  return out;
}
