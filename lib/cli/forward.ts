import { join, resolve } from 'node:path';
import type { Command } from './index';
import { parseFlags, parseLayers, required, UsageError, numberFlag } from './args';
import { HOOK_NAMES, isHookName, type HookName, type Position } from '../model/types';
import { atomicWriteJson, ensureDir } from '../util/fs';
import { writeNpyMatrix } from '../util/npy';

const USAGE = `usage: syco forward --model <dir-or-id> --text <t> --out <dir>
                    [--hooks ${[...HOOK_NAMES, 'embeds', 'final_norm'].join(',')}] [--layers all|i-j|0,2]
                    [--positions all|-2,-1,0,mean] [--dtype fp32] [--model-file F] [--threads T]

Runs one text through the hooked model and writes, into --out:
  <hook>.L<layer>.npy   float32 [positions, hidden] for each hook (${HOOK_NAMES.join(', ')}) and layer
  embeds.npy / final_norm.npy   when those names are in --hooks
  logits.npy            float32 [tokens, vocab]: logits at every token of the text
  manifest.json         token ids, tokens, resolved positions, layers, hooks, model, files

  --model       local model folder (transformers.js layout) or hub id
  --text        the text (the tokenizer adds its default special tokens, e.g. BOS)
  --hooks       comma list (default resid)
  --layers      all (default), a range i-j, or a list
  --positions   all (default) or a comma list of token indices (negative from the end) and/or mean
  --dtype       model dtype (fp32 default, q8, q4, fp16, ...)
  --model-file  explicit ONNX file inside onnx/ (overrides --dtype)`;

const VALUE_FLAGS = new Set(['model', 'text', 'out', 'hooks', 'layers', 'positions', 'dtype', 'model-file', 'threads']);

/** Join `--flag -2,...` into `--flag=-2,...` so that negative numbers are read as values. */
export function joinNegativeFlagValues(argv: string[], valueFlags: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a.startsWith('--') && valueFlags.has(a.slice(2)) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Parse --positions: 'all' or a comma list of integers and 'mean'. */
export function parsePositions(command: string, value: string | undefined): Position[] | 'all' {
  if (value === undefined || value === 'all') return 'all';
  const out: Position[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (part === 'mean') out.push('mean');
    else {
      const n = Number(part);
      if (!Number.isInteger(n)) throw new UsageError(`syco ${command}: --positions: "${part}" is not an integer or "mean"`);
      out.push(n);
    }
  }
  if (!out.length) throw new UsageError(`syco ${command}: --positions is empty`);
  return out;
}

/** `syco forward`: one text through a hooked model, captures saved as .npy files. */
export const command: Command = {
  summary: 'run one text through a hooked model and save captures',
  async run(argv: string[]): Promise<void> {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const { values } = parseFlags('forward', joinNegativeFlagValues(argv, VALUE_FLAGS), {
      model: { type: 'string' }, text: { type: 'string' }, out: { type: 'string' }, hooks: { type: 'string' },
      layers: { type: 'string' }, positions: { type: 'string' }, dtype: { type: 'string' }, 'model-file': { type: 'string' },
      threads: { type: 'string' },
    });
    const modelId = required('forward', 'model', values.model);
    const text = values.text;
    if (text === undefined) throw new UsageError(`syco forward: --text is required\n\n${USAGE}`);
    const outDir = resolve(required('forward', 'out', values.out));
    const hookList = (values.hooks ?? 'resid').split(',').map((s) => s.trim()).filter(Boolean);
    const hooks: HookName[] = [];
    let embeds = false;
    let finalNorm = false;
    for (const h of hookList) {
      if (isHookName(h)) hooks.push(h);
      else if (h === 'embeds') embeds = true;
      else if (h === 'final_norm') finalNorm = true;
      else throw new UsageError(`syco forward: --hooks: unknown hook "${h}" (known: ${[...HOOK_NAMES, 'embeds', 'final_norm'].join(', ')})`);
    }
    const positions = parsePositions('forward', values.positions);
    const layersReq = parseLayers('forward', values.layers);
    const threads = values.threads === undefined ? undefined : numberFlag('forward', 'threads', values.threads);

    const { loadHookedModel } = await import('../model/index');
    const model = await loadHookedModel(modelId, { dtype: values.dtype, modelFileName: values['model-file'], threads });
    try {
      const layers = layersReq === 'all' ? Array.from({ length: model.numLayers }, (_, i) => i) : layersReq;
      for (const l of layers) {
        if (l >= model.numLayers) throw new UsageError(`syco forward: --layers: layer ${l} out of range (model has ${model.numLayers})`);
      }
      const res = await model.run([text], { hooks, layers, positions, embeds, finalNorm });
      const all = await model.run(res.tokenIds, { hooks: [], layers: [], positions: 'all', logits: 'positions' });
      ensureDir(outDir);
      const files: string[] = [];
      for (const l of layers) {
        for (const h of hooks) {
          const f = `${h}.L${l}.npy`;
          writeNpyMatrix(join(outDir, f), res.captures.get(`${h}.${l}`)!);
          files.push(f);
        }
      }
      if (embeds) { writeNpyMatrix(join(outDir, 'embeds.npy'), res.captures.get('embeds')!); files.push('embeds.npy'); }
      if (finalNorm) { writeNpyMatrix(join(outDir, 'final_norm.npy'), res.captures.get('final_norm')!); files.push('final_norm.npy'); }
      writeNpyMatrix(join(outDir, 'logits.npy'), all.logits!);
      files.push('logits.npy');
      const ids = res.tokenIds[0];
      atomicWriteJson(join(outDir, 'manifest.json'), {
        model: model.id, modelFile: model.modelFile, dtype: model.dtype, sourceHash: model.sourceHash, family: model.family,
        numLayers: model.numLayers, hiddenSize: model.hiddenSize, vocabSize: model.vocabSize,
        text, tokenIds: ids, tokens: ids.map((t) => model.decode([t], { skipSpecialTokens: false })),
        requestedPositions: positions, positions: res.positions[0], layers,
        hooks: [...hooks, ...(embeds ? ['embeds'] : []), ...(finalNorm ? ['final_norm'] : [])],
        logits: { file: 'logits.npy', rows: 'every token', shape: [all.logits!.rows, all.logits!.cols] },
        files,
      });
      process.stdout.write(JSON.stringify({ out: outDir, tokens: ids.length, files: files.length }) + '\n');
    } finally {
      await model.dispose();
    }
  },
};
