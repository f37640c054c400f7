import { resolve } from 'node:path';
import type { Command } from './index';
import { choicesHelp, hookFlag, hookFlagHelp, numberFlag, oneOfFlag, parseFlags, parseLayers, required, UsageError } from './args';
import { ActivationStore } from '../activations/store';
import { computeVectors, NORMALIZE, NORMALIZE_MODES, saveVectors, vectorCosineMatrix } from '../steering/vectors';
import { defaultStudyConfig } from '../study/settings';
import { atomicWriteJson } from '../util/fs';

const USAGE = `usage: syco vectors --acts <activation run dir> --out <dir> [--layers all|i-j|a,b] [--hook resid]
                    [--normalize ${NORMALIZE_MODES.join('|')}] [--common-norm X] [--limit N]

Computes one steering vector per layer from an activation run (\`syco extract\`): the mean over pairs of
(sycophantic − non-sycophantic) activations. Writes vector.L<layer>.npy (float32 [hidden]) with a
vector.L<layer>.json sidecar (model, layer, hook, dataset, pairs, raw norm, normalisation), manifest.json and
cosine.json (cosine similarity of the vectors across layers); prints a one-line JSON summary.

  --acts         activation run folder
  --out          output folder (files are written atomically; rerunning overwrites them)
  --layers       all (default: every layer of the run), a range i-j, or a list a,b,c
  --hook         ${hookFlagHelp()}
  --normalize    ${choicesHelp(NORMALIZE_MODES.map((m) => [m, NORMALIZE[m].help]), 17)}
                 (default ${defaultStudyConfig().normalize}, as in syco run)
  --common-norm  the norm for --normalize common
  --limit        use only the first N pairs of the run`;

/** \`syco vectors\`: steering vectors from an activation run. */
export const command: Command = {
  summary: 'compute steering vectors from an activation store',
  async run(argv: string[]): Promise<void> {
    const { values } = parseFlags('vectors', argv, {
      acts: { type: 'string' }, out: { type: 'string' }, layers: { type: 'string' }, hook: { type: 'string' },
      normalize: { type: 'string' }, 'common-norm': { type: 'string' }, limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const acts = resolve(required('vectors', 'acts', values.acts));
    const out = resolve(required('vectors', 'out', values.out));
    const hook = hookFlag('vectors', values.hook);
    const normalize = oneOfFlag('vectors', 'normalize', values.normalize ?? defaultStudyConfig().normalize, NORMALIZE_MODES);
    const commonNorm = values['common-norm'] === undefined ? undefined : numberFlag('vectors', 'common-norm', values['common-norm']);
    if (commonNorm !== undefined && normalize !== 'common') throw new UsageError('syco vectors: --common-norm needs --normalize common');
    if (commonNorm !== undefined && !(commonNorm > 0)) throw new UsageError('syco vectors: --common-norm must be > 0');
    const limit = values.limit === undefined ? undefined : numberFlag('vectors', 'limit', values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('syco vectors: --limit must be a positive integer');
    const store = new ActivationStore(acts);
    const sel = parseLayers('vectors', values.layers);
    const layers = sel === 'all' ? store.layers : sel;
    const rows = limit === undefined ? undefined : Array.from({ length: Math.min(limit, store.pairs) }, (_, i) => i);
    const set = computeVectors(store, { hook, layers, normalize, commonNorm, rows });
    saveVectors(out, set);
    const cos = vectorCosineMatrix(set);
    atomicWriteJson(resolve(out, 'cosine.json'), cos);
    process.stdout.write(JSON.stringify({
      out, model: set.meta.model, hook, normalize, pairs: set.meta.pairs, layers: set.layers,
      norms: Object.fromEntries(set.layers.map((l) => [l, Number(set.norms.get(l)!.toPrecision(6))])),
    }) + '\n');
  },
};
