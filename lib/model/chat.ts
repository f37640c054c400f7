import type { HookedModel } from './types';

/** A chat message as chat templates take it. */
export interface ChatMessage { role: string; content: string }

/**
 * Token ids of a chat as HF's `apply_chat_template(tokenize=True)` gives them: the rendered template encoded
 * WITHOUT added special tokens (Llama-2/3 and Gemma templates write their own BOS; ChatML/Zephyr add none).
 * Null when the model has no chat template.
 */
export function chatIds(model: Pick<HookedModel, 'chatPrompt' | 'encode'>, messages: ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): number[] | null {
  const text = model.chatPrompt(messages, opts);
  return text === null ? null : encodeTemplated(model, text);
}

/** Ids of text that a chat template rendered (possibly with more text appended): no added special tokens. */
export function encodeTemplated(model: Pick<HookedModel, 'encode'>, text: string): number[] {
  return model.encode(text, { addSpecialTokens: false });
}
