import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from './index';
import { numberFlag, parseFlags, parseLayers, required, UsageError } from './args';
import type { HookName } from '../model/types';

const USAGE = `usage: syco geometry --acts <dir> --method pca|tsne|umap|lle|spectral --out <file.json>
                     [--hook resid] [--layers all|i-j|a,b] [--dims 2|3] [--of both|diff] [--seed S]
                     [--perplexity P] [--iterations N] [--neighbors K] [--pca-dims D|none]
                     [--threads T] [--quiet]

Projects the activations of every requested layer to 2-D (or 3-D) and writes one JSON file with
per-layer coordinates, labels (1 = sycophantic, 0 = not) and pair indices. The file is rewritten
after each layer ("complete": false until the end); rerunning the same command resumes after the
last finished layer. Prints a one-line JSON summary on stdout.

  --acts        activation run folder (manifest.json + .npy files, from \`syco extract\`)
  --method      pca, tsne (Barnes–Hut; exact below 500 points), umap, lle (standard), spectral
  --out         output JSON file
  --hook        resid (default), mlp or attn
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

const METHODS = ['pca', 'tsne', 'umap', 'lle', 'spectral'] as const;

/** Round a float32 coordinate to 7 significant digits for compact JSON. */
function r7(v: number): number {
  return Number(v.toPrecision(7));
}

/** `syco geometry`: per-layer 2-D/3-D projections of an activation run. */
export const command: Command = {
  summary: 'project activations per layer to 2-D/3-D',
  async run(argv: string[]): Promise<void> {
    const { values } = parseFlags('geometry', argv, {
      acts: { type: 'string' },
      method: { type: 'string' },
      out: { type: 'string' },
      hook: { type: 'string' },
      layers: { type: 'string' },
      dims: { type: 'string' },
      of: { type: 'string' },
      seed: { type: 'string' },
      perplexity: { type: 'string' },
      iterations: { type: 'string' },
      neighbors: { type: 'string' },
      'pca-dims': { type: 'string' },
      threads: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const acts = resolve(required('geometry', 'acts', values.acts));
    const method = required('geometry', 'method', values.method);
    if (!(METHODS as readonly string[]).includes(method)) {
      throw new UsageError(`syco geometry: --method must be one of ${METHODS.join(', ')}, got "${method}"`);
    }
    const out = resolve(required('geometry', 'out', values.out));
    const hook = (values.hook ?? 'resid') as HookName;
    if (!['resid', 'mlp', 'attn'].includes(hook)) throw new UsageError(`syco geometry: --hook must be resid, mlp or attn, got "${hook}"`);
    const layersSel = parseLayers('geometry', values.layers);
    const dims = numberFlag('geometry', 'dims', values.dims, 2);
    if (dims !== 2 && dims !== 3) throw new UsageError(`syco geometry: --dims must be 2 or 3, got ${values.dims}`);
    const of = values.of ?? 'both';
    if (of !== 'both' && of !== 'diff') throw new UsageError(`syco geometry: --of must be both or diff, got "${of}"`);
    const seed = numberFlag('geometry', 'seed', values.seed, 0);
    const int = (name: string, v: string | undefined, min: number): number | undefined => {
      if (v === undefined) return undefined;
      const x = numberFlag('geometry', name, v);
      if (!Number.isInteger(x) || x < min) throw new UsageError(`syco geometry: --${name} must be an integer ≥ ${min}, got "${v}"`);
      return x;
    };
    const perplexity = values.perplexity === undefined ? undefined : numberFlag('geometry', 'perplexity', values.perplexity);
    if (perplexity !== undefined && !(perplexity > 0)) throw new UsageError(`syco geometry: --perplexity must be > 0, got ${values.perplexity}`);
    const iterations = int('iterations', values.iterations, 250);
    const neighbors = int('neighbors', values.neighbors, 1);
    const threads = int('threads', values.threads, 1);
    const pcaDims = values['pca-dims'] === undefined ? undefined : values['pca-dims'] === 'none' ? false : int('pca-dims', values['pca-dims'], 2);
    if (values.quiet) process.env.SYCO_QUIET = '1';

    // Loaded lazily so that usage errors never load the numeric code.
    const { openActivationStore } = await import('../activations/store');
    const { projectLayers } = await import('../geometry/project');
    const { atomicWriteJson } = await import('../util/fs');

    const store = openActivationStore(acts);
    const layers = layersSel === 'all' ? store.layers : layersSel;
    const settings = {
      acts, method, hook, of, dims, seed,
      perplexity: perplexity ?? null, iterations: iterations ?? null, neighbors: neighbors ?? null,
      pca_dims: pcaDims === undefined ? 50 : pcaDims === false ? 'none' : pcaDims,
      pairs: store.pairs, model: store.manifest.model?.id ?? null,
    };
    type LayerOut = { layer: number; hook: string; n: number; info: Record<string, unknown>; coords: number[][]; labels: number[]; pair: number[] };
    const done: LayerOut[] = [];
    // resume: reuse finished layers of an earlier run with identical settings
    if (existsSync(out)) {
      try {
        const prev = JSON.parse(readFileSync(out, 'utf8')) as { settings?: unknown; layers?: LayerOut[] };
        if (JSON.stringify(prev.settings) === JSON.stringify(settings) && Array.isArray(prev.layers)) {
          for (const l of prev.layers) if (layers.includes(l.layer)) done.push(l);
        }
      } catch {
        // unreadable previous output: start over
      }
    }
    const todo = layers.filter((l) => !done.some((d) => d.layer === l));
    const started = performance.now();
    const write = (complete: boolean): void => {
      const sorted = [...done].sort((a, b) => layers.indexOf(a.layer) - layers.indexOf(b.layer));
      atomicWriteJson(out, {
        format: 'syco-geometry/1', settings, complete, created: new Date().toISOString(), pair_ids: store.pairIds, layers: sorted,
      });
    };
    if (todo.length) {
      projectLayers(store, {
        method: method as (typeof METHODS)[number], hook, layers: todo, of, dims, seed, perplexity, iterations,
        neighbors, pcaDims, threads, progress: !values.quiet,
        onLayer: (p) => {
          const coords: number[][] = [];
          for (let i = 0; i < p.coords.rows; i++) {
            const row: number[] = [];
            for (let a = 0; a < p.coords.cols; a++) row.push(r7(p.coords.data[i * p.coords.cols + a]));
            coords.push(row);
          }
          done.push({ layer: p.layer, hook: p.hook, n: p.coords.rows, info: p.info, coords, labels: Array.from(p.labels), pair: Array.from(p.pair) });
          write(false);
        },
      });
    }
    write(true);
    process.stdout.write(JSON.stringify({
      out, method, hook, of, dims, layers, resumed_layers: layers.length - todo.length,
      points: done[0]?.n ?? 0, seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    }) + '\n');
  },
};
