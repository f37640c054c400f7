/** What went wrong with one backend request, normalised across SDKs. */
export type RequestErrorKind = 'rate_limit' | 'server' | 'timeout' | 'connection' | 'client' | 'auth' | 'other';

/** A failed backend request, with what the retry policy needs to decide. */
export class BackendRequestError extends Error {
  override name = 'BackendRequestError';
  constructor(
    message: string,
    readonly kind: RequestErrorKind,
    readonly status?: number,
    /** Delay the server asked for (Retry-After / retry-after-ms), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** True for 429, 5xx (and 408/409), timeouts and dropped connections. */
  get retryable(): boolean {
    return this.kind === 'rate_limit' || this.kind === 'server' || this.kind === 'timeout' || this.kind === 'connection';
  }

  /** True when no other request can succeed either (bad key, no access, unknown model): the run stops. */
  get fatal(): boolean {
    return this.kind === 'auth' || this.status === 404;
  }
}

/** Map an HTTP status to an error kind. */
export function kindOfStatus(status: number | undefined): RequestErrorKind {
  if (status === undefined) return 'connection';
  if (status === 429) return 'rate_limit';
  if (status === 408 || status === 409 || status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  return 'client';
}

/** Read a Retry-After delay in ms from response headers (retry-after-ms, then retry-after as seconds or an HTTP date). */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  const get = (name: string): string | null | undefined => {
    if (!headers) return undefined;
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
    const rec = headers as Record<string, unknown>;
    const v = rec[name] ?? rec[name.toLowerCase()];
    return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
  };
  const ms = get('retry-after-ms');
  if (ms != null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const ra = get('retry-after');
  if (ra == null || ra.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.round(Number(ra) * 1000);
  const date = Date.parse(ra);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

/** How requests are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 6). */
  maxRetries: number;
  /** First backoff delay in ms; doubles each retry (default 1000). */
  baseDelayMs: number;
  /** Cap on one backoff delay in ms (default 60000); a server's Retry-After is honoured beyond it. */
  maxDelayMs: number;
  /** Give up once the next wait would end later than this many ms after the first attempt (default 300000). */
  maxTotalMs: number;
  /** Sleep function (tests inject one that records delays). */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) source for jitter (default Math.random). */
  random?: () => number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Called before each wait, e.g. to log. */
  onRetry?: (info: { attempt: number; delayMs: number; error: BackendRequestError }) => void;
}

/** The default retry policy. */
export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 6, baseDelayMs: 1000, maxDelayMs: 60_000, maxTotalMs: 300_000 };

/**
 * Delay before retry number `retry` (0-based): the server's Retry-After when it gave one, else exponential backoff
 * base * 2^retry capped at maxDelayMs, with "equal jitter" (half fixed, half uniform random).
 */
export function backoffDelay(retry: number, policy: RetryPolicy, serverDelayMs?: number): number {
  if (serverDelayMs !== undefined) return serverDelayMs;
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const r = (policy.random ?? Math.random)();
  return Math.round(exp / 2 + (r * exp) / 2);
}

const defaultSleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Run `fn`, retrying retryable BackendRequestErrors under the policy; the last error is thrown with the attempt count. */
export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const now = policy.now ?? Date.now;
  const sleep = policy.sleep ?? defaultSleep;
  const start = now();
  for (let retry = 0; ; retry++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof BackendRequestError) || !err.retryable) throw err;
      if (retry >= policy.maxRetries) {
        throw new BackendRequestError(`${err.message} (gave up after ${retry + 1} attempts)`, err.kind, err.status, err.retryAfterMs);
      }
      const delay = backoffDelay(retry, policy, err.retryAfterMs);
      if (now() - start + delay > policy.maxTotalMs) {
        throw new BackendRequestError(
          `${err.message} (gave up after ${retry + 1} attempts: waiting ${delay} ms more would pass the ${policy.maxTotalMs} ms retry budget)`,
          err.kind, err.status, err.retryAfterMs,
        );
      }
      policy.onRetry?.({ attempt: retry + 1, delayMs: delay, error: err });
      await sleep(delay);
    }
  }
}

/** Run async tasks with at most `concurrency` in flight; stops starting new ones after the first thrown error, which is rethrown once all in-flight tasks settle. */
export async function runPool<T>(items: readonly T[], concurrency: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await worker(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  });
  await Promise.all(lanes);
  if (failure) throw failure.err;
}
