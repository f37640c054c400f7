import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { atomicWriteFile, atomicWriteJson, projectRoot, sha256 } from '../util/fs';
import { Progress } from '../util/progress';
import { answerLetter, parseChoices } from './choices';
import { DatasetError, readDatasetText } from './errors';
import { dropDuplicateQuestions, type DuplicateRow } from './dedupe';
import { SUBSETS, type SycophancyRow } from './types';

/** Upstream folder of the Anthropic sycophancy JSONL files (DESIGN §1). */
export const UPSTREAM_URL = 'https://huggingface.co/datasets/Anthropic/model-written-evals/raw/main/sycophancy';

/** File name of a subset: `sycophancy_on_<subset>.jsonl`. */
export function subsetFileName(subset: string): string {
  return `sycophancy_on_${subset}.jsonl`;
}

/** Subset name of a file named `sycophancy_on_<subset>.jsonl` (else the file's base name without `.jsonl`). */
export function subsetFromFileName(path: string): string {
  const name = basename(path).replace(/\.jsonl$/, '');
  return name.startsWith('sycophancy_on_') ? name.slice('sycophancy_on_'.length) : name;
}

/** Options for parsing one sycophancy JSONL text. */
export interface ParseOptions {
  /** Skip malformed rows (each is recorded in `problems`) instead of throwing on the first. */
  skipBad?: boolean;
}

/** Result of parsing one file: the valid rows and the problems of the skipped rows. */
export interface ParsedFile {
  rows: SycophancyRow[];
  problems: DatasetError[];
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function requireString(obj: Record<string, unknown>, field: string, file: string, line: number): string {
  if (!(field in obj)) throw new DatasetError({ file, line }, `missing field "${field}"`);
  const v = obj[field];
  if (typeof v !== 'string') throw new DatasetError({ file, line }, `field "${field}" must be a string, found ${kind(v)}`);
  return v;
}

function checkLetter(field: string, answer: string, letters: string[], file: string, line: number): string {
  const letter = answerLetter(answer);
  if (letter === null) {
    throw new DatasetError({ file, line }, `field "${field}" must be an answer letter like " (A)", found ${JSON.stringify(answer)}`);
  }
  if (!letters.includes(letter)) {
    const have = letters.length ? letters.map((l) => `(${l})`).join(', ') : 'none';
    throw new DatasetError({ file, line }, `${field} ${JSON.stringify(answer)} names no choice line (choices: ${have})`);
  }
  return letter;
}

/** Validate one parsed JSON value as a sycophancy row; throws a DatasetError naming file and line. */
export function validateRow(value: unknown, subset: string, file: string, line: number): SycophancyRow {
  if (kind(value) !== 'object') throw new DatasetError({ file, line }, `expected a JSON object, found ${kind(value)}`);
  const obj = value as Record<string, unknown>;
  const question = requireString(obj, 'question', file, line);
  if (!question.trim()) throw new DatasetError({ file, line }, 'field "question" is empty');
  const matching = requireString(obj, 'answer_matching_behavior', file, line);
  if (!('answer_not_matching_behavior' in obj)) throw new DatasetError({ file, line }, 'missing field "answer_not_matching_behavior"');
  const rawNot = obj.answer_not_matching_behavior;
  let notMatching: string[];
  if (typeof rawNot === 'string') notMatching = [rawNot];
  else if (Array.isArray(rawNot)) {
    if (rawNot.length === 0) throw new DatasetError({ file, line }, 'field "answer_not_matching_behavior" is an empty list');
    rawNot.forEach((a, k) => {
      if (typeof a !== 'string') {
        throw new DatasetError({ file, line }, `field "answer_not_matching_behavior"[${k}] must be a string, found ${kind(a)}`);
      }
    });
    notMatching = rawNot as string[];
  } else {
    throw new DatasetError({ file, line }, `field "answer_not_matching_behavior" must be a string or a list of strings, found ${kind(rawNot)}`);
  }
  const letters = parseChoices(question).map((c) => c.letter);
  if (letters.length === 0) throw new DatasetError({ file, line }, 'question has no choice lines like " (A) ..."');
  const m = checkLetter('answer_matching_behavior', matching, letters, file, line);
  for (const a of notMatching) {
    const n = checkLetter('answer_not_matching_behavior', a, letters, file, line);
    if (n === m) {
      throw new DatasetError({ file, line }, `answer_matching_behavior and answer_not_matching_behavior both name (${m})`);
    }
  }
  const row: SycophancyRow = {
    subset,
    source_row: line - 1,
    file,
    question,
    answer_matching_behavior: matching,
    answer_not_matching_behavior: notMatching,
  };
  if ('user_affiliation' in obj && obj.user_affiliation !== undefined) {
    if (typeof obj.user_affiliation !== 'string') {
      throw new DatasetError({ file, line }, `field "user_affiliation" must be a string, found ${kind(obj.user_affiliation)}`);
    }
    row.user_affiliation = obj.user_affiliation;
  }
  return row;
}

/**
 * Parse the text of a sycophancy JSONL file. Blank lines are ignored; every other line must be a valid row.
 * Without `skipBad` the first bad row throws a DatasetError (`file:line: reason`); with it, bad rows are
 * skipped and returned in `problems`.
 */
export function parseSycophancyJsonl(text: string, subset: string, file: string, opts: ParseOptions = {}): ParsedFile {
  const rows: SycophancyRow[] = [];
  const problems: DatasetError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (!raw.trim()) continue;
    const line = i + 1;
    try {
      let value: unknown;
      try {
        value = JSON.parse(i === 0 ? raw.replace(/^\ufeff/, '') : raw);
      } catch {
        throw new DatasetError({ file, line }, `not valid JSON: ${JSON.stringify(raw.length > 40 ? raw.slice(0, 40) + '…' : raw)}`);
      }
      rows.push(validateRow(value, subset, file, line));
    } catch (err) {
      if (!(err instanceof DatasetError) || !opts.skipBad) throw err;
      problems.push(err);
    }
  }
  return { rows, problems };
}

