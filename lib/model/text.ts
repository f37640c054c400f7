// A model's text side — tokenizer, chat template and context length — without its ONNX session: what the checks
// before compute need to measure every text against the context before any graph is loaded. The hooked model uses
// the same functions, so both tokenise alike.
import type { HookedModel } from './types';
import { contextLength } from './context';

/** The text side of a model (a HookedModel has it too). */
export type ModelText = Pick<HookedModel, 'id' | 'encode' | 'decode' | 'chatPrompt' | 'maxPositions'>;

/** Token ids of a text, with the tokenizer's default special tokens (BOS for Llama) unless told otherwise. */
export function encodeWith(tokenizer: any, text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
  return Array.from(tokenizer.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }) as number[], Number);
}

/** Text of token ids (special tokens skipped by default). */
export function decodeWith(tokenizer: any, ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
  if (!ids.length) return '';
  return tokenizer.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? true });
}

/** The prompt text for a chat via the tokenizer's chat template; null when it has none. */
export function chatPromptWith(tokenizer: any, messages: { role: string; content: string }[], opts: { addGenerationPrompt?: boolean } = {}): string | null {
  if (!tokenizer.chat_template) return null;
  return tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: opts.addGenerationPrompt ?? true }) as string;
}

/** The text side of a model from its transformers.js tokenizer and config.json. */
export function modelText(id: string, tokenizer: any, config: Record<string, unknown>): ModelText {
  return {
    id,
    maxPositions: contextLength(config),
    encode: (text, opts) => encodeWith(tokenizer, text, opts),
    decode: (ids, opts) => decodeWith(tokenizer, ids, opts),
    chatPrompt: (messages, opts) => chatPromptWith(tokenizer, messages, opts),
  };
}
