// Benchmark of `syco extract`: pairs/s and peak RSS while extracting every layer (resid + mlp), on stories260K and
// on a ≥100M-parameter local Llama (.cache/bench-llama, built by scripts/fixtures/make_bench_model.py when missing).
// Each extraction runs as a child process (the real CLI) so its peak RSS is its own; the raw forward throughput of
// the CLI's timing breakdown gives the store's overhead (row writes + fsync/manifest commits) against the forward passes.
// Sizes: SYCO_BENCH_EXTRACT_PAIRS (stories260K, default 200), SYCO_BENCH_EXTRACT_BIG_PAIRS (big model, default 6).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const BIG = join(ROOT, '.cache', 'bench-llama');
const MAKE_BIG = join(ROOT, 'scripts', 'fixtures', 'make_bench_model.py');

interface Summary {
  pairs: number; computed: number; seconds: number; pairs_per_s: number; peak_rss_mb: number; files: number; hidden_size: number;
  forward_s: number; write_s: number; commit_s: number;
}

function extractCli(model: string, pairs: string, out: string, batchSize: number, limit: number): { summary: Summary; wall: number } {
  const t = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'syco.js'), 'extract', '--model', model, '--pairs', pairs,
    '--hooks', 'resid,mlp', '--layers', 'all', '--position', '-2', '--batch-size', String(batchSize), '--limit', String(limit),
    '--out', out, '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 24 });
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

    if (!existsSync(join(BIG, 'config.json'))) {
      if (existsSync(MAKE_BIG)) {
        console.log(`building ${BIG} with ${MAKE_BIG} ...`);
        const r = spawnSync('/usr/bin/python3', [MAKE_BIG, '--out', BIG], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        if (r.status !== 0) console.log(`  build failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`);
      }
    }
    if (!existsSync(join(BIG, 'config.json'))) {
      console.log(`big model: skipped, ${BIG} is not present and could not be built (${existsSync(MAKE_BIG) ? 'build failed' : `${MAKE_BIG} missing`})`);
      return;
    }
    const cfg = JSON.parse(readFileSync(join(BIG, 'config.json'), 'utf8'));
    const nBig = Number(process.env.SYCO_BENCH_EXTRACT_BIG_PAIRS ?? 6);
    const big = extractCli(BIG, pairsFile, join(tmp, 'big'), 4, nBig);
    report(`bench-llama (hidden ${cfg.hidden_size}, ${cfg.num_hidden_layers} layers, batch 4 texts)`, big.summary, big.wall, cfg.num_hidden_layers);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
