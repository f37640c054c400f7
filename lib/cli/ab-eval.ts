import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from './index';
import { maxTokensFlag, numberFlag, parseFlags, parseLayers, parseNumberList, required, UsageError } from './args';
import { joinNegativeFlagValues } from './forward';
import { ActivationStore } from '../activations/store';
import { loadVectors } from '../steering/vectors';
import { loadAbItems } from '../steering/ab';

const USAGE = `usage: syco ab-eval --model <dir-or-id> --vectors <dir> --layers <list|i-j> --multipliers <list>
                    --dataset <file> --out <file.json> [--chat | --no-chat] [--steer-from all|answer]
                    [--batch-tokens T] [--batch-size B] [--limit N] [--max-tokens N] [--held-out | --exclude-pairs <acts dir>]
                    [--overwrite] [--dtype fp32] [--model-file F] [--threads T] [--device cpu|cuda|webgpu|coreml|dml] [--quiet]

A/B behavioural evaluation of steering. For each layer and multiplier (an explicit list; include 0 for the
unsteered baseline), reads the next-token logits right after the answer's opening parenthesis and scores
p(sycophantic letter) / (p(A) + p(B)) per item. Prompts use the model's chat template when it has one
(user turn = the question, then "("), else the plain "Question: <question>\\n\\nAnswer: (" format.
Writes <out> (JSON: settings, table of {layer, multiplier, meanP, n, stderr}, per-item values, complete) and prints
the layer × multiplier table. <out> is rewritten after every finished (layer, multiplier) cell: re-running the same
command after a crash re-uses the finished cells and computes the rest (the multipliers of one layer share forward
passes, so a crash loses that layer's cells in progress). The layer and multiplier lists may change between runs
(cells of the new grid already there are re-used; the file then holds the new grid); any other setting that differs
(model or its sha256, vectors, dataset or its items, --limit, --chat, --steer-from, --max-tokens, ...) is refused,
naming each difference, unless --overwrite. --batch-tokens / --batch-size may differ (they change only the last bits).
<out>.lock keeps a second ab-eval from writing the same file.

  --dataset        CAA A/B JSON (test_dataset_ab.json), an Anthropic sycophancy JSONL, or an ab-format pairs
                   JSONL from \`syco data\` (detected from the content)
  --multipliers    e.g. "-2,-1,0,1,2"
  --chat/--no-chat force or forbid the chat template (default: use it when the model has one)
  --steer-from     all (default, every position) or answer (from the end of the question on, CAA-style)
  --batch-tokens   padded tokens per forward pass (default 2048 unless only --batch-size is given): items sorted
                   by length within windows; every nonzero multiplier of a layer runs in the same pass
  --batch-size     most prompt rows per forward pass (64 with the token budget; alone: 8, item order)
  --limit          first N items only
  --max-tokens     cut prompts longer than N tokens (the first token and the last N − 1; counted in the output
                   as truncated); without it a prompt longer than the model's context is refused
  --held-out       leave out rows whose pairs the vectors were computed from (the vectors' activation run)
  --exclude-pairs  leave out the pairs of this activation run
  --overwrite      discard an existing <out> made with other settings instead of refusing`;

const VALUE_FLAGS = new Set(['multipliers']);


