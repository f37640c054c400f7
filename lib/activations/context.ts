// Before any forward pass: every text of every pair must fit the model's context, or be truncated on request.
import { overContextError } from '../model/context';
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

/** Token ids of both texts of every pair, each text encoded once: ids[2i] is pair i's sycophantic text, ids[2i + 1] the other. */
export function encodePairs(model: Pick<ModelText, 'encode'>, pairs: readonly PairTexts[]): number[][] {
  return pairs.flatMap((p) => [model.encode(p.sycophantic), model.encode(p.non_sycophantic)]);
}

/**
 * Refuse, naming the pairs and their lengths, any text longer than the model's context — unless `maxTokens` is given,
 * in which case they are counted (the forward pass cuts them). `ids` are the pairs' token ids from encodePairs (the
 * texts are encoded here when they are not given).
 */
export function checkPairsContext(model: Pick<ModelText, 'encode' | 'maxPositions'>, pairs: PairTexts[], source: string, maxTokens?: number, ids?: readonly number[][]): ContextCheck {
  const limit = model.maxPositions;
  if (limit === undefined && maxTokens === undefined) return { limit, truncated: 0, longest: 0 };
  const cap = maxTokens === undefined ? limit! : Math.min(maxTokens, limit ?? maxTokens);
  const over: string[] = [];
  let truncated = 0, longest = 0;
  pairs.forEach((p, i) => {
    (['sycophantic', 'non_sycophantic'] as const).forEach((side, s) => {
      const n = (ids?.[2 * i + s] ?? model.encode(p[side])).length;
      longest = Math.max(longest, n);
      if (n <= cap) return;
      if (maxTokens !== undefined) truncated++;
      else over.push(`pair ${i} "${p.id}" (${side}): ${n} tokens`);
    });
  });
  if (over.length) throw overContextError(source, 'text(s)', over, limit, 'Shorten them');
  return { limit, truncated, longest };
}
