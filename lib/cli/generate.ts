import type { Command } from './index';
import { numberFlag, parseFlags, required, UsageError } from './args';
import type { SteeringVector } from '../model/types';
import { readNpy } from '../util/npy';
import { assertFiniteVector } from '../util/matrix';
import { joinNegativeFlagValues } from './forward';

const USAGE = `usage: syco generate --model <dir-or-id> --prompt <t> [--max-new-tokens N]
                     [--greedy | --temperature T --top-p P --seed S]
                     [--steer-layer L --steer-vector <file.npy> --multiplier M [--from-position P|generated]]...
                     [--stop <string>]... [--ignore-eos] [--dtype fp32] [--model-file F] [--threads T]

Generates with the KV cache and prints one JSON line {"ids": [...], "text": "..."} (generated tokens only).
Steering flags may repeat: the k-th --steer-layer pairs with the k-th --steer-vector, --multiplier (default 1)
and --from-position (default: every position). The vector file is a float32/float64 .npy of shape [hidden].`;

const VALUE_FLAGS = new Set(['model', 'prompt', 'max-new-tokens', 'temperature', 'top-p', 'seed', 'steer-layer', 'steer-vector',
  'multiplier', 'from-position', 'stop', 'dtype', 'model-file', 'threads']);

/** Read a steering vector (.npy, 1-D or [1, H], float32/float64) as Float32Array. */
export function readVectorNpy(path: string): Float32Array {
  const a = readNpy(path);
  if (a.dtype !== '<f4' && a.dtype !== '<f8') throw new UsageError(`syco generate: ${path}: expected a float .npy, found ${a.dtype}`);
  const n = a.shape.reduce((x, y) => x * y, 1);
  if (!(a.shape.length === 1 || (a.shape.length === 2 && a.shape[0] === 1))) {
    throw new UsageError(`syco generate: ${path}: expected a vector of shape [hidden], found [${a.shape}]`);
  }
  const v = Float32Array.from(a.data as Float32Array | Float64Array).subarray(0, n);
  try {
    assertFiniteVector(`syco generate: ${path}`, v);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return v;
}

/** `syco generate`: greedy or sampled generation, optionally steered. */
export const command: Command = {
  summary: 'generate text, optionally steered',
  async run(argv: string[]): Promise<void> {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const { values } = parseFlags('generate', joinNegativeFlagValues(argv, VALUE_FLAGS), {
      model: { type: 'string' }, prompt: { type: 'string' }, 'max-new-tokens': { type: 'string' }, greedy: { type: 'boolean' },
      temperature: { type: 'string' }, 'top-p': { type: 'string' }, seed: { type: 'string' },
      'steer-layer': { type: 'string', multiple: true }, 'steer-vector': { type: 'string', multiple: true },
      multiplier: { type: 'string', multiple: true }, 'from-position': { type: 'string', multiple: true },
      stop: { type: 'string', multiple: true }, 'ignore-eos': { type: 'boolean' },
      dtype: { type: 'string' }, 'model-file': { type: 'string' }, threads: { type: 'string' },
    });
    const modelId = required('generate', 'model', values.model);
    const prompt = values.prompt;
    if (prompt === undefined) throw new UsageError(`syco generate: --prompt is required\n\n${USAGE}`);
    const maxNewTokens = numberFlag('generate', 'max-new-tokens', values['max-new-tokens'], 20);
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new UsageError('syco generate: --max-new-tokens must be a non-negative integer');
    const temperature = values.temperature === undefined ? undefined : numberFlag('generate', 'temperature', values.temperature);
    if (values.greedy && temperature !== undefined) throw new UsageError('syco generate: --greedy and --temperature are exclusive');
    if (temperature !== undefined && temperature < 0) throw new UsageError('syco generate: --temperature must be >= 0');
    const topP = values['top-p'] === undefined ? undefined : numberFlag('generate', 'top-p', values['top-p']);
    const seed = values.seed === undefined ? undefined : numberFlag('generate', 'seed', values.seed);

    const layers = values['steer-layer'] ?? [];
    const vectors = values['steer-vector'] ?? [];
    const mults = values.multiplier ?? [];
    const froms = values['from-position'] ?? [];
    if (layers.length !== vectors.length) {
      throw new UsageError(`syco generate: ${layers.length} --steer-layer but ${vectors.length} --steer-vector (give one of each per vector)`);
    }
    if (mults.length > layers.length || froms.length > layers.length) {
      throw new UsageError('syco generate: more --multiplier/--from-position flags than steering vectors');
    }
    const steering: SteeringVector[] = layers.map((l, k) => {
      const layer = numberFlag('generate', 'steer-layer', l);
      if (!Number.isInteger(layer) || layer < 0) throw new UsageError(`syco generate: --steer-layer ${l} is not a 0-based layer`);
      const f = froms[k];
      let fromPosition: number | 'generated' | undefined;
      if (f !== undefined) {
        if (f === 'generated') fromPosition = 'generated';
        else {
          fromPosition = Number(f);
          if (!Number.isInteger(fromPosition) || fromPosition < 0) throw new UsageError(`syco generate: --from-position "${f}" must be an integer >= 0 or "generated"`);
        }
      }
      return { layer, vector: readVectorNpy(vectors[k]), multiplier: mults[k] === undefined ? 1 : numberFlag('generate', 'multiplier', mults[k]), fromPosition };
    });
    const threads = values.threads === undefined ? undefined : numberFlag('generate', 'threads', values.threads);
    const { loadHookedModel } = await import('../model/index');
    const model = await loadHookedModel(modelId, { dtype: values.dtype, modelFileName: values['model-file'], threads });
    try {
      for (const s of steering) {
        if (s.layer >= model.numLayers) throw new UsageError(`syco generate: --steer-layer ${s.layer} out of range (model has ${model.numLayers} layers)`);
        if (s.vector.length !== model.hiddenSize) {
          throw new UsageError(`syco generate: steering vector has ${s.vector.length} values, the model's hidden size is ${model.hiddenSize}`);
        }
      }
      const res = await model.generate(prompt, {
        maxNewTokens, greedy: values.greedy ?? temperature === undefined, temperature, topP, seed,
        stop: values.stop, ignoreEos: values['ignore-eos'], steering,
      });
      process.stdout.write(JSON.stringify({ ids: res.ids, text: res.text }) + '\n');
    } finally {
      await model.dispose();
    }
  },
};
