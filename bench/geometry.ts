// t-SNE (and UMAP) benchmark against scikit-learn, side by side in one run, on the Python baseline's synthetic data
// (bench/synth.ts regenerates it bit for bit). `npm run bench -- geometry`; SYCO_BENCH_REPS=1 for a quicker run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeMatrix } from './synth';
import { tsne, conditionalP, jointPSparse, type TsneResult } from '../lib/geometry/tsne';
import { umap } from '../lib/geometry/umap';
import { knn } from '../lib/geometry/knn';
import { klDivergence, trustworthiness } from '../lib/geometry/quality';
import { selectRows, type Matrix } from '../lib/util/matrix';
import { Rng } from '../lib/util/rng';

const PY = '/usr/bin/python3';
const BASELINE = join(process.cwd(), '..', 'shared', 'bench', 'python_baseline.py');

interface PyRow { section: string; shape: string; method: string; median_s: number; runs_s: number[]; kl?: number }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Time fn: one warm-up call (unless skipped), then `reps` timed calls; returns the median seconds and last result. */
function timeit<T>(fn: () => T, reps: number, warm = true): { med: number; runs: number[]; res: T } {
  if (warm) fn();
  const runs: number[] = [];
  let res!: T;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    res = fn();
    runs.push((performance.now() - t0) / 1000);
  }
  return { med: median(runs), runs, res };
}

/** KL of an embedding under scikit-learn's own P: perplexity 30 over exact k-NN in the full input space. */
function klUnderFullP(X: Matrix, Y: Matrix): number {
  const n = X.rows, k = Math.min(n - 1, 91);
  const nn = knn(X, k);
  return klDivergence(jointPSparse(nn.indices, conditionalP(nn.dist2, n, k, 30), n, k), Y);
}

/** Trustworthiness (k = 10) on a seeded 1,000-point subsample, measured in the full input space. */
function twSub(X: Matrix, Y: Matrix): number {
  const idx = new Rng(7).permutation(X.rows).slice(0, Math.min(1000, X.rows)).sort((a, b) => a - b);
  return trustworthiness(selectRows(X, idx), selectRows(Y, idx), 10);
}

const f2 = (x: number): string => x.toFixed(2);

