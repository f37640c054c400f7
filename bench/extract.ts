// Benchmark of `syco extract`: pairs/s and peak RSS while extracting every layer (resid + mlp), on stories260K and
// on a ≥100M-parameter local Llama (.cache/bench-llama, built by scripts/fixtures/make_bench_model.py when missing).
// Each extraction runs as a child process (the real CLI) so its peak RSS is its own; the raw forward throughput of
// the CLI's timing breakdown gives the store's overhead (row writes + fsync/manifest commits) against the forward passes.
// Sizes: SYCO_BENCH_EXTRACT_PAIRS (stories260K, default 200), SYCO_BENCH_EXTRACT_BIG_PAIRS (big model, default 6).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPairs, readSycophancyFile, writePairsJsonl } from '../lib/datasets/index';
import { openActivationStore, type ActivationManifest } from '../lib/activations/store';
import { PreallocatedNpy } from '../lib/activations/writer';
import { atomicWriteJson } from '../lib/util/fs';

const ROOT = process.cwd();
const SHARED = resolve(process.env.SYCO_SHARED ?? join(ROOT, '..', 'shared'));
const STORIES = join(SHARED, 'models', 'stories260K-onnx');
const DATASET = join(SHARED, 'datasets', 'anthropic-sycophancy', 'sycophancy_on_political_typology_quiz.jsonl');
const BIG = join(ROOT, '.cache', 'bench-llama134m');
const MAKE_BIG = join(ROOT, 'scripts', 'fixtures', 'make_bench_model.py');

interface Summary {
  pairs: number; computed: number; seconds: number; pairs_per_s: number; peak_rss_mb: number; files: number; hidden_size: number;
  forward_s: number; write_s: number; commit_s: number;
}

