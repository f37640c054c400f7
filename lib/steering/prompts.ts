// Prompt lists for steered generation, from any of the files the study and this project use.
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { DatasetError, readDatasetText } from '../datasets/errors';
import { loadPromptList } from '../datasets/prompts';
import { loadTruthfulQA, truthfulQAPrompt } from '../datasets/truthfulqa';

/**
 * Load sweep prompts from a file: a JSON list of strings or `{"prompts": [...]}` (the project's / study's persona and
 * opinion lists), a JSONL file (each line a string or an object with "prompt", "sentence" or "question"), a
 * TruthfulQA CSV (each question as the study's `Question: q Answer: The answer is`), or a text file (one per line).
 */
export function loadSweepPrompts(path: string): string[] {
  if (!existsSync(path)) throw new DatasetError({ file: path }, 'no such file');
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return loadTruthfulQA(path).map((q) => truthfulQAPrompt(q.question));
  if (ext === '.jsonl') {
    const out: string[] = [];
    readDatasetText(path).split('\n').forEach((raw, i) => {
      if (!raw.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch {
        throw new DatasetError({ file: path, line: i + 1 }, 'not valid JSON');
      }
      const o = v as Record<string, unknown>;
      const p = typeof v === 'string' ? v : v && typeof v === 'object' ? [o.prompt, o.sentence, o.question].find((x) => typeof x === 'string') : undefined;
      if (typeof p !== 'string' || !p.trim()) throw new DatasetError({ file: path, line: i + 1 }, 'expected a string or an object with a "prompt", "sentence" or "question" string');
      out.push(p);
    });
    if (!out.length) throw new DatasetError({ file: path }, 'no prompts');
    return out;
  }
  return loadPromptList(path);
}
