// The model's context length: read it from config.json, refuse token sequences longer than it (or truncate them
// when asked), and turn ONNX Runtime's own out-of-context errors into the same message.

/** A text (or prompt plus new tokens) longer than the model's context; `index` is the text's place in its batch. */
export class ContextLengthError extends Error {
  constructor(message: string, readonly index: number, readonly tokens: number, readonly limit: number) {
    super(message);
    this.name = 'ContextLengthError';
  }
}

/** The number of positions a model was trained for, from its config (undefined when the config does not say). */
export function contextLength(config: Record<string, unknown>): number | undefined {
  for (const k of ['max_position_embeddings', 'n_positions', 'max_seq_len', 'n_ctx', 'seq_length']) {
    const v = Number(config[k]);
    if (Number.isInteger(v) && v > 0) return v;
  }
  const attn = config.attn_config as Record<string, unknown> | undefined; // MPT keeps it here in some exports
  const v = Number(attn?.max_seq_len);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/** The message for a sequence of `tokens` that does not fit a context of `limit` positions. */
export function contextMessage(what: string, tokens: number, limit: number,
  hint = 'shorten it, or truncate with --max-tokens N (maxTokens), which keeps the first token and the last N − 1'): string {
  return `${what} has ${tokens} tokens, more than the model's context of ${limit} positions (max_position_embeddings); ${hint}`;
}

/**
 * One error for every sequence longer than the context, before anything is computed: "<where>: N <what> longer than the
 * model's context …; nothing was computed. <fix>, or truncate with --max-tokens N …" and the first five, one a line.
 */
export function overContextError(where: string, what: string, over: readonly string[], limit: number | undefined, fix: string): Error {
  return new Error(`${where}: ${over.length} ${what} longer than the model's context of ${limit} positions (max_position_embeddings); ` +
    `nothing was computed. ${fix}, or truncate with --max-tokens N (keeps the first token and the last N − 1):\n  - ` +
    over.slice(0, 5).join('\n  - ') + (over.length > 5 ? `\n  - … and ${over.length - 5} more` : ''));
}

/**
 * Fit one token sequence to the context: unchanged when it fits; cut to `maxTokens` (keeping the first token, e.g.
 * BOS, and the last maxTokens − 1) when that is given; otherwise a ContextLengthError. Returns ids and tokens dropped.
 */
export function fitContext(ids: number[], index: number, limit: number | undefined, maxTokens?: number): { ids: number[]; dropped: number } {
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens >= 2)) {
    throw new Error(`maxTokens must be an integer ≥ 2, got ${maxTokens}`);
  }
  const cap = maxTokens === undefined ? undefined : limit === undefined ? maxTokens : Math.min(maxTokens, limit);
  if (cap !== undefined && ids.length > cap) return { ids: [ids[0], ...ids.slice(ids.length - (cap - 1))], dropped: ids.length - cap };
  if (limit !== undefined && ids.length > limit) throw new ContextLengthError(contextMessage(`text ${index}`, ids.length, limit), index, ids.length, limit);
  return { ids, dropped: 0 };
}

/** ONNX Runtime's errors for positions past a fused graph's rotary cache, as the context-length message. */
export function explainRuntimeError(err: unknown, tokens: number, limit: number | undefined): unknown {
  const msg = (err as Error)?.message ?? '';
  if (!/cos_cache dimension 0|sin_cache dimension 0|position_ids.*out of range/i.test(msg)) return err;
  const where = limit === undefined ? "the graph's rotary cache" : `${limit} positions (max_position_embeddings)`;
  return new ContextLengthError(`a sequence of ${tokens} tokens is longer than the model's context (${where}); ` +
    `shorten it, or truncate with --max-tokens N (maxTokens) [onnxruntime: ${msg.replace(/^.*Status Message: /, '')}]`, -1, tokens, limit ?? -1);
}
