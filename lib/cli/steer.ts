import { resolve } from 'node:path';
import type { Command } from './index';
import { numberFlag, parseFlags, parseLayers, parseNumberList, required, UsageError } from './args';
import { joinNegativeFlagValues } from './forward';
import { loadVectors } from '../steering/vectors';
import { loadSweepPrompts } from '../steering/prompts';
import { modelTag as modelTagOf } from '../model/tag';

const USAGE = `usage: syco steer --model <dir-or-id> --vectors <dir> --layers <list|i-j> --multipliers <list>
                  --prompts <file> --out <dir> [--max-new-tokens N] [--i-think] [--steer-from all|generated]
                  [--chat] [--no-control] [--model-tag NAME] [--pairs-tag N] [--limit N]
                  [--temperature T --top-p P --seed S] [--overwrite] [--dtype fp32] [--model-file F]
                  [--threads T] [--quiet]

Steered open-ended generation. For each layer and each multiplier magnitude m, every prompt is answered with the
layer's vector added ×(+m) (answer_plus) and ×(−m) (answer_minus), plus the unsteered control (answer_control,
multiplier 0, generated once per prompt). Files (the study's schema, a JSON list of {sentence, answer_plus,
answer_minus, answer_control}):
  <out>/AT_sentence_results_<model-tag>_<pairs-tag>_<layer>.json          (one magnitude)
  <out>/AT_sentence_results_<model-tag>_<pairs-tag>_<layer>_m<m>.json     (several magnitudes: one file each)
  <out>/manifest.json (settings and files), <out>/control.json (cached controls)
Rerunning the same command resumes: finished files are kept; other settings are refused unless --overwrite.

  --multipliers   magnitudes: "120" means +120, −120 and the 0 control; "-4,0,4" is the same as "4";
                  "2,8" runs both magnitudes
  --prompts       a JSON list of strings or {"prompts": [...]} (data/persona_prompts.json, the study's list),
                  a JSONL file (strings or {"prompt"|"sentence"|"question": ...}), a TruthfulQA CSV (each question
                  becomes "Question: q Answer: The answer is") or a text file with one prompt per line
  --max-new-tokens  tokens per answer (default 40)
  --i-think       append the study's " I think" to every prompt (the "sentence" field keeps the prompt)
  --steer-from    all (default: every position, the study) or generated (only generated tokens, CAA-style)
  --chat          wrap prompts in the model's chat template
  --no-control    skip the multiplier-0 control
  --model-tag     model name in file names (default: the model folder's name)
  --pairs-tag     pair count in file names (default: the vectors' pair count)
  --limit         use only the first N prompts
  --temperature / --top-p / --seed   sample instead of greedy (prompt i uses seed + i)`;

const VALUE_FLAGS = new Set(['multipliers', 'temperature', 'seed']);

/** `syco steer`: steered generation sweep over layers × multipliers. */
export const command: Command = {
  summary: 'steered open-ended generation sweep',
  async run(argv: string[]): Promise<void> {
    const { values } = parseFlags('steer', joinNegativeFlagValues(argv, VALUE_FLAGS), {
      model: { type: 'string' }, vectors: { type: 'string' }, layers: { type: 'string' }, multipliers: { type: 'string' },
      prompts: { type: 'string' }, out: { type: 'string' }, 'max-new-tokens': { type: 'string' }, 'i-think': { type: 'boolean' },
      'steer-from': { type: 'string' }, chat: { type: 'boolean' }, 'no-control': { type: 'boolean' }, 'model-tag': { type: 'string' },
      'pairs-tag': { type: 'string' }, limit: { type: 'string' }, temperature: { type: 'string' }, 'top-p': { type: 'string' },
      seed: { type: 'string' }, overwrite: { type: 'boolean' }, dtype: { type: 'string' }, 'model-file': { type: 'string' },
      threads: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const modelId = required('steer', 'model', values.model);
    const vectorsDir = resolve(required('steer', 'vectors', values.vectors));
    const multipliers = parseNumberList('steer', 'multipliers', required('steer', 'multipliers', values.multipliers));
    const promptsPath = resolve(required('steer', 'prompts', values.prompts));
    const out = resolve(required('steer', 'out', values.out));
    const maxNewTokens = numberFlag('steer', 'max-new-tokens', values['max-new-tokens'], 40);
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new UsageError('syco steer: --max-new-tokens must be a positive integer');
    const steerFrom = values['steer-from'] ?? 'all';
    if (steerFrom !== 'all' && steerFrom !== 'generated') throw new UsageError(`syco steer: --steer-from must be all or generated, got "${steerFrom}"`);
    const temperature = values.temperature === undefined ? undefined : numberFlag('steer', 'temperature', values.temperature);
    if (temperature !== undefined && !(temperature >= 0)) throw new UsageError('syco steer: --temperature must be >= 0');
    const topP = values['top-p'] === undefined ? undefined : numberFlag('steer', 'top-p', values['top-p']);
    const seed = values.seed === undefined ? undefined : numberFlag('steer', 'seed', values.seed);
    const limit = values.limit === undefined ? undefined : numberFlag('steer', 'limit', values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('syco steer: --limit must be a positive integer');
    const threads = values.threads === undefined ? undefined : numberFlag('steer', 'threads', values.threads);

    const sel = parseLayers('steer', values.layers);
    const vectors = loadVectors(vectorsDir, { layers: sel === 'all' ? undefined : sel });
    let prompts = loadSweepPrompts(promptsPath);
    if (limit !== undefined) prompts = prompts.slice(0, limit);
    const modelTag = values['model-tag'] ?? modelTagOf(modelId);
    const tag = values['pairs-tag'];
    const pairsTag: string | number = tag === undefined ? vectors.meta.pairs : /^\d+$/.test(tag) ? Number(tag) : tag;

    const { loadHookedModel } = await import('../model/index');
    const { steeringSweep } = await import('../steering/sweep');
    const model = await loadHookedModel(modelId, { dtype: values.dtype, modelFileName: values['model-file'], threads });
    try {
      const s = await steeringSweep(model, {
        vectors, layers: vectors.layers, multipliers, prompts, maxNewTokens, iThink: values['i-think'], steerFrom, chat: values.chat,
        control: !values['no-control'], outDir: out, modelTag, pairsTag, temperature, topP, seed, overwrite: values.overwrite,
        quiet: values.quiet,
      });
      process.stdout.write(JSON.stringify({
        out, model: model.id, layers: vectors.layers, multipliers, prompts: prompts.length, files: s.files.map((f) => f.file),
        written: s.writtenFiles.length, skipped: s.skippedFiles.length, generations: s.generations, seconds: Number(s.seconds.toFixed(2)),
      }) + '\n');
    } finally {
      await model.dispose();
    }
  },
};
