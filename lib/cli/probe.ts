import { resolve } from 'node:path';
import type { Command } from './index';
import { choicesHelp, hookFlag, hookFlagHelp, intFlag, numberFlag, oneOfFlag, parseFlags, parseLayers, required, UsageError } from './args';
import { ActivationStore } from '../activations/store';
import { PROBES_FORMAT, probeSweep, type ProbeSummary } from '../probes/sweep';
import { PROBE_KINDS, PROBES, type ProbeOptions } from '../probes/types';
import { layeredResult } from '../util/results';
import { writeNpy } from '../util/npy';

const USAGE = `usage: syco probe --acts <dir> --probe ${PROBE_KINDS.join('|')} --out <file.json>
                  [--hook resid] [--layers all|i-j|a,b] [--test-frac 0.2] [--seed S]
                  [--epochs N] [--tries N] [--lr X] [--weight-decay X] [--C X] [--atol X]
                  [--directions <file.npy>] [--quiet]

Trains one linear probe per layer on an activation run, holding out a fraction of the PAIRS (both
sides of a pair stay on the same side of the split), and writes per-layer accuracies, the held-out
confusion matrix [[tn, fp], [fn, tp]], the direction norm and its cosine with the mean-difference
(steering) direction. The file is rewritten after each layer ("complete": false until the end);
rerunning the same command resumes after the finished layers.

  --acts          activation run folder (manifest.json + .npy files, from \`syco extract\`)
  --probe         ${choicesHelp(PROBE_KINDS.map((k) => [k, PROBES[k].help]), 18)}
  --out           output JSON file
  --hook          ${hookFlagHelp()}
  --layers        all (default), a range i-j, or a list 0,2,4
  --test-frac     fraction of pairs held out (default 0.2)
  --seed          seed of the split and of random initialisation (default 0)
  --epochs        lr-recipe / ccs epochs (default 1000)
  --tries         ccs restarts (default 10)
  --lr            lr-recipe / ccs AdamW learning rate (default 1e-3)
  --weight-decay  lr-recipe (default 0.1) / ccs (default 0.01) AdamW weight decay
  --C             lr inverse regularisation strength (default 1)
  --atol          mm-iid pseudo-inverse cut-off (default 1e-3)
  --directions    also write the probe directions as float32 [layers, hidden] .npy
  --quiet         no progress output`;

/** `syco probe`: per-layer linear probes on an activation run, in the one per-layer result format. */
export const command: Command = {
  summary: 'train linear probes per layer on an activation store',
  async run(argv: string[]): Promise<void> {
    const { values } = parseFlags('probe', argv, {
      acts: { type: 'string' }, probe: { type: 'string' }, out: { type: 'string' }, hook: { type: 'string' }, layers: { type: 'string' },
      'test-frac': { type: 'string' }, seed: { type: 'string' }, epochs: { type: 'string' }, tries: { type: 'string' }, lr: { type: 'string' },
      'weight-decay': { type: 'string' }, C: { type: 'string' }, atol: { type: 'string' }, directions: { type: 'string' },
      quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    });
    if (values.help) return void process.stdout.write(USAGE + '\n');
    const acts = resolve(required('probe', 'acts', values.acts));
    const probe = oneOfFlag('probe', 'probe', required('probe', 'probe', values.probe), PROBE_KINDS);
    const out = resolve(required('probe', 'out', values.out));
    const hook = hookFlag('probe', values.hook);
    const testFrac = numberFlag('probe', 'test-frac', values['test-frac'], 0.2);
    if (!(testFrac >= 0 && testFrac < 1)) throw new UsageError(`syco probe: --test-frac must be in [0, 1), got ${testFrac}`);
    const seed = intFlag('probe', 'seed', values.seed) ?? 0;
    const nonNegative = (name: string, v: string | undefined) => (v === undefined ? undefined : numberFlag('probe', name, v, undefined, { atLeast: 0 }));
    const probeOpts: ProbeOptions = {
      epochs: intFlag('probe', 'epochs', values.epochs, 1), tries: intFlag('probe', 'tries', values.tries, 1), lr: nonNegative('lr', values.lr),
      weightDecay: nonNegative('weight-decay', values['weight-decay']), C: nonNegative('C', values.C), atol: nonNegative('atol', values.atol),
    };
    const store = new ActivationStore(acts);
    if (!store.hooks.includes(hook)) throw new Error(`${acts}: hook "${hook}" not captured (has ${store.hooks.join(', ')})`);
    const sel = parseLayers('probe', values.layers);
    const layers = sel === 'all' ? store.layers : sel;
    for (const l of layers) if (!store.layers.includes(l)) throw new Error(`${acts}: layer ${l} not captured (has ${store.layers.join(', ')})`);
    if (store.pairs < 2) throw new Error(`${acts}: only ${store.pairs} pair(s) written; need at least 2`);
    const settings = {
      acts, model: store.manifest.model?.id ?? null, hook, probe, seed, test_frac: testFrac,
      options: Object.fromEntries(Object.entries(probeOpts).filter(([, v]) => v !== undefined)), pairs: store.pairs, hidden_size: store.hiddenSize,
    };
    const directions = new Map<number, Float32Array>();
    const res = await layeredResult<ProbeSummary>(out, {
      format: PROBES_FORMAT, settings, layers, resume: !values.directions, // directions are not saved: recompute every layer for them
      compute: (todo, done) => void probeSweep(store, {
        probe, hook, seed, testFrac, ...probeOpts, layers: todo, quiet: values.quiet,
        onLayer: ({ direction, ...entry }) => (directions.set(entry.layer, direction), done(entry)),
      }),
    });
    if (values.directions) {
      const d = store.hiddenSize;
      const all = new Float32Array(layers.length * d);
      layers.forEach((l, k) => all.set(directions.get(l)!, k * d));
      writeNpy(resolve(values.directions), all, [layers.length, d]);
    }
    const summary = res.layers.map((r) => ({ layer: r.layer, train_acc: r.train_acc, test_acc: r.test_acc }));
    process.stdout.write(JSON.stringify({ out, probe, hook, layers: summary }) + '\n');
  },
};