/** Read and validate one local sycophancy JSONL file (subset inferred from its name unless given). */
export function readSycophancyFile(path: string, opts: ParseOptions & { subset?: string } = {}): ParsedFile {
  if (!existsSync(path)) throw new DatasetError({ file: path }, 'no such file');
  return parseSycophancyJsonl(readDatasetText(path), opts.subset ?? subsetFromFileName(path), path, opts);
}

/** Options of loadAnthropicSycophancy. */
export interface LoadSycophancyOptions extends ParseOptions {
  /**
   * A local folder holding `sycophancy_on_<subset>.jsonl` files, one such local file, an http(s) URL of a folder or
   * of one file, or `"upstream"` for UPSTREAM_URL.
   */
  source: string;
  /** Subsets to load. Default: for a URL all three; for a folder, those whose files are present. */
  subsets?: string[];
  /** Download cache (default `<project>/data/cache/anthropic-sycophancy`); a cached file is re-used offline. */
  cacheDir?: string;
  /** The fetch to use for downloads (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Silence download progress. */
  quiet?: boolean;
}

/** Per-file record of where a subset came from. */
export interface LoadedFile {
  subset: string;
  /** The local file parsed (the cache file for a download). */
  path: string;
  /** The URL it came from, for a download. */
  url?: string;
  /** True when this call downloaded it (false when read locally or from the cache). */
  downloaded: boolean;
  rows: number;
  skipped: number;
}

/** Result of loadAnthropicSycophancy: valid rows of every subset, with skipped-row counts and problems. */
export interface LoadSycophancyResult {
  rows: SycophancyRow[];
  /** Total rows skipped as malformed (only with skipBad). */
  skipped: number;
  /** Rows read and skipped, per subset. */
  bySubset: Record<string, { rows: number; skipped: number }>;
  /** One DatasetError per skipped row, in file order. */
  problems: DatasetError[];
  files: LoadedFile[];
  /** Notes worth showing a user (e.g. a known upstream duplicate-file problem). */
  warnings: string[];
  /** Rows dropped because their question exactly repeats an earlier row's (not in `rows`, not in bySubset.rows). */
  duplicates: DuplicateRow[];
}

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

function checkSubsetName(subset: string): void {
  if (!(SUBSETS as readonly string[]).includes(subset)) {
    throw new Error(`unknown subset "${subset}" (known: ${SUBSETS.join(', ')})`);
  }
}

/** Default download cache folder for the Anthropic files. */
export function defaultCacheDir(): string {
  return join(projectRoot(), 'data', 'cache', 'anthropic-sycophancy');
}

/** Cache path of a downloaded URL: `<cacheDir>/<sha256(url)[0:16]>/<file name>`. */
export function cachePathFor(url: string, cacheDir: string = defaultCacheDir()): string {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'download');
  return join(cacheDir, sha256(url).slice(0, 16), name);
}

/**
 * Download a URL into the cache atomically, unless it is already there (then no network is used). Returns the cache
 * path and whether it was downloaded now.
 */
