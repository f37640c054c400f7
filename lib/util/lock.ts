// One writer per output folder: a lock file created exclusively (O_EXCL) holding the owner's pid and start time.
// A lock whose owner is gone — no such pid, a zombie (killed, not yet reaped), or a pid now used by another process
// (its start time differs) — is stale and taken over; a live owner makes the second writer stop at once, with the
// owner named and how to clear the lock should it not be a writer at all.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { withPath } from './fs';

/** What a lock file holds (older locks hold the pid alone as text). */
export interface LockInfo {
  pid: number;
  /** The owner's start time (/proc/<pid>/stat field 22, clock ticks since boot); null where /proc is unavailable. */
  start: string | null;
  /** What took the lock, e.g. "syco judge". */
  what?: string;
  /** When it was taken (ISO time). */
  since?: string;
}

/** State of a process from /proc/<pid>/stat ('R', 'S', 'Z', …) and its start time; null when it has no entry (or no /proc). */
export function procStat(pid: number): { state: string; start: string } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', start: rest[19] ?? '' };
}

/** The command line of a process (for messages), or null when it cannot be read. */
function procCommand(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return s ? (s.length > 120 ? s.slice(0, 117) + '…' : s) : null;
  } catch {
    return null;
  }
}

/** Whether a pid is a live process: it exists and is not a zombie (a killed process not yet reaped by its parent). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(pid);
  return !(st && (st.state === 'Z' || st.state === 'X'));
}

/** Parse a lock file's text: JSON LockInfo, or a bare pid (locks written before start times were recorded). */
export function parseLock(text: string): LockInfo | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { pid: Number(t), start: null };
  try {
    const o = JSON.parse(t) as Partial<LockInfo>;
    if (Number.isInteger(o.pid) && (o.pid as number) > 0) return { pid: o.pid as number, start: typeof o.start === 'string' ? o.start : null, what: o.what, since: o.since };
  } catch { /* torn or foreign content: stale */ }
  return null;
}

/** Why a lock's owner no longer holds it ('gone', 'zombie', 'pid reused'), or null while it is alive. */
export function staleReason(info: LockInfo): string | null {
  if (info.pid === process.pid) return null;
  const st = procStat(info.pid);
  if (st && (st.state === 'Z' || st.state === 'X')) return 'zombie';
  if (!processAlive(info.pid)) return 'gone';
  if (info.start !== null && st && st.start !== info.start) return 'pid reused';
  return null;
}

/** Options of acquireLock. */
export interface LockOptions {
  /** What holds the lock, in words ("extraction", "judge run"): names the owner in the error. */
  what: string;
  /** The folder or file the lock guards (named in the error; default the lock's path). */
  guards?: string;
}

/**
 * Take the lock at `path` (it appears atomically, holding our pid and start time); returns its release function.
 * A stale lock (owner gone, a zombie, or its pid reused by another process) is taken over; a live owner other than
 * this process is an error naming it, how to wait for or stop it, and the file to delete if it is not a writer.
 */
export function acquireLock(path: string, opts: LockOptions): () => void {
  const guards = opts.guards ?? path;
  const mine: LockInfo = { pid: process.pid, start: procStat(process.pid)?.start ?? null, what: opts.what, since: new Date().toISOString() };
  const text = JSON.stringify(mine) + '\n';
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = `${path}.tmp-${tag}`;
  // Written beside it, then hard-linked into place: a reader never sees a lock without its owner (link fails if one exists).
  try { writeFileSync(tmp, text, { flag: 'wx' }); } catch (err) { throw withPath(err, tmp); }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        try {
          linkSync(tmp, path);
        } catch (err) {
          // A filesystem without hard links: exclusive create, then write (a reader may see it empty for a moment).
          if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(String((err as NodeJS.ErrnoException).code))) throw err;
          writeFileSync(path, text, { flag: 'wx' });
        }
        let released = false;
        return () => {
          if (released) return;
          released = true;
          try {
            // Only our own lock is removed (one taken over after ours went stale belongs to someone else).
            if (readFileSync(path, 'utf8') === text) unlinkSync(path);
          } catch { /* already gone */ }
        };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && !existsSync(tmp)) { writeFileSync(tmp, text, { flag: 'wx' }); continue; } // swept by a writer's clean-up
        if (code !== 'EEXIST') throw withPath(err, path);
      }
      let seen: string;
      try { seen = readFileSync(path, 'utf8'); } catch { continue; /* vanished meanwhile */ }
      const info = parseLock(seen);
      if (info && info.pid !== process.pid && staleReason(info) === null) {
        const cmd = procCommand(info.pid);
        const about = [cmd ? `process: ${cmd}` : '', info.since ? `lock taken ${info.since}` : ''].filter(Boolean).join('; ');
        throw new Error(`${guards}: another ${info.what ?? opts.what} (pid ${info.pid}) is writing here${about ? ` (${about})` : ''}; ` +
          `wait for it or stop it (kill ${info.pid}). If that process is not writing here (e.g. the pid now belongs to ` +
          `an unrelated program), delete the lock file ${path} and run again.`);
      }
      // Stale: move it aside and check that what was moved is the lock judged stale; a fresh lock another process
      // took over meanwhile is put back (and found alive on the next round).
      const aside = `${path}.stale-${tag}`;
      try { renameSync(path, aside); } catch { continue; }
      let moved = '';
      try { moved = readFileSync(aside, 'utf8'); } catch { /* gone */ }
      if (moved !== seen) {
        try { linkSync(aside, path); } catch { /* a newer lock is in place */ }
      }
      try { unlinkSync(aside); } catch { /* already gone */ }
    }
    throw new Error(`${guards}: could not take the lock ${path} (other processes keep taking it)`);
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
}
