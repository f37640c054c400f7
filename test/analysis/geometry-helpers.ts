// Shared helpers of the geometry tests: toy data and a runner for scikit-learn references via Debian's python3.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Matrix } from '../../lib/util/matrix';
import { Rng } from '../../lib/util/rng';

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

const PY = '/usr/bin/python3';

/** A fresh temporary folder for one test file. */
export function tmpFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Run a Python snippet with Debian's numpy/scikit-learn (the independent reference). When python3 or sklearn is
 * missing the test fails under CI and is skipped elsewhere (returns false).
 */
export function runSklearn(t: TestContext, code: string): boolean {
  const ok = existsSync(PY) && spawnSync(PY, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
  if (!ok) {
    if (process.env.CI) throw new Error(`${PY} with scikit-learn is required under CI`);
    t.skip(`${PY} with scikit-learn not available`);
    return false;
  }
  const r = spawnSync(PY, ['-c', code], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`python reference failed (${r.status}):\n${r.stderr}`);
  return true;
}
