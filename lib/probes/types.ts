// The common shape of a linear probe and its training options.
import type { Matrix } from '../util/matrix';

/** What the study says about one probe kind: its name in legends, its usage line, and what it fits on its training split. */
export interface ProbeInfo {
  /** Reader-facing name (legends, tables). */
  name: string;
  /** One line for CLI usage. */
  help: string;
  /** What it fits on its training split, said so that a reader can see why training accuracy may trail held-out accuracy. */
  howFit: string;
}

/**
 * Every probe kind, in CLI order: the one place a kind is named. `ProbeKind`, `PROBE_KINDS`, the CLI and settings
 * lists and the legends derive from it; `PROBE_TRAINERS` (train.ts) must then give the new kind its trainer.
 */
export const PROBES = {
  lr: {
    name: 'logistic regression (L-BFGS)',
    help: 'L2 logistic regression, L-BFGS',
    howFit: 'logistic regression (L-BFGS) is L2-penalised (C = 1, scikit-learn\'s default) on the raw activations — they are not standardised, so how strong that penalty is depends on the activation scale of each layer',
  },
  'lr-recipe': {
    name: "logistic regression (study's AdamW recipe)",
    help: "the study's AdamW recipe",
    howFit: "the study's AdamW logistic regression (weight decay 0.1, no bias, 1000 steps) works on the raw, unstandardised activations and stops before it converges",
  },
  mm: {
    name: 'mass-mean',
    help: 'mass-mean',
    howFit: 'mass-mean is not fit to the training texts at all: its direction is the difference of the class means and its threshold their midpoint',
  },
  'mm-iid': {
    name: 'mass-mean-iid',
    help: 'mass-mean with pinv of the class-centred covariance',
    howFit: 'mass-mean-iid is the class-mean difference whitened by the pooled covariance, with a midpoint threshold: nothing in it minimises training error',
  },
  ccs: {
    name: 'CCS (unsupervised)',
    help: 'contrast-consistent search',
    howFit: 'CCS never sees the labels (they only fix its sign), so its training accuracy is no fit to them',
  },
} as const satisfies Record<string, ProbeInfo>;

/** The probe families: the study's AdamW logistic regression, a converged L2 logistic regression, mass-mean, mass-mean-iid and CCS. */
export type ProbeKind = keyof typeof PROBES;

/** Every probe kind, in CLI order. */
export const PROBE_KINDS = Object.keys(PROBES) as readonly ProbeKind[];

/** The registry entry of a probe kind, or undefined for a name that is not one. */
export function probeInfo(kind: string): ProbeInfo | undefined {
  return Object.hasOwn(PROBES, kind) ? PROBES[kind as ProbeKind] : undefined;
}

/** Reader-facing name of a probe kind (legends); an unknown name is returned as given. */
export function probeName(kind: string): string {
  return probeInfo(kind)?.name ?? kind;
}

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
