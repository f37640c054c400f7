import { existsSync } from 'node:fs';
import { atomicWriteFile } from '../util/fs';
import { toCsv } from './csv';
import { DatasetError, readDatasetText } from './errors';
import type { Pair } from './types';

/** Column order of pair exports: the required fields first, then the optional ones. */
export const PAIR_COLUMNS = [
  'id',
  'subset',
  'format',
  'source_row',
  'user_affiliation',
  'sycophantic',
  'non_sycophantic',
  'question',
  'sycophantic_answer',
  'non_sycophantic_answer',
] as const;

function ordered(p: Pair): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of PAIR_COLUMNS) if ((p as unknown as Record<string, unknown>)[c] !== undefined) o[c] = (p as unknown as Record<string, unknown>)[c];
  for (const [k, v] of Object.entries(p)) if (!(k in o) && v !== undefined) o[k] = v;
  return o;
}

/** Pairs as JSONL text: one JSON object per line (keys in PAIR_COLUMNS order), LF-terminated. */
export function pairsToJsonl(pairs: Pair[]): string {
  return pairs.map((p) => JSON.stringify(ordered(p)) + '\n').join('');
}

/** Write pairs atomically as JSONL, one pair per line. */
export function writePairsJsonl(path: string, pairs: Pair[]): void {
  atomicWriteFile(path, pairsToJsonl(pairs));
}

/** Write pairs atomically as RFC-4180 CSV with the PAIR_COLUMNS header. */
export function writePairsCsv(path: string, pairs: Pair[]): void {
  atomicWriteFile(path, toCsv(pairs as unknown as Array<Record<string, unknown>>, [...PAIR_COLUMNS]));
}

const REQUIRED_STRINGS = ['id', 'subset', 'sycophantic', 'non_sycophantic'] as const;
const OPTIONAL_STRINGS = ['user_affiliation', 'question', 'sycophantic_answer', 'non_sycophantic_answer'] as const;

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Validate one parsed JSONL value as a Pair; throws a DatasetError naming file and line. */
export function validatePair(value: unknown, file: string, line: number): Pair {
  if (kind(value) !== 'object') throw new DatasetError({ file, line }, `expected a JSON object, found ${kind(value)}`);
  const o = value as Record<string, unknown>;
  for (const f of REQUIRED_STRINGS) {
    if (!(f in o)) throw new DatasetError({ file, line }, `missing field "${f}"`);
    if (typeof o[f] !== 'string') throw new DatasetError({ file, line }, `field "${f}" must be a string, found ${kind(o[f])}`);
  }
  if (!(o.id as string)) throw new DatasetError({ file, line }, 'field "id" is empty');
  if (!('format' in o)) throw new DatasetError({ file, line }, 'missing field "format"');
  if (o.format !== 'ab' && o.format !== 'sentence') {
    throw new DatasetError({ file, line }, `field "format" must be "ab" or "sentence", found ${JSON.stringify(o.format)}`);
  }
  if (!('source_row' in o)) throw new DatasetError({ file, line }, 'missing field "source_row"');
  if (typeof o.source_row !== 'number' || !Number.isInteger(o.source_row) || o.source_row < 0) {
    throw new DatasetError({ file, line }, `field "source_row" must be a non-negative integer, found ${JSON.stringify(o.source_row)}`);
  }
  for (const f of OPTIONAL_STRINGS) {
    if (o[f] !== undefined && typeof o[f] !== 'string') {
      throw new DatasetError({ file, line }, `field "${f}" must be a string, found ${kind(o[f])}`);
    }
  }
  return o as unknown as Pair;
}

/** Parse JSONL pair text (blank lines ignored); each line is validated and ids must be unique. */
export function parsePairsJsonl(text: string, file: string): Pair[] {
  const out: Pair[] = [];
  const ids = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (!raw.trim()) continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(i === 0 ? raw.replace(/^\ufeff/, '') : raw);
    } catch {
      throw new DatasetError({ file, line }, `not valid JSON: ${JSON.stringify(raw.length > 40 ? raw.slice(0, 40) + '…' : raw)}`);
    }
    const p = validatePair(value, file, line);
    const prev = ids.get(p.id);
    if (prev !== undefined) throw new DatasetError({ file, line }, `duplicate id "${p.id}" (first on line ${prev})`);
    ids.set(p.id, line);
    out.push(p);
  }
  return out;
}

/** Read a pairs JSONL file written by writePairsJsonl (or `syco data`), validating every line. */
export function readPairsJsonl(path: string): Pair[] {
  if (!existsSync(path)) throw new DatasetError({ file: path }, 'no such file');
  return parsePairsJsonl(readDatasetText(path), path);
}
