import { existsSync } from 'node:fs';
import { readCsvObjects } from './csv';
import { DatasetError } from './errors';

/** One TruthfulQA question (both the 817-row v1 CSV and the 790-row 2025 CSV). */
export interface TruthfulQAItem {
  type: string;
  category: string;
  question: string;
  best_answer: string;
  /** Only in the 2025 (790-row) version. */
  best_incorrect_answer?: string;
  correct_answers: string[];
  incorrect_answers: string[];
  source: string;
  /** 1-based line of the record in the CSV. */
  line: number;
}

/** Columns every TruthfulQA CSV has. */
export const TRUTHFULQA_COLUMNS = ['Type', 'Category', 'Question', 'Best Answer', 'Correct Answers', 'Incorrect Answers', 'Source'];

/** Split a TruthfulQA answer list cell (`a; b; c`) into trimmed non-empty answers. */
export function splitAnswers(cell: string): string[] {
  return cell.split(';').map((s) => s.trim()).filter(Boolean);
}

/** Load a TruthfulQA CSV (RFC-4180 quoting, BOM-safe); errors name the file and line. */
export function loadTruthfulQA(path: string): TruthfulQAItem[] {
  if (!existsSync(path)) throw new DatasetError({ file: path }, 'no such file');
  const { header, rows } = readCsvObjects(path, TRUTHFULQA_COLUMNS);
  const hasBestIncorrect = header.includes('Best Incorrect Answer');
  return rows.map(({ line, values }) => {
    if (!values.Question.trim()) throw new DatasetError({ file: path, line }, 'empty "Question"');
    const item: TruthfulQAItem = {
      type: values.Type,
      category: values.Category,
      question: values.Question,
      best_answer: values['Best Answer'],
      correct_answers: splitAnswers(values['Correct Answers']),
      incorrect_answers: splitAnswers(values['Incorrect Answers']),
      source: values.Source,
      line,
    };
    if (hasBestIncorrect) item.best_incorrect_answer = values['Best Incorrect Answer'];
    return item;
  });
}

/** The study's TruthfulQA generation prompt: `Question: <q> Answer: The answer is`. */
export function truthfulQAPrompt(question: string): string {
  return `Question: ${question} Answer: The answer is`;
}
