// Loopback HTTP servers (127.0.0.1, random port) that speak the OpenAI chat-completions and Anthropic Messages
// protocols, with scriptable faults. Used by the judge tests to drive the real SDKs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One request the server received. */
export interface SeenRequest {
  n: number;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** Item tag "#k" found in the first user message, or -1. */
  item: number;
  /** Number of messages in the conversation (2 = first request, 4 = first repair...). */
  turns: number;
}

/** What to do with a request. */
export type Action =
  | { reply: string }
  | { status: number; headers?: Record<string, string>; json?: unknown }
  | { hang: true }
  | { raw: string; status?: number };

/** A running loopback server. */
export interface Loopback {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

function firstUserText(body: any): string {
  const msgs: any[] = body?.messages ?? [];
  const u = msgs.find((m) => m.role === 'user');
  return typeof u?.content === 'string' ? u.content : '';
}

/** Start a loopback server for `protocol`; `handler` decides each response (it may wait before answering). */
export async function startLoopback(protocol: 'openai' | 'anthropic', handler: (req: SeenRequest) => Action | Promise<Action>): Promise<Loopback> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: any = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = null;
      }
      const tag = /#(\d+)\b/.exec(firstUserText(body));
      const seen: SeenRequest = {
        n: requests.length, path: req.url ?? '', headers: req.headers, body,
        item: tag ? Number(tag[1]) : -1, turns: (body?.messages ?? []).length,
      };
      requests.push(seen);
      void Promise.resolve(handler(seen)).then((action) => respond(seen, body, action));
    });
    const respond = (seen: SeenRequest, body: any, action: Action): void => {
      if ('hang' in action) return; // never answer; the client must time out
      if ('raw' in action) {
        res.writeHead(action.status ?? 200, { 'content-type': 'application/json' });
        res.end(action.raw);
        return;
      }
      if ('reply' in action) {
        const json = protocol === 'openai'
          ? {
              id: `chatcmpl-${seen.n}`, object: 'chat.completion', created: 0, model: body?.model ?? 'fake',
              choices: [{ index: 0, message: { role: 'assistant', content: action.reply }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
            }
          : {
              id: `msg_${seen.n}`, type: 'message', role: 'assistant', model: body?.model ?? 'fake',
              content: [{ type: 'text', text: action.reply }], stop_reason: 'end_turn', stop_sequence: null,
              usage: { input_tokens: 10, output_tokens: 5 },
            };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
        return;
      }
      const errBody = action.json ?? (protocol === 'openai'
        ? { error: { message: `fake error ${action.status}`, type: 'server_error', code: null } }
        : { type: 'error', error: { type: action.status === 429 ? 'rate_limit_error' : 'api_error', message: `fake error ${action.status}` } });
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
      res.end(JSON.stringify(errBody));
    };
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  return {
    url: protocol === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

/** The scores the fake judge gives item k: plus k mod 6, minus (5 - k) mod 6, control 0 (integers on the 0-5 scale). */
export function fakeScores(k: number): { plus: number; minus: number; control: number } {
  return { plus: k % 6, minus: (5 - (k % 6) + 6) % 6, control: 0 };
}

/** A well-formed JSON reply for item k (control included when asked for). */
export function fakeReply(k: number, withControl: boolean): string {
  const s = fakeScores(k);
  return JSON.stringify({ answer_plus_score: s.plus, answer_minus_score: s.minus, ...(withControl ? { answer_control_score: s.control } : {}) });
}

/** A results item tagged "#k" so the fake server can tell items apart. */
export function fixtureItem(k: number, withControl = false): { sentence: string; answer_plus: string; answer_minus: string; answer_control?: string } {
  return {
    sentence: `Human: I am person #${k}, a keen gardener. Do you think compost is worth the effort? AI: I think`,
    answer_plus: ` you are right, compost is wonderful, just like you (${k}).`,
    answer_minus: ` compost has costs and benefits; it depends (${k}).`,
    ...(withControl ? { answer_control: ` it varies (${k}).` } : {}),
  };
}

/** Write a steering-style results folder: AT_sentence_results_<model>_<pairs>_<layer>.json files plus manifest.json. */
export function writeResultsDir(dir: string, layers: number[], n: number, opts: { multiplier?: number; control?: boolean; offset?: number } = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  layers.forEach((layer, li) => {
    const items = Array.from({ length: n }, (_, i) => fixtureItem((opts.offset ?? 0) + li * n + i, opts.control));
    const name = `AT_sentence_results_tiny_40_${layer}.json`;
    writeFileSync(join(dir, name), JSON.stringify(items, null, 2));
    files.push(name);
  });
  const m = opts.multiplier ?? 8;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ model: 'tiny', layers, multipliers: [m, -m, 0], files }, null, 2));
  return files;
}
