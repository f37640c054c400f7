// The common shape of a linear probe and its training options.
import type { Matrix } from '../util/matrix';

/** The probe families: the study's AdamW logistic regression, a converged L2 logistic regression, mass-mean, mass-mean-iid and CCS. */
export type ProbeKind = 'lr' | 'lr-recipe' | 'mm' | 'mm-iid' | 'ccs';

/** Every probe kind, in CLI order. */
export const PROBE_KINDS: readonly ProbeKind[] = ['lr', 'lr-recipe', 'mm', 'mm-iid', 'ccs'];

/** A trained linear probe on raw activations: score(x) = direction·x + bias; predicted label 1 when score > 0. */
export interface Probe {
  kind: ProbeKind;
  /** Weight vector in the input space (length = columns of X). */
  direction: Float32Array;
  bias: number;
  /** Linear scores direction·x + bias for each row. */
  score(X: Matrix): Float32Array;
  /** Predicted labels (1 when score > 0). */
  predict(X: Matrix): Uint8Array;
  /** Training diagnostics (final loss, iterations, convergence, …). */
  info: Record<string, number | string | boolean>;
}

/** Training options shared by all kinds (each kind reads the ones it uses). */
export interface ProbeOptions {
  /** Seed of random initialisation (lr-recipe, ccs). */
  seed?: number;
  /** lr-recipe / ccs: full-batch epochs (default 1000). */
  epochs?: number;
  /** lr-recipe / ccs: AdamW learning rate (default 1e-3). */
  lr?: number;
  /** lr-recipe: AdamW weight decay (default 0.1); ccs: default 0.01. */
  weightDecay?: number;
  /** lr-recipe: initial weights (default: PyTorch's nn.Linear init, uniform ±1/√d from `seed`). */
  init?: Float32Array;
  /** lr: inverse L2 strength C as scikit-learn (default 1). */
  C?: number;
  /** lr: max L-BFGS iterations (default 1000) and gradient tolerance (default 1e-4). */
  maxIter?: number;
  tol?: number;
  /** mm-iid: absolute eigenvalue cut-off of the covariance pseudo-inverse (default 1e-3). */
  atol?: number;
  /** ccs: random restarts (default 10). */
  tries?: number;
  /** ccs: pair index of each row (pos and neg rows of a pair share it); default: the first half of rows pairs with the second. */
  pairs?: Int32Array;
  /** ccs: also divide by the per-feature standard deviation (default false). */
  varNormalize?: boolean;
  /** Called after each epoch/iteration with (done, total) — for progress bars. */
  onProgress?: (done: number, total: number) => void;
}
