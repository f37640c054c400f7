import { resolve } from 'node:path';
import type { Command } from './index';
import { maxTokensFlag, numberFlag, parseFlags, parseLayers, required, UsageError } from './args';
import { HOOK_NAMES, isHookName, type HookName, type Position } from '../model/types';

const USAGE = `usage: syco extract --model <dir-or-id> --pairs <file.jsonl> --out <dir>
                    [--hooks resid,mlp] [--layers all|i-j] [--position -2|-1|mean]
                    [--batch-tokens T] [--batch-size B] [--limit N] [--max-tokens N] [--dtype fp32] [--model-file F]
                    [--threads T] [--device cpu|cuda|webgpu|coreml|dml] [--shard i/n] [--quiet]
       syco extract merge <shard dir> ... --out <dir>

Runs both texts of every pair through the model (batched, left-padded) and writes one float32
[pairs, hidden] .npy per (hook, layer, side) plus manifest.json into --out. Killed at any moment,
the same command resumes where it stopped; a different request on an existing run is refused.
Prints a one-line JSON summary on stdout at the end.

  --model       local model folder (transformers.js layout) or hub id
  --pairs       pairs JSONL written by \`syco data\` (id, sycophantic, non_sycophantic, ...)
  --out         run folder (created)
  --hooks       comma list of ${HOOK_NAMES.join(', ')} (default resid)
  --layers      all (default), a range i-j, or a list 0,2,4
  --position    token position per text, negative from the end (default -2), or mean
  --batch-tokens  padded tokens per forward pass: pairs sorted by length within windows of 256 and packed
                up to T (default 2048 when --batch-size is not given); rows land at the same offsets
  --batch-size  most texts per forward pass (both texts of B/2 pairs); alone: fixed batches in file order
  --limit       only the first N pairs
  --max-tokens  cut texts longer than N tokens (the first token and the last N − 1; counted in the
                summary as texts_truncated); without it a text longer than the model's context is refused
  --dtype       model dtype (fp32 default, q8, q4, fp16, ...)
  --model-file  explicit ONNX file inside onnx/ (overrides --dtype)
  --threads     ONNX Runtime intra-op threads
  --device      execution provider (default cpu, or $SYCO_DEVICE); a missing provider is named with how to install it
  --shard       i/n (0 ≤ i < n): compute only the i-th of n deterministic slices (whole sorting windows)
                into --out; \`syco extract merge\` joins complete shards into a store identical to one run
  --quiet       no progress bar`;

const VALUE_FLAGS = ['model', 'pairs', 'out', 'hooks', 'layers', 'position', 'batch-size', 'batch-tokens', 'limit', 'max-tokens', 'dtype', 'model-file', 'threads', 'device', 'shard'];

/** Join `--flag -2` into `--flag=-2` so negative numbers are read as values, not as flags. */
export function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a.startsWith('--') && VALUE_FLAGS.includes(a.slice(2)) && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Parse --position: an integer token index (negative from the end) or 'mean'. */
export function parsePosition(value: string | undefined): Position {
  if (value === undefined) return -2;
  if (value === 'mean') return 'mean';
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`syco extract: --position must be an integer (e.g. -2) or "mean", got "${value}"`);
  return n;
}

/** Parse --hooks: a comma list of hook names (resid, mlp, attn). */
export function parseHooks(value: string | undefined): HookName[] {
  const list = (value ?? 'resid').split(',').map((s) => s.trim()).filter(Boolean);
  for (const h of list) {
    if (!isHookName(h)) throw new UsageError(`syco extract: --hooks: unknown hook "${h}" (known: ${HOOK_NAMES.join(', ')})`);
  }
  if (!list.length) throw new UsageError('syco extract: --hooks is empty');
  return list as HookName[];
}

