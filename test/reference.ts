// Independent Python references (numpy, scipy, scikit-learn, torch) as committed fixture files.
//
// A test names a reference by key and gives the Python snippet and its JSON input. Normally the value is read from
// test/fixtures/reference/<key>.json, whose digest of (snippet, input) must equal this call's, so a fixture can only
// answer the question it was recorded for; tests never start Python. `npm run fixtures` (scripts/fixtures/record.mjs)
// re-runs these tests with SYCO_FIXTURES=record: each snippet then runs under /usr/bin/python3 (or $SYCO_PYTHON) with
// the input on stdin and its stdout JSON is written as the fixture (into $SYCO_FIXTURES_OUT when set, which is how
// .ci/run re-makes them and compares them with the committed copies, scripts/fixtures/compare.mjs).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Folder of the committed reference fixtures. */
export const REFERENCE_DIR = resolve('test', 'fixtures', 'reference');

/** The Python that records references. */
export function referencePython(): string {
  return process.env.SYCO_PYTHON ?? '/usr/bin/python3';
}

/** Digest binding a fixture to its snippet and input. */
export function referenceDigest(code: string, input: unknown): string {
  return createHash('sha256').update(code).update('\0').update(JSON.stringify(input ?? null)).digest('hex');
}

/** The stored file of a reference. */
export interface ReferenceFile {
  key: string;
  digest: string;
  /** How the value was made: the snippet (its input is not stored, only bound by the digest). */
  python: string;
  output: unknown;
  /**
   * How far a re-made output may differ from this one (scripts/fixtures/compare.mjs), for a reference whose last
   * digits depend on the CPU: a chaotic optimisation such as exact t-SNE amplifies BLAS rounding differences between
   * machines. Absent: the default float64 tolerance. Set by the test, never by hand.
   */
  tolerance?: ReferenceTolerance;
}

/** A declared comparison tolerance of a CPU-sensitive reference: |a − b| ≤ abs + rel·|b|, and why it is needed. */
export interface ReferenceTolerance {
  rel: number;
  abs: number;
  why: string;
}

/**
 * The JSON value printed by a Python snippet given `input` (as JSON on stdin): from the committed fixture, or — when
 * SYCO_FIXTURES=record — by running it and writing the fixture. Throws naming the fixture when it is missing or was
 * recorded for another snippet or input.
 */
export function pythonReference<T = any>(key: string, code: string, input?: unknown, opts: { tolerance?: ReferenceTolerance } = {}): T {
  const digest = referenceDigest(code, input);
  if (process.env.SYCO_FIXTURES === 'record') {
    const py = referencePython();
    const r = spawnSync(py, ['-c', code], {
      input: JSON.stringify(input ?? null), encoding: 'utf8', maxBuffer: 1 << 28,
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    if (r.error || r.status !== 0) throw new Error(`reference ${key}: ${py} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
    const output = JSON.parse(r.stdout) as T;
    const out = join(resolve(process.env.SYCO_FIXTURES_OUT ?? REFERENCE_DIR), `${key}.json`);
    mkdirSync(dirname(out), { recursive: true });
    const file: ReferenceFile = { key, digest, python: code, output, ...(opts.tolerance ? { tolerance: opts.tolerance } : {}) };
    writeFileSync(`${out}.tmp`, JSON.stringify(file, null, 1) + '\n');
    renameSync(`${out}.tmp`, out);
    return output;
  }
  const path = join(REFERENCE_DIR, `${key}.json`);
  if (!existsSync(path)) throw new Error(`reference fixture missing: ${path} (make it with \`npm run fixtures\`, which needs /usr/bin/python3 with numpy, scipy, scikit-learn and torch)`);
  const file = JSON.parse(readFileSync(path, 'utf8')) as ReferenceFile;
  if (file.digest !== digest) {
    throw new Error(`reference fixture ${path} was recorded for another snippet or input than this test now gives: re-make it with \`npm run fixtures\``);
  }
  if (JSON.stringify(file.tolerance ?? null) !== JSON.stringify(opts.tolerance ?? null)) {
    throw new Error(`reference fixture ${path} declares another comparison tolerance than this test (${JSON.stringify(opts.tolerance ?? null)}): re-make it with \`npm run fixtures\``);
  }
  return file.output as T;
}
