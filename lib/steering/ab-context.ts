// A/B prompts must fit the model's context: refuse the items that do not (naming each and its length), or cut them
// to maxTokens when asked (the first token and the end of the prompt, where the question and "Answer: (" are).
import { ContextLengthError, fitContext, overContextError } from '../model/context';
import type { PreparedAbItem } from './ab';

/** Fit every prepared A/B prompt to the context (or to maxTokens); returns the items and how many were cut. */
export function fitAbPrompts(prepared: PreparedAbItem[], limit: number | undefined, maxTokens?: number): { items: PreparedAbItem[]; truncated: number } {
  const over: string[] = [];
  let truncated = 0;
  const items = prepared.map((it, i) => {
    try {
      const { ids, dropped } = fitContext(it.promptIds, i, limit, maxTokens);
      if (!dropped) return it;
      truncated++;
      return { ...it, promptIds: ids, answerStart: Math.max(1, it.answerStart - dropped) };
    } catch (err) {
      if (!(err instanceof ContextLengthError)) throw err;
      over.push(`item ${i} "${it.id}": ${it.promptIds.length} tokens`);
      return it;
    }
  });
  if (over.length) throw overContextError('A/B evaluation', 'prompt(s)', over, limit, 'Use shorter items');
  return { items, truncated };
}
