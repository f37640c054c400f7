// Before any forward pass: every text of every pair must fit the model's context, or be truncated on request.
import type { ModelText } from '../model/text';
import type { PairTexts } from './extract';

/** What fitting the pairs to the context found: texts that will be truncated and the longest text (tokens). */
export interface ContextCheck {
  /** Positions of the model (undefined: its config does not say, nothing checked). */
  limit: number | undefined;
  /** Texts longer than maxTokens (cut to it by the forward pass). */
  truncated: number;
  /** Tokens of the longest text before truncation. */
  longest: number;
}

/**
 * Tokenize both texts of every pair and refuse, naming the pairs and their lengths, any longer than the model's
 * context — unless `maxTokens` is given, in which case they are counted (the forward pass cuts them).
 */
export function checkPairsContext(model: Pick<ModelText, 'encode' | 'maxPositions'>, pairs: PairTexts[], source: string, maxTokens?: number): ContextCheck {
  const limit = model.maxPositions;
  if (limit === undefined && maxTokens === undefined) return { limit, truncated: 0, longest: 0 };
  const cap = maxTokens === undefined ? limit! : Math.min(maxTokens, limit ?? maxTokens);
  const over: string[] = [];
  let truncated = 0, longest = 0;
  pairs.forEach((p, i) => {
    for (const side of ['sycophantic', 'non_sycophantic'] as const) {
      const n = model.encode(p[side]).length;
      longest = Math.max(longest, n);
      if (n <= cap) continue;
      if (maxTokens !== undefined) truncated++;
      else over.push(`pair ${i} "${p.id}" (${side}): ${n} tokens`);
    }
  });
  if (over.length) {
    throw new Error(`${source}: ${over.length} text(s) longer than the model's context of ${limit} positions (max_position_embeddings); ` +
      `nothing was computed. Shorten them, or truncate with --max-tokens N (keeps the first token and the last N − 1):\n  - ` +
      over.slice(0, 5).join('\n  - ') + (over.length > 5 ? `\n  - … and ${over.length - 5} more` : ''));
  }
  return { limit, truncated, longest };
}