function extractCli(model: string, pairs: string, out: string, batchSize: number | string[], limit: number, env: Record<string, string> = {}): { summary: Summary; wall: number } {
  const t = Date.now();
  const batching = Array.isArray(batchSize) ? batchSize : ['--batch-size', String(batchSize)];
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'syco.js'), 'extract', '--model', model, '--pairs', pairs,
    '--hooks', 'resid,mlp', '--layers', 'all', '--position', '-2', ...batching, '--limit', String(limit),
    '--out', out, '--quiet', '--threads', '2'], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`syco extract failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { summary: JSON.parse(r.stdout.trim().split('\n').at(-1)!), wall: (Date.now() - t) / 1000 };
}

function report(name: string, s: Summary, wall: number, layers: number): void {
  const layerMb = (s.pairs * s.hidden_size * 4) / 1e6;
  console.log(`${name}: ${s.computed} pairs, ${s.files} files (${layers} layers × resid,mlp × pos,neg)`);
  console.log(`  extraction ${s.pairs_per_s.toFixed(2)} pairs/s (loop ${s.seconds.toFixed(1)} s, wall incl. startup + model load ${wall.toFixed(1)} s)`);
  const store = s.write_s + s.commit_s;
  console.log(`  forward passes ${s.forward_s.toFixed(2)} s, row writes ${s.write_s.toFixed(3)} s, commits (fsync + manifest) ${s.commit_s.toFixed(3)} s` +
    ` -> store overhead ${((100 * store) / Math.max(s.forward_s, 1e-9)).toFixed(1)}% of forward time; forward-only rate ${(s.computed / s.forward_s).toFixed(2)} pairs/s`);
  console.log(`  peak RSS ${s.peak_rss_mb} MB (one array file: ${layerMb.toFixed(2)} MB)`);
}

/** Reader memory at the study's scale: a 29-layer × 3,000-pair × 4,096 run (sparse files), one layer read at a time. */
function readerMemory(dir: string): void {
  const P = 3000, H = 4096, L = 29;
  const layers = Array.from({ length: L }, (_, i) => i);
  const files: string[] = [];
  for (const l of layers) for (const side of ['pos', 'neg']) {
    const f = `resid.L${l}.${side}.npy`;
    PreallocatedNpy.create(join(dir, f), P, H).close();
    files.push(f);
  }
  const manifest: ActivationManifest = {
    format_version: 1,
    model: { id: 'synthetic', file: '-', sha256: '-', dtype: 'fp32', family: 'llama', num_layers: L, hidden_size: H },
    dataset: { source: 'synthetic', format: 'sentence', pair_ids: Array.from({ length: P }, (_, i) => `p${i}`) },
    hooks: ['resid'], layers, position: -2, dtype: 'float32', hidden_size: H, counts: { pairs: P, done: P }, complete: true,
    files, code_version: '-', created: new Date().toISOString(),
  };
  atomicWriteJson(join(dir, 'manifest.json'), manifest);
  const store = openActivationStore(dir);
  const rss = (): number => process.memoryUsage().rss / 1e6;
  const before = rss();
  let peak = before;
  const t = Date.now();
  for (const l of layers) {
    const x = store.labelled('resid', l);
    peak = Math.max(peak, rss());
    const d = store.diff('resid', l);
    peak = Math.max(peak, rss());
    if (x.X.rows !== 2 * P || d.rows !== P) throw new Error('reader bench: wrong shape');
  }
  const layerMb = (2 * P * H * 4) / 1e6;
  console.log(`reader: ${L} layers × ${P} pairs × ${H} (${((L * layerMb * 1e6) / 1e9).toFixed(2)} GB on disk), labelled() + diff() of every layer in ` +
    `${((Date.now() - t) / 1000).toFixed(1)} s; RSS grew at most ${(peak - before).toFixed(0)} MB ` +
    `(one layer, both sides: ${layerMb.toFixed(0)} MB; live per step: labelled ${layerMb.toFixed(0)} MB + diff ${(layerMb / 2).toFixed(0)} MB, the rest is garbage awaiting collection)`);
}

/** Runs the benchmark (see the file comment). */
export async function run(): Promise<void> {
  const rtmp = mkdtempSync(join(tmpdir(), 'syco-bench-reader-'));
  try {
    readerMemory(rtmp);
  } finally {
    rmSync(rtmp, { recursive: true, force: true });
  }
  if (!existsSync(STORIES) || !existsSync(DATASET)) {
    console.log(`extract bench: skipped, shared assets missing (${STORIES}, ${DATASET})`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'syco-bench-extract-'));
  try {
    const n = Number(process.env.SYCO_BENCH_EXTRACT_PAIRS ?? 200);
    const pairsFile = join(tmp, 'pairs.jsonl');
    const pairs = buildPairs(readSycophancyFile(DATASET).rows, 'sentence').slice(0, Math.max(n, 16));
    writePairsJsonl(pairsFile, pairs);
    console.log(`pairs: ${pairs.length} political_typology_quiz sentence pairs (${pairs[0].sycophantic.length} chars in the first text)`);

    const small = extractCli(STORIES, pairsFile, join(tmp, 'stories'), 16, n);
    report('stories260K (hidden 64, 5 layers, batch 16 texts)', small.summary, small.wall, 5);

    await compare134(tmp, pairsFile, pairs);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Build the 134M benchmark Llama when missing; false when it cannot be built. */
function ensureBig(): boolean {
  if (!existsSync(join(BIG, 'bench_meta.json')) && existsSync(MAKE_BIG)) {
    console.log(`building ${BIG} with ${MAKE_BIG} ...`);
    const r = spawnSync('/usr/bin/python3', [MAKE_BIG, '--out', BIG], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) console.log(`  build failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`);
  }
  return existsSync(join(BIG, 'bench_meta.json'));
}

function loadNote(): string {
  const l = loadavg();
  return `load average ${l[0].toFixed(2)} / ${l[1].toFixed(2)} (1 / 5 min) on ${cpus().length} cores`;
}

/**
 * `syco extract` on the 134M Llama (all 12 layers, resid+mlp, position -2, real political-typology pairs) against
 * PyTorch loops on the same weights and token ids, and each change on its own: the full graph (SYCO_PRUNE=0) vs
 * the pruned one, file-order batches vs length-aware ones. Runs alternate ours / PyTorch so contention hits both.
 */
async function compare134(tmp: string, pairsFile: string, pairs: { sycophantic: string; non_sycophantic: string }[]): Promise<void> {
  if (!ensureBig()) {
    console.log(`134M comparison: skipped, ${BIG} is not present and could not be built`);
    return;
  }
  const n = Number(process.env.SYCO_BENCH_EXTRACT_BIG_PAIRS ?? 12);
  const { loadHookedModel } = await import('../lib/model/index');
  const m = await loadHookedModel(BIG, { threads: 1 });
  const ids = pairs.slice(0, n).flatMap((p) => [m.encode(p.sycophantic), m.encode(p.non_sycophantic)]);
  await m.dispose();
  const idsFile = join(tmp, 'ids.json');
  writeFileSync(idsFile, JSON.stringify(ids));
  const tokens = ids.reduce((a, x) => a + x.length, 0);
  const lens = ids.map((x) => x.length);
  console.log(`\n134M Llama (12 layers, hidden 768, vocab 32000): ${n} pairs, ${ids.length} texts, ${tokens} tokens ` +
    `(${(tokens / ids.length).toFixed(0)} per text, ${Math.min(...lens)}-${Math.max(...lens)}); all layers, resid+mlp, position -2; 2 threads each`);
  console.log(`  before: ${loadNote()}`);
  const ours: [string, string[], Record<string, string>][] = [
    ['ours, today: full graph, batch 16 texts (old default)', ['--batch-size', '16'], { SYCO_PRUNE: '0' }],
    ['ours, full graph, batch 4 texts', ['--batch-size', '4'], { SYCO_PRUNE: '0' }],
    ['ours, pruned graph only, batch 16 texts', ['--batch-size', '16'], {}],
    ['ours, length-aware only (full graph, 2048 tokens)', ['--batch-tokens', '2048'], { SYCO_PRUNE: '0' }],
    ['ours, default (pruned + length-aware 2048 tokens)', [], {}],
  ];
  const torch: [string, string[]][] = [
    ['PyTorch, study loop: batch 1, full model, all block outputs', ['--mode', 'study']],
    ['PyTorch, batched 4 padded, hooks', ['--mode', 'batched', '--batch', '4']],
    ['PyTorch, batched 16 padded, hooks', ['--mode', 'batched', '--batch', '16']],
    ['PyTorch, batched 4 padded, hooks, no LM head', ['--mode', 'nohead', '--batch', '4']],
  ];
  const rows: { name: string; tps: number; extra: string }[] = [];
  const runOurs = (k: number): void => {
    const [name, flags, env] = ours[k];
    const out = join(tmp, `o134-${k}`);
    // Warm the graph caches (the pruned variant is written on first use) outside the timed run.
    extractCli(BIG, pairsFile, join(tmp, `warm-${k}`), flags, 1, env);
    const r = extractCli(BIG, pairsFile, out, flags, n, env);
    rows.push({ name, tps: (tokens * r.summary.pairs_per_s) / n, extra: `${r.summary.pairs_per_s.toFixed(3)} pairs/s, peak RSS ${r.summary.peak_rss_mb} MB` });
  };
  const runTorch = (k: number): void => {
    const [name, flags] = torch[k];
    const r = spawnSync('/usr/bin/python3', [join(ROOT, 'bench', 'torch_extract.py'), '--model', BIG, '--ids', idsFile, '--threads', '2', ...flags],
      { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
    if (r.status !== 0) {
      rows.push({ name, tps: NaN, extra: `failed: ${r.stderr.trim().split('\n').pop()}` });
      return;
    }
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    rows.push({ name, tps: j.tokens_per_s, extra: `${((j.texts / 2) / j.seconds).toFixed(3)} pairs/s` });
  };
  for (let k = 0; k < Math.max(ours.length, torch.length); k++) {
    if (k < ours.length) runOurs(k);
    if (k < torch.length) runTorch(k);
  }
  console.log(`  after: ${loadNote()}`);
  const bestTorch = Math.max(...rows.filter((r) => r.name.startsWith('PyTorch') && Number.isFinite(r.tps)).map((r) => r.tps));
  const today = rows.find((r) => r.name.startsWith('ours, today'))!.tps;
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`  ${'case'.padEnd(w)}  tokens/s  vs best PyTorch  vs today  detail`);
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(w)}  ${r.tps.toFixed(0).padStart(8)}  ${('×' + (r.tps / bestTorch).toFixed(2)).padStart(15)}  ${('×' + (r.tps / today).toFixed(2)).padStart(8)}  ${r.extra}`);
  }
  const def = rows.find((r) => r.name.startsWith('ours, default'))!.tps;
  console.log(`  target: default ≥ 1.5× the best PyTorch loop -> ×${(def / bestTorch).toFixed(2)} (${def / bestTorch >= 1.5 ? 'met' : 'missed'})`);
}