export async function fetchToCache(
  url: string,
  opts: { cacheDir?: string; fetch?: typeof fetch; quiet?: boolean } = {},
): Promise<{ path: string; downloaded: boolean }> {
  const path = cachePathFor(url, opts.cacheDir ?? defaultCacheDir());
  if (existsSync(path) && statSync(path).isFile()) return { path, downloaded: false };
  const doFetch = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(url);
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new Error(`download failed for ${url}: ${cause} (offline? put the files in a folder and pass it as the source)`);
  }
  if (!res.ok) throw new Error(`download failed for ${url}: HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const progress = new Progress({ label: `download ${basename(path)} (KiB)`, total: Math.ceil(total / 1024), quiet: opts.quiet || !total });
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      const before = Math.floor(size / 1024);
      size += value.length;
      progress.tick(Math.floor(size / 1024) - before);
    }
  }
  progress.finish();
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  if (total && size !== total) throw new Error(`download failed for ${url}: got ${size} bytes, expected ${total}`);
  atomicWriteFile(path, bytes);
  atomicWriteJson(`${path}.source.json`, { url, bytes: size, sha256: sha256(bytes), downloaded_at: new Date().toISOString() });
  return { path, downloaded: true };
}

/**
 * Load and validate Anthropic sycophancy rows from a local folder/file or a URL (downloaded once into the cache,
 * re-used offline afterwards). Bad rows throw `file:line: reason`, or are skipped and counted with `skipBad`.
 */
export async function loadAnthropicSycophancy(opts: LoadSycophancyOptions): Promise<LoadSycophancyResult> {
  const source = opts.source === 'upstream' ? UPSTREAM_URL : opts.source;
  if (!source) throw new Error('loadAnthropicSycophancy: source is required (a folder, a .jsonl file, a URL or "upstream")');
  const targets: Array<{ subset: string; local?: string; url?: string }> = [];
  if (isUrl(source)) {
    if (/\.jsonl$/i.test(new URL(source).pathname)) {
      const subset = subsetFromFileName(new URL(source).pathname);
      if (opts.subsets && !opts.subsets.includes(subset)) throw new Error(`source ${source} holds subset "${subset}", not ${opts.subsets.join(', ')}`);
      targets.push({ subset, url: source });
    } else {
      const base = source.replace(/\/+$/, '');
      for (const s of opts.subsets ?? SUBSETS) {
        checkSubsetName(s);
        targets.push({ subset: s, url: `${base}/${subsetFileName(s)}` });
      }
    }
  } else {
    const abs = resolve(source);
    if (!existsSync(abs)) throw new DatasetError({ file: source }, 'no such file or folder');
    if (statSync(abs).isFile()) {
      const subset = subsetFromFileName(abs);
      if (opts.subsets && !opts.subsets.includes(subset)) throw new Error(`source ${source} holds subset "${subset}", not ${opts.subsets.join(', ')}`);
      targets.push({ subset, local: source });
    } else if (opts.subsets) {
      for (const s of opts.subsets) {
        checkSubsetName(s);
        const p = join(source, subsetFileName(s));
        if (!existsSync(p)) {
          throw new DatasetError({ file: p }, `no such file (subset "${s}"; download it with --source upstream, or place it in ${source})`);
        }
        targets.push({ subset: s, local: p });
      }
    } else {
      for (const s of SUBSETS) {
        const p = join(source, subsetFileName(s));
        if (existsSync(p)) targets.push({ subset: s, local: p });
      }
      if (!targets.length) {
        throw new DatasetError({ file: source }, `holds none of ${SUBSETS.map(subsetFileName).join(', ')}`);
      }
    }
  }

  const result: LoadSycophancyResult = { rows: [], skipped: 0, bySubset: {}, problems: [], files: [], warnings: [], duplicates: [] };
  const digests = new Map<string, string>();
  for (const t of targets) {
    let path = t.local as string;
    let downloaded = false;
    if (t.url) {
      const got = await fetchToCache(t.url, { cacheDir: opts.cacheDir, fetch: opts.fetch, quiet: opts.quiet });
      path = got.path;
      downloaded = got.downloaded;
    }
    const text = readDatasetText(path);
    digests.set(t.subset, sha256(text));
    const parsed = parseSycophancyJsonl(text, t.subset, path, { skipBad: opts.skipBad });
    if (parsed.rows.length === 0 && parsed.problems.length === 0) throw new DatasetError({ file: path }, 'no rows');
    result.rows.push(...parsed.rows);
    result.problems.push(...parsed.problems);
    result.skipped += parsed.problems.length;
    const prev = result.bySubset[t.subset] ?? { rows: 0, skipped: 0 };
    result.bySubset[t.subset] = { rows: prev.rows + parsed.rows.length, skipped: prev.skipped + parsed.problems.length };
    result.files.push({ subset: t.subset, path, url: t.url, downloaded, rows: parsed.rows.length, skipped: parsed.problems.length });
  }
  const deduped = dropDuplicateQuestions(result.rows);
  result.rows = deduped.rows;
  result.duplicates = deduped.duplicates;
  for (const d of deduped.duplicates) {
    result.bySubset[d.subset].rows--;
    const f = result.files.find((x) => x.path === d.file);
    if (f) f.rows--;
  }
  const nlp = digests.get('nlp_survey');
  if (nlp && digests.get('philpapers2020') === nlp) {
    result.warnings.push(
      'philpapers2020 is byte-identical to nlp_survey: this is a known bad upstream copy (fixed in anthropics/evals 1e60395); the correct file has git blob 5525210614d4f26b1732042e7dcb7210d23fe5aa',
    );
  }
  return result;
}
