import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendRequestError, backoffDelay, DEFAULT_RETRY, kindOfStatus, retryAfterMs, runPool, withRetry, type RetryPolicy } from '../../lib/judge/retry';

function policy(extra: Partial<RetryPolicy> = {}): RetryPolicy & { slept: number[] } {
  const slept: number[] = [];
  let clock = 0;
  return {
    ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000, maxRetries: 5, maxTotalMs: 10_000,
    random: () => 0.5, now: () => clock,
    sleep: async (ms: number) => { slept.push(ms); clock += ms; },
    slept, ...extra,
  };
}

test('backoff doubles from the base, is capped, and is jittered between half and all of it', () => {
  const p = policy();
  // equal jitter with random 0.5: 3/4 of min(max, base * 2^k)
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((k) => backoffDelay(k, p)), [75, 150, 300, 600, 750, 750]);
  assert.equal(backoffDelay(2, { ...p, random: () => 0 }), 200);
  assert.equal(backoffDelay(2, { ...p, random: () => 0.999999 }), 400);
  assert.equal(backoffDelay(3, p, 2500), 2500, 'a server delay wins, even past the cap');
});

test('Retry-After is read as retry-after-ms, seconds, or an HTTP date', () => {
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '2' })), 2000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '0.5' })), 500);
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '40', 'retry-after': '9' })), 40);
  assert.equal(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 1970 00:00:10 GMT' }, 4000), 6000);
  assert.equal(retryAfterMs(new Headers({})), undefined);
  assert.equal(retryAfterMs(undefined), undefined);
});

test('status codes map to retryable and fatal kinds', () => {
  assert.deepEqual([429, 500, 503, 529, 408, 400, 401, 403, 404, 422].map(kindOfStatus),
    ['rate_limit', 'server', 'server', 'server', 'server', 'client', 'auth', 'auth', 'client', 'client']);
  assert.equal(new BackendRequestError('x', 'timeout').retryable, true);
  assert.equal(new BackendRequestError('x', 'client', 400).retryable, false);
  assert.equal(new BackendRequestError('x', 'client', 404).fatal, true);
  assert.equal(new BackendRequestError('x', 'auth', 401).fatal, true);
});

test('withRetry retries 429/5xx/timeouts with the policy delays, honouring Retry-After', async () => {
  const p = policy();
  const errors = [
    new BackendRequestError('429', 'rate_limit', 429, 1234),
    new BackendRequestError('500', 'server', 500),
    new BackendRequestError('timeout', 'timeout'),
  ];
  let calls = 0;
  const v = await withRetry(async () => {
    if (calls < errors.length) throw errors[calls++];
    calls++;
    return 'ok';
  }, p);
  assert.equal(v, 'ok');
  assert.equal(calls, 4);
  assert.deepEqual(p.slept, [1234, 150, 300]);
});

test('withRetry gives up after maxRetries, on a non-retryable error at once, and before passing the time budget', async () => {
  const p = policy({ maxRetries: 2 });
  let calls = 0;
  await assert.rejects(withRetry(async () => { calls++; throw new BackendRequestError('boom', 'server', 502); }, p),
    (e: BackendRequestError) => e.message === 'boom (gave up after 3 attempts)' && e.status === 502);
  assert.equal(calls, 3);
  assert.deepEqual(p.slept, [75, 150]);

  const q = policy();
  calls = 0;
  await assert.rejects(withRetry(async () => { calls++; throw new BackendRequestError('bad request', 'client', 400); }, q), /bad request/);
  assert.equal(calls, 1);
  assert.deepEqual(q.slept, []);

  const r = policy({ maxTotalMs: 500 });
  calls = 0;
  await assert.rejects(withRetry(async () => { calls++; throw new BackendRequestError('slow', 'rate_limit', 429, 400); }, r),
    /gave up after 2 attempts: waiting 400 ms more would pass the 500 ms retry budget/);
  assert.equal(calls, 2);
  assert.deepEqual(r.slept, [400]);

  const plain = policy();
  await assert.rejects(withRetry(async () => { throw new TypeError('a bug'); }, plain), TypeError);
  assert.deepEqual(plain.slept, []);
});

test('runPool never runs more than the limit at once, runs everything, and stops after a failure', async () => {
  let inFlight = 0;
  let peak = 0;
  const done: number[] = [];
  const tick = () => new Promise<void>((res) => setImmediate(res));
  await runPool(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    for (let k = 0; k < (i % 4) + 1; k++) await tick();
    inFlight--;
    done.push(i);
  });
  assert.equal(peak, 3);
  assert.deepEqual([...done].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));

  const started: number[] = [];
  await assert.rejects(runPool(Array.from({ length: 20 }, (_, i) => i), 2, async (i) => {
    started.push(i);
    await tick();
    if (i === 1) throw new Error('stop');
  }), /stop/);
  assert.ok(started.length <= 4, `started ${started.length} tasks after the failure`);
});
