import { resolve } from 'node:path';
import type { Command } from './index';
import { choicesHelp, hookFlag, hookFlagHelp, intFlag, numberFlag, oneOfFlag, parseFlags, parseLayers, required } from './args';
import { PROJECTION_METHODS, PROJECTIONS } from '../geometry/methods';
import type { SavedLayerProjection } from '../geometry/saved';
import { configureRuntime } from '../util/runtime';

const USAGE = `usage: syco geometry --acts <dir> --method ${PROJECTION_METHODS.join('|')} --out <file.json>
                     [--hook resid] [--layers all|i-j|a,b] [--dims 2|3] [--of both|diff] [--seed S]
                     [--perplexity P] [--iterations N] [--neighbors K] [--pca-dims D|none]
                     [--threads T] [--quiet]

Projects the activations of every requested layer to 2-D (or 3-D) and writes one JSON file with
per-layer coordinates, labels (1 = sycophantic, 0 = not) and pair indices. The file is rewritten
after each layer ("complete": false until the end); rerunning the same command resumes after the
last finished layer. Prints a one-line JSON summary on stdout.

  --acts        activation run folder (manifest.json + .npy files, from \`syco extract\`)
  --method      ${choicesHelp(PROJECTION_METHODS.map((m) => [m, PROJECTIONS[m].note]), 16)}
  --out         output JSON file
  --hook        ${hookFlagHelp()}
  --layers      all (default), a range i-j, or a list 0,2,4
  --dims        2 (default) or 3
  --of          both: pos and neg rows with labels (default); diff: one pos − neg row per pair
  --seed        seed for PCA, t-SNE/UMAP initialisation and solvers (default 0)
  --perplexity  t-SNE perplexity (default 30)
  --iterations  t-SNE iterations (default 1000; the study used 300)
  --neighbors   UMAP (15), LLE (5) or spectral (n/10) neighbours
  --pca-dims    PCA pre-reduction for t-SNE/UMAP/LLE/spectral when wider (default 50; none = off)
  --threads     threads for the t-SNE gradient (1 or 2; default automatic)
  --quiet       no progress output`;

/** `syco geometry`: per-layer 2-D/3-D projections of an activation run, in the one per-layer result format. */
export const command: Command = {
  summary: 'project activations per layer to 2-D/3-D',
  async run(argv: string[]): Promise<void> {
    const { values } = parseFlags('geometry', argv, {
      acts: { type: 'string' }, method: { type: 'string' }, out: { type: 'string' }, hook: { type: 'string' }, layers: { type: 'string' },
      dims: { type: 'string' }, of: { type: 'string' }, seed: { type: 'string' }, perplexity: { type: 'string' }, iterations: { type: 'string' },
      neighbors: { type: 'string' }, 'pca-dims': { type: 'string' }, threads: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    });
    if (values.help) return void process.stdout.write(USAGE + '\n');
    const acts = resolve(required('geometry', 'acts', values.acts));
    const method = oneOfFlag('geometry', 'method', required('geometry', 'method', values.method), PROJECTION_METHODS);
    const out = resolve(required('geometry', 'out', values.out));
    const hook = hookFlag('geometry', values.hook);
    const layersSel = parseLayers('geometry', values.layers);
    const dims = oneOfFlag('geometry', 'dims', values.dims ?? '2', ['2', '3'] as const) === '3' ? 3 : 2;
    const of = oneOfFlag('geometry', 'of', values.of ?? 'both', ['both', 'diff'] as const);
    const seed = intFlag('geometry', 'seed', values.seed) ?? 0;
    const perplexity = values.perplexity === undefined ? undefined : numberFlag('geometry', 'perplexity', values.perplexity, undefined, { above: 0 });
    const iterations = intFlag('geometry', 'iterations', values.iterations, 250);
    const neighbors = intFlag('geometry', 'neighbors', values.neighbors, 1);
    const threads = intFlag('geometry', 'threads', values.threads, 1);
    const pcaDims = values['pca-dims'] === 'none' ? false : intFlag('geometry', 'pca-dims', values['pca-dims'], 2);
    if (values.quiet) configureRuntime({ quiet: true });

    // Loaded lazily so that usage errors never load the numeric code.
    const { openActivationStore } = await import('../activations/store');
    const { projectLayers } = await import('../geometry/project');
    const { GEOMETRY_FORMAT, toSavedProjection } = await import('../geometry/saved');
    const { layeredResult } = await import('../util/results');
    const store = openActivationStore(acts);
    const layers = layersSel === 'all' ? store.layers : layersSel;
    const settings = {
      acts, method, hook, of, dims, seed, perplexity: perplexity ?? null, iterations: iterations ?? null, neighbors: neighbors ?? null,
      pca_dims: pcaDims === undefined ? 50 : pcaDims === false ? 'none' : pcaDims, pairs: store.pairs, model: store.manifest.model?.id ?? null,
    };
    const started = performance.now();
    const res = await layeredResult<SavedLayerProjection>(out, {
      format: GEOMETRY_FORMAT, settings, layers, extra: { pair_ids: store.pairIds },
      compute: (todo, done) => void projectLayers(store, {
        method, hook, layers: todo, of, dims, seed, perplexity, iterations, neighbors, pcaDims, threads, progress: !values.quiet,
        onLayer: (p) => done(toSavedProjection(p)),
      }),
    });
    process.stdout.write(JSON.stringify({
      out, method, hook, of, dims, layers, resumed_layers: res.resumed,
      points: res.layers[0]?.n ?? 0, seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    }) + '\n');
  },
};