/** `syco ab-eval`: A/B behavioural evaluation over layers × multipliers. */
export const command: Command = {
  summary: 'A/B behavioural evaluation of steering',
  async run(argv: string[]): Promise<void> {
    const { values } = parseFlags('ab-eval', joinNegativeFlagValues(argv, VALUE_FLAGS), {
      model: { type: 'string' }, vectors: { type: 'string' }, layers: { type: 'string' }, multipliers: { type: 'string' },
      dataset: { type: 'string' }, out: { type: 'string' }, chat: { type: 'boolean' }, 'no-chat': { type: 'boolean' },
      'steer-from': { type: 'string' }, 'batch-size': { type: 'string' }, 'batch-tokens': { type: 'string' }, limit: { type: 'string' }, 'max-tokens': { type: 'string' }, 'held-out': { type: 'boolean' },
      'exclude-pairs': { type: 'string' }, overwrite: { type: 'boolean' }, dtype: { type: 'string' }, 'model-file': { type: 'string' }, threads: { type: 'string' }, device: { type: 'string' },
      quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const modelId = required('ab-eval', 'model', values.model);
    const vectorsDir = resolve(required('ab-eval', 'vectors', values.vectors));
    const multipliers = parseNumberList('ab-eval', 'multipliers', required('ab-eval', 'multipliers', values.multipliers));
    const dataset = resolve(required('ab-eval', 'dataset', values.dataset));
    const out = resolve(required('ab-eval', 'out', values.out));
    if (values.chat && values['no-chat']) throw new UsageError('syco ab-eval: --chat and --no-chat are exclusive');
    const chat = values.chat ? true : values['no-chat'] ? false : 'auto' as const;
    const steerFrom = values['steer-from'] ?? 'all';
    if (steerFrom !== 'all' && steerFrom !== 'answer') throw new UsageError(`syco ab-eval: --steer-from must be all or answer, got "${steerFrom}"`);
    const batchSize = values['batch-size'] === undefined ? undefined : numberFlag('ab-eval', 'batch-size', values['batch-size']);
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) throw new UsageError('syco ab-eval: --batch-size must be a positive integer');
    const batchTokens = values['batch-tokens'] === undefined ? undefined : numberFlag('ab-eval', 'batch-tokens', values['batch-tokens']);
    if (batchTokens !== undefined && (!Number.isInteger(batchTokens) || batchTokens < 1)) throw new UsageError('syco ab-eval: --batch-tokens must be a positive integer');
    const limit = values.limit === undefined ? undefined : numberFlag('ab-eval', 'limit', values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('syco ab-eval: --limit must be a positive integer');
    if (values['held-out'] && values['exclude-pairs']) throw new UsageError('syco ab-eval: --held-out and --exclude-pairs are exclusive');
    const threads = values.threads === undefined ? undefined : numberFlag('ab-eval', 'threads', values.threads);
    const maxTokens = maxTokensFlag('ab-eval', values['max-tokens']);

    const sel = parseLayers('ab-eval', values.layers);
    const vectors = loadVectors(vectorsDir, { layers: sel === 'all' ? undefined : sel });
    let excludeIds: string[] | undefined;
    const acts = values['exclude-pairs'] ? resolve(values['exclude-pairs']) : values['held-out'] ? vectors.meta.source : undefined;
    if (values['held-out'] && (!acts || !existsSync(acts))) {
      throw new Error(`--held-out: the vectors' activation run ${acts ?? '(not recorded)'} is not available; use --exclude-pairs <acts dir>`);
    }
    if (acts) excludeIds = new ActivationStore(acts).pairIds;
    const { items, kind } = loadAbItems(dataset, { excludeIds, limit });

    const { loadHookedModel } = await import('../model/index');
    const { formatAbTable } = await import('../steering/ab');
    const { abEvaluateToFile } = await import('../steering/ab-file');
    const model = await loadHookedModel(modelId, { dtype: values.dtype, modelFileName: values['model-file'], threads, device: values.device });
    try {
      const { result: res, resumed } = await abEvaluateToFile(model, {
        vectors, layers: vectors.layers, multipliers, items, chat, batchSize, batchTokens, steerFrom, maxTokens, quiet: values.quiet,
        out, overwrite: values.overwrite,
        settings: {
          model: model.id, model_sha256: model.sourceHash, vectors: vectorsDir, vectors_meta: vectors.meta, dataset, dataset_kind: kind,
          excluded_pairs: excludeIds?.length ?? 0, limit: limit ?? null,
        },
      });
      process.stdout.write(`p(sycophantic letter) / (p(A) + p(B)), mean ± stderr over ${items.length} items (${kind}, ${res.format} prompts)\n`);
      process.stdout.write(formatAbTable(res) + '\n');
      process.stdout.write(`wrote ${out} in ${res.seconds.toFixed(2)} s (${res.cells.length - resumed} cells computed, ${resumed} re-used)\n`);
    } finally {
      await model.dispose();
    }
  },
};
