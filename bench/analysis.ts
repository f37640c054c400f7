// Analysis benchmark, side by side with the Python stack (../shared/bench/python_baseline.py, sections A, C, D) on the
// same synthetic float32 data (bench/synth.ts regenerates it exactly): PCA(2) randomised and exact, scikit-learn
// LogisticRegression vs our L-BFGS probe, the study's LR recipe in torch vs ours, mass-mean-iid with numpy pinv vs ours.
// Timing protocol as the Python script: one warm-up call, then the median of 3 timed calls.
// Environment: SYCO_BENCH_SMOKE=1 (tiny shapes), SYCO_BENCH_ONLY=ACD (sections), SYCO_BENCH_NO_PYTHON=1 (ours only).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { datasets, direction, makeMatrix, probeInit } from './_synth';
import { pca } from '../lib/geometry/pca';
import { trainProbe } from '../lib/probes/train';
import { accuracy } from '../lib/probes/common';
import { cosine, type Matrix } from '../lib/util/matrix';
import type { Probe } from '../lib/probes/types';

interface PyRow { section: string; shape: string; method: string; median_s: number; [k: string]: unknown }
interface Stage {
  name: string;
  shape: string;
  ours: number;
  theirs: number | null;
  target: number;
  oursMetric: string;
  theirsMetric: string;
  accOk?: boolean | null;
}

function timeit<T>(fn: () => T, reps = 3): { median: number; runs: number[]; result: T } {
  let result = fn();
  const runs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    result = fn();
    runs.push((performance.now() - t) / 1000);
  }
  const s = runs.slice().sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], runs, result };
}

function runPython(only: string, smoke: boolean): { rows: PyRow[]; meta: Record<string, unknown> } | null {
  const script = resolve(process.env.SYCO_SHARED ?? join(process.cwd(), '..', 'shared'), 'bench', 'python_baseline.py');
  if (!existsSync(script)) {
    console.log(`python baseline not found at ${script}: reporting ours only`);
    return null;
  }
  const out = join(mkdtempSync(join(tmpdir(), 'syco-bench-')), 'python.json');
  const args = [script, '--only', only, '--out', out, ...(smoke ? ['--smoke'] : [])];
  console.log(`running /usr/bin/python3 ${args.join(' ')}`);
  const t = performance.now();
  const r = spawnSync('/usr/bin/python3', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env } });
  console.log(`python baseline finished in ${((performance.now() - t) / 1000).toFixed(1)} s (exit ${r.status})`);
  if (r.status !== 0 || !existsSync(out)) return null;
  // Python's json writes NaN for failed rows (e.g. torch's float32 eigh bug): read them as null
  const meta = JSON.parse(readFileSync(out, 'utf8').replace(/\bNaN\b/g, 'null'));
  return { rows: meta.results as PyRow[], meta };
}

function find(rows: PyRow[] | undefined, section: string, shape: string, method: string): PyRow | undefined {
  return rows?.find((r) => r.section === section && r.shape === shape && r.method.includes(method));
}

function f(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits);
}

function loadAvg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

