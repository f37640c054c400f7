import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { sharedDir } from '../util/fs';
import { contextLength } from '../model/context';
import { ORGANISM_MODEL } from '../util/organism';
import { BackendRequestError, kindOfStatus, retryAfterMs } from './retry';
import type { ChatMessage } from './rubric';

/** What a backend returns for one chat request. */
export interface ChatReply {
  text: string;
  finishReason?: string | null;
  usage?: Record<string, number>;
  /** The provider's request/response id, when it gives one. */
  id?: string;
}

/** Per-request generation settings. */
export interface ChatOptions {
  maxTokens: number;
  temperature: number;
  /** Ask an OpenAI-compatible server for a JSON object (response_format json_object). */
  jsonMode?: boolean;
}

/** A judge model: sends chat messages, returns the reply text; throws BackendRequestError on request failures. */
export interface JudgeBackend {
  readonly name: string;
  readonly model: string;
  readonly baseURL?: string;
  /** Most requests worth running at once (the local backend runs one at a time). */
  readonly maxConcurrency?: number;
  chat(messages: ChatMessage[], opts: ChatOptions): Promise<ChatReply>;
  close?(): Promise<void>;
}

/** Which backend to build and how. API keys come only from the environment (OPENAI_API_KEY / ANTHROPIC_API_KEY). */
export interface BackendSpec {
  backend: 'openai' | 'anthropic' | 'local';
  /** Model name (hosted) or a local model folder / hub id (local). */
  model?: string;
  /** Base URL of an OpenAI-compatible or Anthropic-compatible server. */
  baseURL?: string;
  /** Per-request timeout in ms (hosted backends; default 60000). */
  timeoutMs?: number;
  /** Token-limit field for OpenAI-compatible servers: max_tokens (default, widest support) or max_completion_tokens (newer OpenAI models). */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** ONNX dtype for the local backend (default fp32). */
  dtype?: string;
  /** Where keys are read from (default process.env). */
  env?: Record<string, string | undefined>;
}

/** Default judge model per backend. */
export const DEFAULT_MODELS: Record<BackendSpec['backend'], string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-3-5-haiku-latest',
  local: 'stories260K-onnx',
};

/** The default local judge model folder: stories260K-onnx in the shared assets ($SYCO_SHARED or ../shared) when they are there, else the built-in organism (no real judge either way; offline plumbing). */
export function defaultLocalModel(): string {
  const shared = join(sharedDir(), 'models', 'stories260K-onnx');
  return existsSync(shared) ? shared : ORGANISM_MODEL;
}

/** Turn an SDK error (openai or anthropic; same shapes) into a BackendRequestError; other errors pass through. */
export function toRequestError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const name = err.constructor?.name ?? '';
  if (name === 'APIConnectionTimeoutError') {
    return new BackendRequestError(`request timed out: ${err.message}`, 'timeout');
  }
  if (name === 'APIConnectionError') return new BackendRequestError(`connection error: ${err.message}`, 'connection');
  // A 200 whose body is not JSON (a truncated reply, a proxy's HTML page): worth another try.
  if (err instanceof SyntaxError) return new BackendRequestError(`invalid response body: ${err.message}`, 'server');
  const e = err as Error & { status?: unknown; headers?: unknown };
  if (typeof e.status === 'number') {
    return new BackendRequestError(err.message || `HTTP ${e.status}`, kindOfStatus(e.status), e.status, retryAfterMs(e.headers));
  }
  return err;
}

