/** One answer choice found in a question: the line `" (A) text"` gives letter `A` and text `text`. */
export interface Choice {
  letter: string;
  text: string;
  /** 0-based index of the line within the question. */
  lineIndex: number;
}

const CHOICE_LINE = /^\s*\(([A-Z])\)(?:\s+(.*))?$/;
const ANSWER = /^\s*\(([A-Z])\)\s*$/;

/** The choice lines of a question (lines that start with `(X)`), first occurrence of each letter kept. */
export function parseChoices(question: string): Choice[] {
  const out: Choice[] = [];
  const seen = new Set<string>();
  question.split('\n').forEach((raw, lineIndex) => {
    const m = CHOICE_LINE.exec(raw.replace(/\r$/, ''));
    if (!m || seen.has(m[1])) return;
    seen.add(m[1]);
    out.push({ letter: m[1], text: (m[2] ?? '').trim(), lineIndex });
  });
  return out;
}

/** The letter of an answer such as `" (A)"` or `"(B)"`, or null when it is not of that form. */
export function answerLetter(answer: string): string | null {
  const m = ANSWER.exec(answer);
  return m ? m[1] : null;
}

/**
 * The question without its choices: the lines before the first choice line, minus a trailing `Choices:` header and
 * any `Answer:` line, with surrounding whitespace trimmed.
 */
export function questionStem(question: string): string {
  const lines = question.split('\n').map((l) => l.replace(/\r$/, ''));
  const first = lines.findIndex((l) => CHOICE_LINE.test(l));
  let kept = (first >= 0 ? lines.slice(0, first) : lines).filter((l) => !l.trim().startsWith('Answer:'));
  while (kept.length && kept[kept.length - 1].trim() === '') kept = kept.slice(0, -1);
  if (kept.length && kept[kept.length - 1].trim() === 'Choices:') kept = kept.slice(0, -1);
  return kept.join('\n').trim();
}

/** Number of whitespace-separated words in a text. */
export function wordCount(text: string): number {
  const t = text.trim();
  return t ? t.split(/\s+/).length : 0;
}