/** Run the benchmark and print ours / theirs ratios. */
export async function run(): Promise<void> {
  const reps = Math.max(1, Number(process.env.SYCO_BENCH_REPS ?? 3));
  const cases = [
    { name: '6000x4096', block: 0, n: 6000, d: 4096 },
    { name: '2000x768', block: 3, n: 2000, d: 768 },
  ];
  const data = cases.map((c) => ({ ...c, X: makeMatrix(c.block, c.n, c.d).X }));

  // ---- ours: t-SNE (perplexity 30, 300 iterations, PCA init, Barnes–Hut θ 0.5, PCA to 50 dims first)
  console.log(`ours: t-SNE 300 iterations, perplexity 30, Barnes–Hut θ=0.5, PCA init; inputs reduced to 50 dims by PCA first ` +
    `(as a researcher would; sklearn below gets the raw input); warm-up + ${reps} timed runs, median`);
  const ours: Record<string, { med: number; runs: number[]; res: TsneResult }> = {};
  let first = true;
  for (const c of data) {
    ours[c.name] = timeit(() => tsne(c.X, { iterations: 300, perplexity: 30, seed: 0 }), reps, first || reps > 1);
    first = false;
    const r = ours[c.name].res;
    console.log(`  ${c.name}: ${f2(ours[c.name].med)} s  runs=[${ours[c.name].runs.map(f2).join(', ')}]  ` +
      `KL ${r.kl.toFixed(4)}  threads ${r.threads}  stages: reduce ${f2(r.timings.reduce)} s, affinities ${f2(r.timings.affinities)} s, ` +
      `optimise ${f2(r.timings.optimize)} s`);
  }

  // ---- ours without the PCA pre-reduction: exact neighbours in the full space, i.e. the same P as sklearn
  const full: Record<string, { med: number; runs: number[]; res: TsneResult }> = {};
  for (const c of data) {
    full[c.name] = timeit(() => tsne(c.X, { iterations: 300, perplexity: 30, seed: 0, pcaDims: false }), reps, false);
    const r = full[c.name].res;
    console.log(`  ${c.name} without PCA pre-reduction (same P as sklearn): ${f2(full[c.name].med)} s  runs=[${full[c.name].runs.map(f2).join(', ')}]  ` +
      `KL ${r.kl.toFixed(4)}  stages: PCA init ${f2(r.timings.reduce)} s, affinities ${f2(r.timings.affinities)} s, optimise ${f2(r.timings.optimize)} s`);
  }

  // ---- theirs: scikit-learn 1.2 via the shared baseline script (section B), in this same run
  let py: PyRow[] = [];
  if (existsSync(PY) && existsSync(BASELINE)) {
    const out = join(mkdtempSync(join(tmpdir(), 'syco-bench-geom-')), 'py.json');
    console.log(`theirs: ${PY} ${BASELINE} --only B (sklearn TSNE Barnes–Hut, same settings; warm-up + 3 runs, median) ...`);
    const r = spawnSync(PY, [BASELINE, '--only', 'B', '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0 || !existsSync(out)) throw new Error(`python baseline failed (${r.status})`);
    py = (JSON.parse(readFileSync(out, 'utf8')) as { results: PyRow[] }).results;
    for (const row of py) console.log(`  ${row.shape.padEnd(18)} ${row.method.padEnd(52)} ${f2(row.median_s)} s${row.kl !== undefined ? `  KL ${row.kl}` : ''}`);
  } else {
    console.log(`theirs: skipped (${PY} or ${BASELINE} missing)`);
  }
  const pyRow = (shape: string): PyRow | undefined => py.find((r) => r.shape === shape && r.method.startsWith('TSNE'));
  const pyPca50 = py.find((r) => r.method.startsWith('PCA(50)'));

  // ---- quality: KL of our embedding under sklearn's P (full-dimensional neighbours), trustworthiness subsample
  console.log('\nt-SNE: ours vs scikit-learn (ratio = ours / theirs; target ≤ 1.0)');
  console.log('| shape | ours s | sklearn s | ratio | KL ours (own P, 50-d) | KL ours under sklearn\'s full-d P | KL sklearn | trustworthiness ours (1k subsample, k=10) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const c of data) {
    const o = ours[c.name];
    const t = pyRow(c.name);
    const klFull = klUnderFullP(c.X, o.res.embedding);
    const tw = twSub(c.X, o.res.embedding);
    console.log(`| ${c.name} | ${f2(o.med)} | ${t ? f2(t.median_s) : 'n/a'} | ${t ? (o.med / t.median_s).toFixed(2) : 'n/a'} | ` +
      `${o.res.kl.toFixed(4)} | ${klFull.toFixed(4)} | ${t?.kl ?? 'n/a'} | ${tw.toFixed(4)} |`);
  }
  for (const c of data) {
    const o = full[c.name];
    const t = pyRow(c.name);
    console.log(`| ${c.name}, ours without PCA pre-reduction (same P) | ${f2(o.med)} | ${t ? f2(t.median_s) : 'n/a'} | ` +
      `${t ? (o.med / t.median_s).toFixed(2) : 'n/a'} | | ${o.res.kl.toFixed(4)} | ${t?.kl ?? 'n/a'} | ${twSub(c.X, o.res.embedding).toFixed(4)} |`);
  }
  const t50 = py.find((r) => r.shape.endsWith('(PCA50)') && r.method.startsWith('TSNE'));
  if (t50 && pyPca50) {
    const same = t50.median_s + pyPca50.median_s;
    console.log(`| 6000x4096, both with PCA(50) first | ${f2(ours['6000x4096'].med)} | ${f2(same)} (PCA ${f2(pyPca50.median_s)} + t-SNE ${f2(t50.median_s)}) | ` +
      `${(ours['6000x4096'].med / same).toFixed(2)} | ${ours['6000x4096'].res.kl.toFixed(4)} | | ${t50.kl} | |`);
  }

  // ---- UMAP timing (ours: exact k-NN + umap-js layout; no Python UMAP is installed to compare against)
  console.log('\nUMAP (ours, 2-D, 15 neighbours, seed 0; one run each)');
  for (const c of data) {
    const t0 = performance.now();
    const u = umap(c.X, { seed: 0 });
    const s = (performance.now() - t0) / 1000;
    console.log(`  ${c.name}: ${f2(s)} s (PCA ${f2(u.timings.reduce)} s, k-NN ${f2(u.timings.knn)} s, layout ${f2(u.timings.optimize)} s, ` +
      `${u.epochs} epochs)  trustworthiness (1k subsample, k=10) ${twSub(c.X, u.embedding).toFixed(4)}`);
  }
}
