import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readUtf8File } from '../util/text';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Interaction } from './rubric';

/** A steering results file with what is known about it (layer, multiplier, steered model). */
export interface ResultsFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the results root, with '/' separators (names the outputs). */
  rel: string;
  /** Output file stem derived from rel (sub-folders joined with "__"). */
  stem: string;
  /** The steered model's short name, from the file name or manifest; null when unknown. */
  model: string | null;
  /** Pair count in the file name; null when unknown. */
  pairs: number | null;
  layer: number | null;
  /** |multiplier| applied as +m (answer_plus) and -m (answer_minus); null when unknown. */
  multiplier: number | null;
  items: Interaction[];
}

/** Read and validate a results file: a JSON list of {sentence, answer_plus, answer_minus, answer_control?}. */
export function readResultsFile(path: string): Interaction[] {
  let data: unknown;
  const text = readUtf8File(path);
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`results file ${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data)) throw new Error(`results file ${path}: expected a JSON list of {sentence, answer_plus, answer_minus}, got ${typeof data}`);
  return data.map((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error(`results file ${path}: row ${i} is not an object`);
    const r = row as Record<string, unknown>;
    for (const f of ['sentence', 'answer_plus', 'answer_minus']) {
      if (typeof r[f] !== 'string') throw new Error(`results file ${path}: row ${i} field "${f}" must be a string, got ${r[f] === undefined ? 'nothing' : JSON.stringify(r[f])}`);
    }
    if (r.answer_control !== undefined && r.answer_control !== null && typeof r.answer_control !== 'string') {
      throw new Error(`results file ${path}: row ${i} field "answer_control" must be a string when present`);
    }
    const item: Interaction = { sentence: r.sentence as string, answer_plus: r.answer_plus as string, answer_minus: r.answer_minus as string };
    if (typeof r.answer_control === 'string') item.answer_control = r.answer_control;
    return item;
  });
}

function walkJson(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walkJson(p));
    else if (name.endsWith('.json') && name !== 'manifest.json' && /results/i.test(name) && !/\.scores\.json$|^summary\.json$/.test(name)) out.push(p);
  }
  return out;
}

/** The results files under a path: the file itself, or every *results*.json below a folder (manifest.json and judge outputs *.scores.json excluded), sorted. */
export function findResultsFiles(fileOrDir: string): { root: string; files: string[] } {
  const p = resolve(fileOrDir);
  if (!existsSync(p)) throw new Error(`--results ${fileOrDir}: no such file or folder`);
  if (statSync(p).isFile()) return { root: dirname(p), files: [p] };
  const files = walkJson(p);
  if (!files.length) throw new Error(`--results ${fileOrDir}: no results files (*results*.json) in this folder`);
  return { root: p, files };
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function readManifest(path: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** The nearest manifest.json from the file's folder up to the results root. */
function nearestManifest(file: string, root: string): { dir: string; manifest: Record<string, unknown> } | null {
  let dir = dirname(file);
  for (;;) {
    const m = join(dir, 'manifest.json');
    if (existsSync(m)) {
      const manifest = readManifest(m);
      if (manifest) return { dir, manifest };
    }
    if (resolve(dir) === resolve(root) || dirname(dir) === dir) return null;
    dir = dirname(dir);
  }
}

/** A multiplier written in a name: "_m120", "mult-2.5", "multiplier=8", "x4" segments. */
function multiplierFromName(s: string): number | null {
  const m = /(?:^|[_\-/.])(?:m|mult|multiplier|x)[_=-]?(\d+(?:\.\d+)?)(?=$|[_\-/.])/i.exec(s);
  return m ? Number(m[1]) : null;
}

/** Layer, multiplier and model of a results file, from its manifest entry, its name and its folder (read defensively). */
export function describeResultsFile(path: string, root: string): Omit<ResultsFile, 'items'> {
  const rel = relative(root, path).split(sep).join('/');
  const stem = rel.replace(/\.json$/i, '').split('/').join('__');
  const name = basename(path);
  let model: string | null = null;
  let pairs: number | null = null;
  let layer: number | null = null;
  let multiplier: number | null = null;
  const std = /^AT_sentence_results_(.+)_(\d+)_(\d+)(.*)\.json$/i.exec(name);
  if (std) {
    model = std[1];
    pairs = Number(std[2]);
    layer = Number(std[3]);
    multiplier = multiplierFromName(std[4]);
  } else {
    const l = /(?:_L|_layer[_-]?|_)(\d+)\.json$/i.exec(name);
    if (l) layer = Number(l[1]);
    multiplier = multiplierFromName(name.replace(/\.json$/i, ''));
  }
  if (multiplier === null) {
    const folder = relative(root, dirname(path)).split(sep).join('/');
    if (folder) multiplier = multiplierFromName(folder);
  }
  const found = nearestManifest(path, root);
  if (found) {
    const man = found.manifest;
    const files = Array.isArray(man.files) ? man.files : [];
    const relToManifest = relative(found.dir, path).split(sep).join('/');
    for (const f of files) {
      if (typeof f !== 'object' || f === null) continue;
      const e = f as Record<string, unknown>;
      const fp = [e.file, e.path, e.name].find((x) => typeof x === 'string') as string | undefined;
      if (!fp || (fp !== relToManifest && basename(fp) !== name && !relToManifest.endsWith(fp))) continue;
      layer ??= num(e.layer);
      const m = num(e.multiplier);
      if (m !== null) multiplier ??= Math.abs(m);
      if (model === null && typeof e.model === 'string') model = e.model;
      break;
    }
    if (multiplier === null) {
      const list = Array.isArray(man.multipliers) ? man.multipliers.map(num).filter((x): x is number => x !== null) : [];
      const mags = [...new Set(list.map(Math.abs).filter((x) => x !== 0))];
      if (mags.length === 1) multiplier = mags[0];
      else if (num(man.multiplier) !== null) multiplier = Math.abs(num(man.multiplier)!);
    }
    if (layer === null) {
      const layers = Array.isArray(man.layers) ? man.layers.map(num).filter((x): x is number => x !== null) : [];
      if (layers.length === 1) layer = layers[0];
      else if (num(man.layer) !== null) layer = num(man.layer);
    }
    if (model === null) {
      const m = man.model as unknown;
      if (typeof m === 'string') model = m;
      else if (typeof m === 'object' && m !== null) {
        const o = m as Record<string, unknown>;
        const s = [o.short, o.name, o.id].find((x) => typeof x === 'string');
        if (typeof s === 'string') model = s;
      }
    }
  }
  return { path, rel, stem, model, pairs, layer, multiplier };
}

/** Find, read and describe every results file under a file or folder. */
export function loadResults(fileOrDir: string): ResultsFile[] {
  const { root, files } = findResultsFiles(fileOrDir);
  return files.map((f) => ({ ...describeResultsFile(f, root), items: readResultsFile(f) }));
}