/** An OpenAI-compatible chat-completions backend through the official `openai` SDK (OpenAI, vLLM, Ollama, LM Studio...). */
export async function createOpenAIBackend(spec: Omit<BackendSpec, 'backend'>): Promise<JudgeBackend> {
  const env = spec.env ?? process.env;
  const model = spec.model ?? DEFAULT_MODELS.openai;
  let apiKey = env.OPENAI_API_KEY;
  if (!apiKey) {
    if (!spec.baseURL) throw new Error('judge backend openai: OPENAI_API_KEY is not set (set it in the environment, or give the base URL of a server that needs no key: --judge-url in syco run, --base-url in syco judge)');
    apiKey = 'no-key';
  }
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ apiKey, baseURL: spec.baseURL, timeout: spec.timeoutMs ?? 60_000, maxRetries: 0 });
  return {
    name: 'openai',
    model,
    baseURL: spec.baseURL,
    async chat(messages, opts) {
      try {
        const res = await client.chat.completions.create({
          model,
          messages,
          temperature: opts.temperature,
          ...(spec.maxTokensField === 'max_completion_tokens' ? { max_completion_tokens: opts.maxTokens } : { max_tokens: opts.maxTokens }),
          ...(opts.jsonMode ? { response_format: { type: 'json_object' as const } } : {}),
        });
        const choice = res.choices?.[0];
        const usage: Record<string, number> = {};
        if (res.usage) {
          usage.prompt_tokens = res.usage.prompt_tokens;
          usage.completion_tokens = res.usage.completion_tokens;
        }
        return { text: choice?.message?.content ?? '', finishReason: choice?.finish_reason ?? null, usage, id: res.id };
      } catch (err) {
        throw toRequestError(err);
      }
    },
  };
}

/** An Anthropic Messages API backend through `@anthropic-ai/sdk`. */
export async function createAnthropicBackend(spec: Omit<BackendSpec, 'backend'>): Promise<JudgeBackend> {
  const env = spec.env ?? process.env;
  const model = spec.model ?? DEFAULT_MODELS.anthropic;
  const apiKey = env.ANTHROPIC_API_KEY;
  if (!apiKey) throw new Error('judge backend anthropic: ANTHROPIC_API_KEY is not set in the environment');
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const client = new Anthropic({ apiKey, baseURL: spec.baseURL, timeout: spec.timeoutMs ?? 60_000, maxRetries: 0 });
  return {
    name: 'anthropic',
    model,
    baseURL: spec.baseURL,
    async chat(messages, opts) {
      const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
      const turns = messages
        .filter((m) => m.role !== 'system')
        .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content }));
      try {
        const res = await client.messages.create({
          model,
          max_tokens: opts.maxTokens,
          // This SDK's Messages API types carry no sampling temperature (newer models fix it); opts.temperature is not sent.
          ...(system ? { system } : {}),
          messages: turns,
        });
        const text = (res.content ?? [])
          .map((b: { type: string; text?: string }) => (b.type === 'text' && typeof b.text === 'string' ? b.text : ''))
          .join('');
        const usage: Record<string, number> = {};
        if (res.usage) {
          usage.input_tokens = res.usage.input_tokens;
          usage.output_tokens = res.usage.output_tokens;
        }
        return { text, finishReason: res.stop_reason ?? null, usage, id: res.id };
      } catch (err) {
        throw toRequestError(err);
      }
    },
  };
}

/** A completion from the local backend's raw text interface. */
export interface LocalCompletion {
  text: string;
  promptTokens: number;
  newTokens: number[];
  /** Prompt tokens dropped from the left to fit the model's context. */
  truncatedTokens: number;
}

/** The local backend: a transformers.js causal LM run in-process (no key, no network for a local folder). */
export interface LocalJudgeBackend extends JudgeBackend {
  /** Greedy (temperature 0) or sampled continuation of a raw text prompt; returns the decoded new tokens. */
  complete(prompt: string, maxNewTokens: number, temperature?: number): Promise<LocalCompletion>;
  /** The exact text prompt `chat` builds from messages (chat template when the tokenizer has one, else a plain transcript). */
  renderPrompt(messages: ChatMessage[]): string;
}

/** Render chat messages as a plain transcript for models without a chat template. */
export function plainTranscript(messages: ChatMessage[]): string {
  const parts: string[] = [];
  for (const m of messages) {
    if (m.role === 'system') parts.push(m.content);
    else parts.push(`${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}`);
  }
  parts.push('Assistant:');
  return parts.join('\n\n');
}

