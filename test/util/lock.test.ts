// Output-folder locks: a live owner is refused with how to clear the lock; a dead owner, a zombie (killed, not yet
// reaped) and a pid now used by another process are stale and taken over. Real processes, no timing assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, parseLock, procStat, processAlive, staleReason } from '../../lib/util/lock';

const dir = mkdtempSync(join(tmpdir(), 'syco-lock-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const hasProc = existsSync('/proc/self/stat');

/** A real process that lives until killed, and its pid once it runs. */
async function sleeper(): Promise<ChildProcess> {
  const c = spawn('sleep', ['300'], { stdio: 'ignore' });
  await new Promise<void>((res, rej) => { c.once('spawn', () => res()); c.once('error', rej); });
  return c;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a lock is created with our pid and start time and removed on release; the folder is left clean', () => {
  const path = join(dir, 'a.lock');
  const release = acquireLock(path, { what: 'test run' });
  const info = parseLock(readFileSync(path, 'utf8'))!;
  assert.equal(info.pid, process.pid);
  assert.equal(info.what, 'test run');
  if (hasProc) assert.equal(info.start, procStat(process.pid)!.start);
  assert.equal(staleReason(info), null);
  release();
  assert.ok(!existsSync(path));
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('a.lock')), [], 'no temporary or aside files left');
});

test('a live owner that is not us: refused, naming the pid, how to stop it and the lock file to delete', async (t) => {
  const c = await sleeper();
  t.after(() => c.kill('SIGKILL'));
  const path = join(dir, 'live.lock');
  for (const text of [String(c.pid), JSON.stringify({ pid: c.pid, start: hasProc ? procStat(c.pid!)!.start : null, what: 'judge run' })]) {
    writeFileSync(path, text);
    assert.throws(() => acquireLock(path, { what: 'judge run', guards: '/some/out' }), (err: Error) => {
      assert.match(err.message, new RegExp(`^/some/out: another judge run \\(pid ${c.pid}\\) is writing here`));
      assert.match(err.message, new RegExp(`kill ${c.pid}`));
      assert.ok(err.message.includes(`delete the lock file ${path} and run again`), err.message);
      if (hasProc) assert.match(err.message, /process: sleep 300/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), text, 'the live lock is left alone');
  }
});

test('stale locks are taken over: no such pid, unreadable content, a pid reused by another process', async (t) => {
  const path = join(dir, 'stale.lock');
  writeFileSync(path, '2147483646'); // beyond pid_max: cannot be alive
  acquireLock(path, { what: 'x' })();
  writeFileSync(path, 'not a lock');
  acquireLock(path, { what: 'x' })();
  if (!hasProc) return t.skip('no /proc: start times are not recorded');
  const c = await sleeper();
  t.after(() => c.kill('SIGKILL'));
  // The recorded owner started at another time than the live process now holding that pid: the pid was reused.
  const info = { pid: c.pid!, start: String(Number(procStat(c.pid!)!.start) + 1), what: 'extraction' };
  assert.equal(staleReason(info), 'pid reused');
  writeFileSync(path, JSON.stringify(info));
  const release = acquireLock(path, { what: 'x' });
  assert.equal(parseLock(readFileSync(path, 'utf8'))!.pid, process.pid);
  release();
});

test('a zombie (exited, not reaped by its parent) counts as dead', async (t) => {
  if (!hasProc) return t.skip('no /proc');
  // A Node parent spawns `true`, then blocks its event loop (Atomics.wait), so it never reaps it: `true` stays a zombie.
  const script = "const c = require('child_process').spawn('true', { stdio: 'ignore' }); require('fs').writeSync(1, c.pid + '\\n');" +
    ' Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300000);';
  const c = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => c.kill('SIGKILL'));
  const pid = await new Promise<number>((res) => c.stdout!.once('data', (d) => res(Number(String(d).trim()))));
  let st = procStat(pid);
  for (let i = 0; i < 500 && st?.state !== 'Z'; i++) { await pause(10); st = procStat(pid); }
  assert.equal(st?.state, 'Z', `pid ${pid} became a zombie`);
  let alive = true;
  try { process.kill(pid, 0); } catch { alive = false; }
  assert.ok(alive, 'kill(pid, 0) still succeeds on a zombie (why the state is checked)');
  assert.equal(processAlive(pid), false);
  const path = join(dir, 'zombie.lock');
  writeFileSync(path, JSON.stringify({ pid, start: st!.start, what: 'judge run' }));
  assert.equal(staleReason(parseLock(readFileSync(path, 'utf8'))!), 'zombie');
  const release = acquireLock(path, { what: 'x' });
  assert.equal(parseLock(readFileSync(path, 'utf8'))!.pid, process.pid);
  release();
});