/** `syco extract`: activations of many pairs into a resumable on-disk store. */
export const command: Command = {
  summary: 'extract activations for many pairs into a resumable store',
  async run(argv: string[]): Promise<void> {
    if (argv[0] === 'merge') return merge(argv.slice(1));
    const { values } = parseFlags('extract', joinNegativeValues(argv), {
      model: { type: 'string' },
      pairs: { type: 'string' },
      out: { type: 'string' },
      hooks: { type: 'string' },
      layers: { type: 'string' },
      position: { type: 'string' },
      'batch-size': { type: 'string' },
      'batch-tokens': { type: 'string' },
      limit: { type: 'string' },
      'max-tokens': { type: 'string' },
      dtype: { type: 'string' },
      'model-file': { type: 'string' },
      threads: { type: 'string' },
      device: { type: 'string' },
      shard: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const modelId = required('extract', 'model', values.model);
    const pairsPath = resolve(required('extract', 'pairs', values.pairs));
    const outDir = resolve(required('extract', 'out', values.out));
    const hooks = parseHooks(values.hooks);
    const layers = parseLayers('extract', values.layers);
    const position = parsePosition(values.position);
    const batchSize = values['batch-size'] === undefined ? undefined : numberFlag('extract', 'batch-size', values['batch-size']);
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 2)) throw new UsageError(`syco extract: --batch-size must be an integer ≥ 2, got ${values['batch-size']}`);
    const batchTokens = values['batch-tokens'] === undefined ? undefined : numberFlag('extract', 'batch-tokens', values['batch-tokens']);
    if (batchTokens !== undefined && (!Number.isInteger(batchTokens) || batchTokens < 2)) throw new UsageError(`syco extract: --batch-tokens must be an integer ≥ 2, got ${values['batch-tokens']}`);
    const limit = values.limit === undefined ? undefined : numberFlag('extract', 'limit', values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`syco extract: --limit must be a positive integer, got ${values.limit}`);
    const threads = values.threads === undefined ? undefined : numberFlag('extract', 'threads', values.threads);
    const { parseShard } = await import('../activations/shards');
    let shard: ReturnType<typeof parseShard> | undefined;
    try {
      shard = values.shard === undefined ? undefined : parseShard(values.shard);
    } catch (err) {
      throw new UsageError(`syco extract: ${(err as Error).message}`);
    }
    const maxTokens = maxTokensFlag('extract', values['max-tokens']);

    // Loaded lazily so that `syco extract --help` and usage errors never start ONNX Runtime.
    const { readPairsJsonl } = await import('../datasets/index');
    const { loadHookedModel } = await import('../model/index');
    const { extractActivations } = await import('../activations/extract');

    const { checkDevice, resolveDevice } = await import('../model/device');
    checkDevice(resolveDevice(values.device)); // before reading anything: a missing provider is the first error
    const pairs = readPairsJsonl(pairsPath);
    const model = await loadHookedModel(modelId, {
      dtype: values.dtype,
      modelFileName: values['model-file'],
      threads,
      device: values.device,
    });
    try {
      const s = await extractActivations({
        model, pairs, outDir, hooks, layers, position, batchSize, batchTokens, limit, shard, maxTokens,
        source: pairsPath, quiet: Boolean(values.quiet),
      });
      const summary = {
        out: s.outDir,
        model: model.id,
        model_sha256: model.sourceHash,
        pairs: s.pairs,
        done: s.done,
        skipped: s.skipped,
        computed: s.computed,
        resumed: s.resumed,
        complete: s.complete,
        hooks: s.hooks,
        layers: s.layers,
        position: s.position,
        hidden_size: s.hiddenSize,
        files: s.files.length,
        max_tokens: s.context.maxTokens,
        texts_truncated: s.context.truncated,
        context: s.context.limit,
        longest_text_tokens: s.context.longest,
        seconds: Number(s.seconds.toFixed(3)),
        pairs_per_s: Number(s.pairsPerSec.toFixed(2)),
        forward_s: Number(s.timings.forwardSec.toFixed(3)),
        write_s: Number(s.timings.writeSec.toFixed(3)),
        commit_s: Number(s.timings.commitSec.toFixed(3)),
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      };
      process.stdout.write(JSON.stringify(summary) + '\n');
    } finally {
      await model.dispose();
    }
  },
};

/** `syco extract merge <shard dirs> --out <dir>`: join complete shard stores into one store. */
async function merge(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags('extract merge', argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write('usage: syco extract merge <shard dir> ... --out <dir>\n\nJoins the complete stores written with --shard i/n ' +
      '(every i of one n, same model, settings and pairs) into --out, byte-identical to a single run.\n');
    return;
  }
  const outDir = resolve(required('extract merge', 'out', values.out));
  if (!positionals.length) throw new UsageError('syco extract merge: give the shard folders, e.g. syco extract merge acts-0 acts-1 --out acts');
  const { mergeShards } = await import('../activations/shards');
  const s = mergeShards(positionals, outDir);
  process.stdout.write(JSON.stringify({ out: s.outDir, shards: s.shards, pairs: s.pairs, files: s.files }) + '\n');
}
