import { Rng } from '../util/rng';
import { answerLetter, parseChoices, questionStem, wordCount } from './choices';
import type { Pair, PairFormat, SycophancyRow } from './types';
import { pairGroups, type GroupablePair } from './dedupe';

/** The sentence joining question and response in the `sentence` format (DESIGN §1). */
export const SENTENCE_BRIDGE = ' Given this information as an AI agent I would select: ';

/** Prefix of every pair text in both formats. */
export const QUESTION_PREFIX = 'Question: ';

/** Pairs built from rows, with what the sentence format's one-word filter dropped. */
export interface BuiltPairs {
  pairs: Pair[];
  /** Pairs dropped because a response had one word or fewer (sentence format only). */
  dropped: number;
  droppedBySubset: Record<string, number>;
  /** Pairs kept, per subset. */
  bySubset: Record<string, number>;
}

function choiceText(row: SycophancyRow, answer: string): string {
  const letter = answerLetter(answer);
  const choice = parseChoices(row.question).find((c) => c.letter === letter);
  if (!choice) throw new Error(`${row.file}:${row.source_row + 1}: answer ${JSON.stringify(answer)} names no choice line`);
  return choice.text;
}

/**
 * Build contrastive pairs from validated rows, with drop counts.
 * - `ab`: `"Question: " + question + answer` (the file's answer string, e.g. `" (A)"`).
 * - `sentence`: `"Question: " + stem + SENTENCE_BRIDGE + response`, where stem is the question without choices and
 *   `Answer:`, and response the chosen choice line's text; pairs where either response has ≤ 1 word are dropped.
 * A row with several non-matching answers (philpapers2020) gives one pair per non-matching answer.
 */
export function buildPairsWithStats(rows: SycophancyRow[], format: PairFormat): BuiltPairs {
  if (format !== 'ab' && format !== 'sentence') throw new Error(`unknown pair format "${String(format)}" (expected ab or sentence)`);
  const out: BuiltPairs = { pairs: [], dropped: 0, droppedBySubset: {}, bySubset: {} };
  for (const row of rows) {
    const many = row.answer_not_matching_behavior.length > 1;
    const stem = format === 'sentence' ? questionStem(row.question) : row.question;
    const sycAnswer = format === 'sentence' ? choiceText(row, row.answer_matching_behavior) : row.answer_matching_behavior;
    row.answer_not_matching_behavior.forEach((notMatching, k) => {
      const nonAnswer = format === 'sentence' ? choiceText(row, notMatching) : notMatching;
      if (format === 'sentence' && (wordCount(sycAnswer) <= 1 || wordCount(nonAnswer) <= 1)) {
        out.dropped++;
        out.droppedBySubset[row.subset] = (out.droppedBySubset[row.subset] ?? 0) + 1;
        return;
      }
      const text = (answer: string) =>
        format === 'sentence' ? QUESTION_PREFIX + stem + SENTENCE_BRIDGE + answer : QUESTION_PREFIX + stem + answer;
      const pair: Pair = {
        id: many ? `${row.subset}:${row.source_row}:${k}` : `${row.subset}:${row.source_row}`,
        subset: row.subset,
        format,
        sycophantic: text(sycAnswer),
        non_sycophantic: text(nonAnswer),
        source_row: row.source_row,
      };
      if (row.user_affiliation !== undefined) pair.user_affiliation = row.user_affiliation;
      pair.question = stem;
      pair.sycophantic_answer = sycAnswer;
      pair.non_sycophantic_answer = nonAnswer;
      out.pairs.push(pair);
      out.bySubset[row.subset] = (out.bySubset[row.subset] ?? 0) + 1;
    });
  }
  return out;
}

/** Build contrastive pairs from validated rows in the `ab` or `sentence` format (see buildPairsWithStats). */
export function buildPairs(rows: SycophancyRow[], format: PairFormat): Pair[] {
  return buildPairsWithStats(rows, format).pairs;
}

/** A seeded sample of n pairs without replacement, kept in input order (all pairs when n ≥ their count). */
export function samplePairs<T>(pairs: T[], n: number, seed: number): T[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`samplePairs: n must be a non-negative integer, got ${n}`);
  if (n >= pairs.length) return pairs.slice();
  const idx = new Rng(seed).permutation(pairs.length).slice(0, n).sort((a, b) => a - b);
  return idx.map((i) => pairs[i]);
}

/** The key that keeps pairs together in a split: pairs built from one source row share it. */
export function pairGroupKey(p: Pick<Pair, 'subset' | 'source_row'>): string {
  return `${p.subset}:${p.source_row}`;
}

/**
 * Seeded train/test split by pair: a pair, every pair built from the same source row and every pair sharing an
 * identical text land wholly in one side (see pairGroups). round(testFrac × groups) groups go to test; both sides
 * keep input order.
 */
export function splitPairs<T extends Pick<Pair, 'subset' | 'source_row'> & GroupablePair>(pairs: T[], testFrac: number, seed: number): { train: T[]; test: T[] } {
  if (!(testFrac >= 0 && testFrac <= 1)) throw new Error(`splitPairs: testFrac must be in [0, 1], got ${testFrac}`);
  const groups = pairGroups(pairs);
  const keys = [...new Set(groups)];
  const order = new Rng(seed).permutation(keys.length);
  const nTest = Math.round(testFrac * keys.length);
  const testKeys = new Set(order.slice(0, nTest).map((i) => keys[i]));
  const train: T[] = [];
  const test: T[] = [];
  pairs.forEach((p, i) => (testKeys.has(groups[i]) ? test : train).push(p));
  return { train, test };
}

/** One text of a pair with its label (1 = sycophantic, 0 = non-sycophantic). */
export interface LabeledText {
  pair_id: string;
  text: string;
  label: 0 | 1;
}

/** Flatten pairs into texts: for each pair its sycophantic text (label 1), then its non-sycophantic text (label 0). */
export function pairTexts(pairs: Pair[]): LabeledText[] {
  const out: LabeledText[] = [];
  for (const p of pairs) {
    out.push({ pair_id: p.id, text: p.sycophantic, label: 1 });
    out.push({ pair_id: p.id, text: p.non_sycophantic, label: 0 });
  }
  return out;
}
