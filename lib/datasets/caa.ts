import { existsSync } from 'node:fs';
import { answerLetter, parseChoices } from './choices';
import { DatasetError, readDatasetText } from './errors';

/** One CAA A/B item: a question ending in choice lines, and the matching / not-matching letters (e.g. `"(A)"`). */
export interface CaaAbItem {
  question: string;
  answer_matching_behavior: string;
  answer_not_matching_behavior: string;
  /** The matching letter alone, e.g. `A`. */
  matching_letter: string;
  /** The not-matching letter alone. */
  not_matching_letter: string;
}

/** One CAA open-ended item: a free-form question. */
export interface CaaOpenEndedItem {
  question: string;
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Read a JSON file that must hold a non-empty array; errors name the file. */
export function readJsonArray(path: string): unknown[] {
  if (!existsSync(path)) throw new DatasetError({ file: path }, 'no such file');
  let value: unknown;
  const text = readDatasetText(path);
  try {
    value = JSON.parse(text);
  } catch {
    throw new DatasetError({ file: path }, 'not valid JSON');
  }
  if (!Array.isArray(value)) throw new DatasetError({ file: path }, `expected a JSON array of items, found ${kind(value)}`);
  if (value.length === 0) throw new DatasetError({ file: path }, 'no items');
  return value;
}

function itemString(o: Record<string, unknown>, field: string, file: string, item: number): string {
  if (!(field in o)) throw new DatasetError({ file, item }, `missing field "${field}"`);
  if (typeof o[field] !== 'string') throw new DatasetError({ file, item }, `field "${field}" must be a string, found ${kind(o[field])}`);
  if (!(o[field] as string).trim()) throw new DatasetError({ file, item }, `field "${field}" is empty`);
  return o[field] as string;
}

/**
 * Load a CAA A/B file (`generate_dataset.json`, `test_dataset_ab.json`): a JSON array of
 * {question, answer_matching_behavior, answer_not_matching_behavior}. Each answer must name a choice line of its
 * question; errors name the file and the 0-based item.
 */
export function loadCaaAB(path: string): CaaAbItem[] {
  return readJsonArray(path).map((v, item) => {
    if (kind(v) !== 'object') throw new DatasetError({ file: path, item }, `expected a JSON object, found ${kind(v)}`);
    const o = v as Record<string, unknown>;
    const question = itemString(o, 'question', path, item);
    const letters = parseChoices(question).map((c) => c.letter);
    const letterOf = (field: string): [string, string] => {
      const a = itemString(o, field, path, item);
      const l = answerLetter(a);
      if (l === null) throw new DatasetError({ file: path, item }, `field "${field}" must be an answer letter like "(A)", found ${JSON.stringify(a)}`);
      if (!letters.includes(l)) {
        throw new DatasetError({ file: path, item }, `${field} ${JSON.stringify(a)} names no choice line (choices: ${letters.length ? letters.map((x) => `(${x})`).join(', ') : 'none'})`);
      }
      return [a, l];
    };
    const [m, ml] = letterOf('answer_matching_behavior');
    const [n, nl] = letterOf('answer_not_matching_behavior');
    if (ml === nl) throw new DatasetError({ file: path, item }, `answer_matching_behavior and answer_not_matching_behavior both name (${ml})`);
    return { question, answer_matching_behavior: m, answer_not_matching_behavior: n, matching_letter: ml, not_matching_letter: nl };
  });
}

/** Load CAA's open-ended test file: a JSON array of {question}. */
export function loadCaaOpenEnded(path: string): CaaOpenEndedItem[] {
  return readJsonArray(path).map((v, item) => {
    if (kind(v) !== 'object') throw new DatasetError({ file: path, item }, `expected a JSON object, found ${kind(v)}`);
    return { question: itemString(v as Record<string, unknown>, 'question', path, item) };
  });
}
