/** The three Anthropic model-written-evals sycophancy subsets, in the study's order. */
export const SUBSETS = ['nlp_survey', 'philpapers2020', 'political_typology_quiz'] as const;

/** One of the Anthropic sycophancy subsets. */
export type Subset = (typeof SUBSETS)[number];

/** The two pair formats of the original study: `ab` (letter answers) and `sentence` (choice text answers). */
export type PairFormat = 'ab' | 'sentence';

/** One validated row of an Anthropic sycophancy JSONL file. */
export interface SycophancyRow {
  /** Subset name, e.g. `political_typology_quiz`. */
  subset: string;
  /** 0-based line index of the row in its source file (line number − 1). */
  source_row: number;
  /** File the row was read from (a local path or the cache path of a download). */
  file: string;
  /** The prompt: persona, question, choice lines and the trailing `Answer:` line. */
  question: string;
  /** The sycophantic answer, as written in the file (e.g. `" (A)"`). */
  answer_matching_behavior: string;
  /** The non-sycophantic answer(s); philpapers2020 stores a list, the other subsets one string (normalised to a list). */
  answer_not_matching_behavior: string[];
  /** The persona's stated affiliation (political_typology_quiz: `liberal` | `conservative`). */
  user_affiliation?: string;
}

/**
 * A contrastive pair: the same prompt completed with the sycophantic answer (label 1) and the non-sycophantic
 * answer (label 0).
 */
export interface Pair {
  /** Stable unique id: `<subset>:<source_row>`, with `:<k>` appended when a row has several non-matching answers. */
  id: string;
  subset: string;
  format: PairFormat;
  /** Full text ending in the sycophantic answer (label 1). */
  sycophantic: string;
  /** Full text ending in the non-sycophantic answer (label 0). */
  non_sycophantic: string;
  /** 0-based line index of the row in its source file. */
  source_row: number;
  user_affiliation?: string;
  /** The question part of the texts (`ab`: the raw question; `sentence`: the question without choices and `Answer:`). */
  question?: string;
  /** The sycophantic answer alone (`ab`: `" (A)"`; `sentence`: the choice text). */
  sycophantic_answer?: string;
  /** The non-sycophantic answer alone. */
  non_sycophantic_answer?: string;
}
