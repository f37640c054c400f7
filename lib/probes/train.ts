// One entry point for every probe kind.
import { assertFinite, type Matrix } from '../util/matrix';
import { trainCcs } from './ccs';
import { trainLogistic, trainLrRecipe } from './logistic';
import { trainMassMean, trainMassMeanIid } from './massmean';
import { PROBE_KINDS, type Probe, type ProbeKind, type ProbeOptions } from './types';

/** Train a probe of the given kind on rows X with labels y (1 = sycophantic, 0 = not). */
export function trainProbe(kind: ProbeKind, X: Matrix, y: ArrayLike<number>, opts: ProbeOptions = {}): Probe {
  assertFinite(`probe ${kind}: input`, X.data, X.cols);
  switch (kind) {
    case 'lr': return trainLogistic(X, y, opts);
    case 'lr-recipe': return trainLrRecipe(X, y, opts);
    case 'mm': return trainMassMean(X, y);
    case 'mm-iid': return trainMassMeanIid(X, y, opts);
    case 'ccs': return trainCcs(X, y, opts);
    default: throw new Error(`unknown probe kind "${kind as string}" (expected one of ${PROBE_KINDS.join(', ')})`);
  }
}
