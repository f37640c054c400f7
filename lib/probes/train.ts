// One entry point for every probe kind: a registry of trainers, steering-vectors style (plain typed functions).
import { assertFinite, type Matrix } from '../util/matrix';
import { trainCcs } from './ccs';
import { trainLogistic, trainLrRecipe } from './logistic';
import { trainMassMean, trainMassMeanIid } from './massmean';
import { PROBE_KINDS, type Probe, type ProbeKind, type ProbeOptions } from './types';

/** A probe strategy: trains a probe of its kind on rows X with labels y. */
export type ProbeFn = (X: Matrix, y: ArrayLike<number>, opts: ProbeOptions) => Probe;

/** The trainer of every probe kind (a kind added to PROBES in types.ts makes the compiler ask for its trainer here). */
export const PROBE_TRAINERS: Record<ProbeKind, ProbeFn> = {
  lr: trainLogistic,
  'lr-recipe': trainLrRecipe,
  mm: (X, y) => trainMassMean(X, y),
  'mm-iid': trainMassMeanIid,
  ccs: trainCcs,
};

/** Train a probe of the given kind on rows X with labels y (1 = sycophantic, 0 = not). */
export function trainProbe(kind: ProbeKind, X: Matrix, y: ArrayLike<number>, opts: ProbeOptions = {}): Probe {
  assertFinite(`probe ${kind}: input`, X.data, X.cols);
  const train = Object.hasOwn(PROBE_TRAINERS, kind) ? PROBE_TRAINERS[kind] : undefined;
  if (!train) throw new Error(`unknown probe kind "${kind as string}" (expected one of ${PROBE_KINDS.join(', ')})`);
  return train(X, y, opts);
}