/** Run the analysis benchmark and print per-stage seconds, ratios ours/theirs, accuracies and targets. */
export async function run(): Promise<void> {
  const smoke = process.env.SYCO_BENCH_SMOKE === '1';
  const only = process.env.SYCO_BENCH_ONLY ?? 'ACD';
  console.log(`analysis benchmark (${smoke ? 'smoke' : 'full'} size, sections ${only}); load average before: ${loadAvg()}`);
  const py = process.env.SYCO_BENCH_NO_PYTHON === '1' ? null : runPython(only, smoke);
  console.log(`load average after python: ${loadAvg()}`);

  let t = performance.now();
  const ds = datasets({ smoke });
  const X2 = makeMatrix(2, smoke ? 600 : 6000, 2048);
  const u4 = direction(4096);
  const genS = (performance.now() - t) / 1000;
  console.log(`datagen (TypeScript) ${genS.toFixed(2)} s; python ${f(py?.meta.datagen_s as number, 2)} s`);
  const { train4096: tr, test4096: te, x768 } = ds;
  const sh = (X: Matrix) => `${X.rows}x${X.cols}`;
  const stages: Stage[] = [];

  if (only.includes('A')) {
    for (const X of [tr.X, X2.X, x768.X]) {
      const r = timeit(() => pca(X, 2, { method: 'randomized', seed: 0 }));
      const p = find(py?.rows, 'A', sh(X), "svd_solver='randomized'");
      stages.push({
        name: 'PCA(2) randomised', shape: sh(X), ours: r.median, theirs: p?.median_s ?? null, target: 1,
        oursMetric: `evr ${Array.from(r.result.explainedVarianceRatio, (v) => v.toFixed(7)).join(', ')}`,
        theirsMetric: p ? `evr ${(p.evr as number[]).join(', ')}` : '',
      });
      console.log(`A ${sh(X)} PCA randomised: ${r.runs.map((v) => v.toFixed(3)).join(', ')} s`);
    }
    for (const X of [tr.X, X2.X, x768.X]) {
      const r = timeit(() => pca(X, 2, { method: 'full' }), X === tr.X ? 1 : 3);
      const p = find(py?.rows, 'A', sh(X), "svd_solver='full'");
      stages.push({
        name: 'PCA(2) exact (ours: eigh/Lanczos; theirs: full SVD)', shape: sh(X), ours: r.median, theirs: p?.median_s ?? null, target: 1,
        oursMetric: `evr ${Array.from(r.result.explainedVarianceRatio, (v) => v.toFixed(7)).join(', ')}`,
        theirsMetric: p ? `evr ${(p.evr as number[]).join(', ')}` : '',
      });
      console.log(`A ${sh(X)} PCA exact: ${r.runs.map((v) => v.toFixed(3)).join(', ')} s`);
    }
  }
  const accs = (p: Probe) => ({ train: accuracy(p.predict(tr.X), tr.y), test: accuracy(p.predict(te.X), te.y), cos: cosine(p.direction, u4) });
  const accStage = (name: string, r: { median: number; result: Probe }, row: PyRow | undefined, target: number, extra = '') => {
    const a = accs(r.result);
    const theirsTest = row?.test_acc as number | undefined;
    stages.push({
      name, shape: sh(tr.X), ours: r.median, theirs: row?.median_s ?? null, target,
      oursMetric: `train ${f(a.train)} test ${f(a.test)} cos_u ${f(a.cos)}${extra}`,
      theirsMetric: row ? `train ${f(row.train_acc as number)} test ${f(theirsTest)} cos_u ${f(row.cos_u as number)}${row.final_loss !== undefined ? ` loss ${row.final_loss}` : ''}` : '',
      accOk: theirsTest === undefined ? null : Math.abs(a.test - theirsTest) <= 0.01,
    });
  };
  if (only.includes('C')) {
    const r1 = timeit(() => trainProbe('lr', tr.X, tr.y));
    accStage('LogisticRegression (ours: L-BFGS; theirs: sklearn lbfgs)', r1, find(py?.rows, 'C1', sh(tr.X), 'LogisticRegression'), 1, ` iters ${r1.result.info.iterations}`);
    console.log(`C1 lr: ${r1.median.toFixed(3)} s`);
    const init = probeInit(4096);
    const r2 = timeit(() => trainProbe('lr-recipe', tr.X, tr.y, { init, epochs: 1000 }));
    accStage('study LR recipe, AdamW 1000 epochs (theirs: torch)', r2, find(py?.rows, 'C2', sh(tr.X), 'AdamW'), 0.5, ` loss ${f(r2.result.info.final_loss as number, 6)}`);
    console.log(`C2 lr-recipe: ${r2.median.toFixed(3)} s`);
  }
  if (only.includes('D')) {
    const r = timeit(() => trainProbe('mm-iid', tr.X, tr.y, { atol: 1e-3 }));
    accStage('mass-mean-iid (ours: Lanczos pinv; theirs: numpy f32 pinv)', r, find(py?.rows, 'D', sh(tr.X), 'numpy f32 pinv(hermitian) TOTAL'), 1, ` ${r.result.info.solver} ${r.result.info.iterations} steps`);
    console.log(`D mm-iid: ${r.median.toFixed(3)} s`);
  }
  console.log(`\nload average at the end: ${loadAvg()} (2-core machine shared with other jobs: compare ratios, not absolute seconds)`);
  console.log('\n| stage | shape | ours s | theirs s | ours/theirs | target | met | ours | theirs | acc within 1 pt |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const s of stages) {
    const ratio = s.theirs ? s.ours / s.theirs : null;
    const met = ratio === null ? '—' : ratio <= s.target ? 'yes' : 'no';
    const acc = s.accOk === undefined ? '' : s.accOk === null ? '—' : s.accOk ? 'yes' : 'no';
    console.log(`| ${s.name} | ${s.shape} | ${f(s.ours, 3)} | ${f(s.theirs, 3)} | ${f(ratio, 3)} | ≤ ${s.target} | ${met} | ${s.oursMetric} | ${s.theirsMetric} | ${acc} |`);
  }
}
