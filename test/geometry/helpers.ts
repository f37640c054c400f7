// Shared helpers of the geometry tests: toy data and scikit-learn references (committed fixtures).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Matrix } from '../../lib/util/matrix';
import { Rng } from '../../lib/util/rng';
import { pythonReference, type ReferenceTolerance } from '../reference';

/** Gaussian clusters: `c` centres spread `spread` apart (per coordinate), unit noise, rows assigned round-robin. */
export function clusters(n: number, d: number, c: number, seed: number, spread = 4): { X: Matrix; label: Int32Array } {
  const rng = new Rng(seed);
  const centres = Array.from({ length: c }, () => Array.from({ length: d }, () => rng.normal() * spread));
  const X: Matrix = { rows: n, cols: d, data: new Float32Array(n * d) };
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    label[i] = i % c;
    for (let j = 0; j < d; j++) X.data[i * d + j] = centres[i % c][j] + rng.normal();
  }
  return { X, label };
}

/** A 3-D swiss roll (n points), as sklearn's make_swiss_roll with our own generator. */
export function swissRoll(n: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const X: Matrix = { rows: n, cols: 3, data: new Float32Array(n * 3) };
  for (let i = 0; i < n; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * rng.next());
    X.data[i * 3] = t * Math.cos(t);
    X.data[i * 3 + 1] = 21 * rng.next();
    X.data[i * 3 + 2] = t * Math.sin(t);
  }
  return X;
}

/** A fresh temporary folder for one test file. */
export function tmpFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A scikit-learn/numpy reference (committed fixture, see test/reference.ts): `body` runs with each of `arrays` bound
 * to a float32 numpy matrix of its name and prints one JSON value.
 */
export function sklearnReference<T = any>(key: string, body: string, arrays: Record<string, Matrix>, opts: { tolerance?: ReferenceTolerance } = {}): T {
  const names = Object.keys(arrays);
  const code = ['import sys, json', 'import numpy as np', '_d = json.load(sys.stdin)',
    ...names.map((n) => `${n} = np.array(_d['${n}']['data'], dtype=np.float32).reshape(_d['${n}']['rows'], _d['${n}']['cols'])`),
    body.trim()].join('\n');
  const input = Object.fromEntries(names.map((n) => [n, { rows: arrays[n].rows, cols: arrays[n].cols, data: Array.from(arrays[n].data) }]));
  return pythonReference<T>(key, code, input, opts);
}
