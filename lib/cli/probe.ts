import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from './index';
import { numberFlag, parseFlags, parseLayers, required, UsageError } from './args';
import type { HookName } from '../model/types';
import { ActivationStore } from '../activations/store';
import { probeLayer, type LayerProbeResult } from '../probes/sweep';
import { PROBE_KINDS, type ProbeKind, type ProbeOptions } from '../probes/types';
import { atomicWriteJson } from '../util/fs';
import { writeNpy } from '../util/npy';
import { Progress } from '../util/progress';

const USAGE = `usage: syco probe --acts <dir> --probe lr|lr-recipe|mm|mm-iid|ccs --out <file.json>
                  [--hook resid] [--layers all|i-j|a,b] [--test-frac 0.2] [--seed S]
                  [--epochs N] [--tries N] [--lr X] [--weight-decay X] [--C X] [--atol X]
                  [--directions <file.npy>] [--quiet]

Trains one linear probe per layer on an activation run, holding out a fraction of the PAIRS (both
sides of a pair stay on the same side of the split), and writes per-layer accuracies, the held-out
confusion matrix [[tn, fp], [fn, tp]], the direction norm and its cosine with the mean-difference
(steering) direction. The file is rewritten after each layer ("complete": false until the end);
rerunning the same command resumes after the finished layers.

  --acts          activation run folder (manifest.json + .npy files, from \`syco extract\`)
  --probe         lr (L2 logistic regression, L-BFGS), lr-recipe (the study's AdamW recipe),
                  mm (mass-mean), mm-iid (mass-mean with pinv of the class-centred covariance), ccs
  --out           output JSON file
  --hook          resid (default), mlp or attn
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

/** A per-layer entry as written to JSON (no direction array). */
type LayerEntry = Omit<LayerProbeResult, 'direction'>;

/** `syco probe`: per-layer linear probes on an activation run. */
export const command: Command = {
  summary: 'train linear probes per layer on an activation store',
  async run(argv: string[]): Promise<void> {
    const { values } = parseFlags('probe', argv, {
      acts: { type: 'string' },
      probe: { type: 'string' },
      out: { type: 'string' },
      hook: { type: 'string' },
      layers: { type: 'string' },
      'test-frac': { type: 'string' },
      seed: { type: 'string' },
      epochs: { type: 'string' },
      tries: { type: 'string' },
      lr: { type: 'string' },
      'weight-decay': { type: 'string' },
      C: { type: 'string' },
      atol: { type: 'string' },
      directions: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const acts = resolve(required('probe', 'acts', values.acts));
    const probe = required('probe', 'probe', values.probe) as ProbeKind;
    if (!PROBE_KINDS.includes(probe)) throw new UsageError(`syco probe: --probe must be one of ${PROBE_KINDS.join(', ')}, got "${probe}"`);
    const out = resolve(required('probe', 'out', values.out));
    const hook = (values.hook ?? 'resid') as HookName;
    if (!['resid', 'mlp', 'attn'].includes(hook)) throw new UsageError(`syco probe: --hook must be resid, mlp or attn, got "${hook}"`);
    const testFrac = numberFlag('probe', 'test-frac', values['test-frac'], 0.2);
    if (!(testFrac >= 0 && testFrac < 1)) throw new UsageError(`syco probe: --test-frac must be in [0, 1), got ${testFrac}`);
    const seed = numberFlag('probe', 'seed', values.seed, 0);
    const positiveInt = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const x = numberFlag('probe', name, v);
      if (!Number.isInteger(x) || x < 1) throw new UsageError(`syco probe: --${name} must be a positive integer, got "${v}"`);
      return x;
    };
    const positive = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const x = numberFlag('probe', name, v);
      if (!(x >= 0)) throw new UsageError(`syco probe: --${name} must be ≥ 0, got "${v}"`);
      return x;
    };
    const probeOpts: ProbeOptions = {
      epochs: positiveInt('epochs', values.epochs),
      tries: positiveInt('tries', values.tries),
      lr: positive('lr', values.lr),
      weightDecay: positive('weight-decay', values['weight-decay']),
      C: positive('C', values.C),
      atol: positive('atol', values.atol),
    };
    const store = new ActivationStore(acts);
    if (!store.hooks.includes(hook)) throw new Error(`${acts}: hook "${hook}" not captured (has ${store.hooks.join(', ')})`);
    const sel = parseLayers('probe', values.layers);
    const layers = sel === 'all' ? store.layers : sel;
    for (const l of layers) if (!store.layers.includes(l)) throw new Error(`${acts}: layer ${l} not captured (has ${store.layers.join(', ')})`);
    if (store.pairs < 2) throw new Error(`${acts}: only ${store.pairs} pair(s) written; need at least 2`);

    const config = {
      acts,
      model: store.manifest.model?.id ?? null,
      hook,
      probe,
      seed,
      test_frac: testFrac,
      options: Object.fromEntries(Object.entries(probeOpts).filter(([, v]) => v !== undefined)),
      pairs: store.pairs,
      hidden_size: store.hiddenSize,
    };
    // resume: keep finished layers of an earlier run with the same configuration (not when directions are requested)
    const done = new Map<number, LayerEntry>();
    if (existsSync(out) && !values.directions) {
      try {
        const prev = JSON.parse(readFileSync(out, 'utf8'));
        if (JSON.stringify(prev.config) === JSON.stringify(config)) for (const r of prev.layers ?? []) done.set(r.layer, r);
      } catch {
        // unreadable earlier output: start over
      }
    }
    const results: LayerEntry[] = [];
    const directions: Float32Array[] = [];
    const prog = new Progress({ label: `probe ${probe} (${hook})`, total: layers.length, initial: layers.filter((l) => done.has(l)).length, quiet: values.quiet });
    const write = (complete: boolean) =>
      atomicWriteJson(out, { config, complete, created: new Date().toISOString(), layers: results.slice().sort((a, b) => a.layer - b.layer) });
    for (const layer of layers) {
      const prev = done.get(layer);
      if (prev) {
        results.push(prev);
        continue;
      }
      const r = probeLayer(store.labelled(hook, layer), layer, { probe, seed, testFrac, ...probeOpts });
      const { direction, ...entry } = r;
      directions.push(direction);
      results.push(entry);
      write(false);
      prog.tick();
    }
    prog.finish();
    write(true);
    if (values.directions) {
      const d = store.hiddenSize;
      const all = new Float32Array(layers.length * d);
      directions.forEach((v, k) => all.set(v, k * d));
      writeNpy(resolve(values.directions), all, [layers.length, d]);
    }
    const summary = results.map((r) => ({ layer: r.layer, train_acc: r.train_acc, test_acc: r.test_acc }));
    process.stdout.write(JSON.stringify({ out, probe, hook, layers: summary }) + '\n');
  },
};