/** Build the local backend from a model folder (loaded offline) or a hub id (may download). */
export async function createLocalBackend(spec: Omit<BackendSpec, 'backend'>): Promise<LocalJudgeBackend> {
  const requested = spec.model ?? defaultLocalModel();
  const tf = await import('@huggingface/transformers');
  const env = tf.env as unknown as { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  const folder = resolve(requested);
  const isFolder = existsSync(folder) && statSync(folder).isDirectory();
  if (!isFolder && (requested.startsWith('.') || requested.startsWith('/'))) {
    throw new Error(`judge backend local: model folder ${folder} does not exist`);
  }
  if (isFolder && !existsSync(join(folder, 'config.json'))) {
    throw new Error(`judge backend local: ${folder} has no config.json (not a transformers.js model folder)`);
  }
  const saved = { allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath };
  const id = isFolder ? basename(folder) : requested;
  let tokenizer: any;
  let model: any;
  try {
    if (isFolder) {
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = dirname(folder) + '/';
    }
    tokenizer = await tf.AutoTokenizer.from_pretrained(id);
    model = await tf.AutoModelForCausalLM.from_pretrained(id, { dtype: (spec.dtype ?? 'fp32') as 'fp32', device: 'cpu' });
  } catch (err) {
    throw new Error(`judge backend local: could not load model "${requested}"${isFolder ? ` from ${folder}` : ''}: ${(err as Error).message}`);
  } finally {
    Object.assign(env, saved);
  }
  const maxPositions = contextLength((model.config ?? {}) as Record<string, unknown>);
  const hasTemplate = typeof tokenizer.chat_template === 'string' && tokenizer.chat_template.length > 0;

  const renderPrompt = (messages: ChatMessage[]): string =>
    hasTemplate
      ? (tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string)
      : plainTranscript(messages);

  const complete = async (prompt: string, maxNewTokens: number, temperature = 0): Promise<LocalCompletion> => {
    const enc = tokenizer(prompt, hasTemplate ? { add_special_tokens: false } : {});
    let ids: number[] = Array.from(enc.input_ids.data as BigInt64Array, Number);
    let truncated = 0;
    if (maxPositions && ids.length + maxNewTokens > maxPositions) {
      const keep = Math.max(1, maxPositions - maxNewTokens);
      const bos = tokenizer.bos_token_id;
      const lead = bos !== undefined && bos !== null && ids[0] === bos ? 1 : 0;
      truncated = ids.length - keep;
      ids = [...ids.slice(0, lead), ...ids.slice(ids.length - (keep - lead))];
    }
    const input_ids = new tf.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
    const attention_mask = new tf.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    const out = await model.generate({
      input_ids,
      attention_mask,
      max_new_tokens: maxNewTokens,
      ...(temperature > 0 ? { do_sample: true, temperature } : { do_sample: false }),
    });
    const all = Array.from((out.data ?? out[0]?.data) as BigInt64Array, Number);
    const newTokens = all.slice(ids.length);
    const text = tokenizer.decode(newTokens, { skip_special_tokens: true }) as string;
    return { text, promptTokens: ids.length, newTokens, truncatedTokens: truncated };
  };

  return {
    name: 'local',
    model: isFolder ? folder : requested,
    maxConcurrency: 1,
    renderPrompt,
    complete,
    async chat(messages, opts) {
      const r = await complete(renderPrompt(messages), opts.maxTokens, opts.temperature);
      return {
        text: r.text,
        finishReason: r.newTokens.length >= opts.maxTokens ? 'length' : 'stop',
        usage: { prompt_tokens: r.promptTokens, completion_tokens: r.newTokens.length, truncated_prompt_tokens: r.truncatedTokens },
      };
    },
    async close() {
      await model.dispose?.();
    },
  };
}

/** Build the backend a spec names. */
export async function createBackend(spec: BackendSpec): Promise<JudgeBackend> {
  switch (spec.backend) {
    case 'openai':
      return createOpenAIBackend(spec);
    case 'anthropic':
      return createAnthropicBackend(spec);
    case 'local':
      return createLocalBackend(spec);
    default:
      throw new Error(`unknown judge backend "${(spec as { backend: string }).backend}" (expected openai, anthropic or local)`);
  }
}
