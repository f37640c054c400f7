import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { chromiumInstallHint, findChromium } from '../lib/plots/export';

/** Absolute path of the read-only shared assets folder (../shared beside the checkout, or $SYCO_SHARED). */
export const SHARED = resolve(process.env.SYCO_SHARED ?? join(process.cwd(), '..', 'shared'));

/**
 * Path of a shared asset. When it is missing: under CI this throws (the test fails, never skips);
 * elsewhere the test is skipped with a note and null is returned.
 */
export function sharedAsset(t: TestContext, rel: string): string | null {
  const p = join(SHARED, rel);
  if (existsSync(p)) return p;
  if (process.env.CI) throw new Error(`shared asset missing under CI: ${p}`);
  t.skip(`shared asset missing: ${p}`);
  return null;
}

/** Same as sharedAsset but for use outside a test context (e.g. in before hooks): throws if missing. */
export function requireShared(rel: string): string {
  const p = join(SHARED, rel);
  if (!existsSync(p)) throw new Error(`shared asset missing: ${p}`);
  return p;
}

/**
 * Gate a test on a system program: true when it is present. When it is missing: under CI the test fails (throws);
 * elsewhere it is skipped with one line naming the program and how to install it, and false is returned.
 */
export function needProgram(t: TestContext, present: boolean, what: string, install: string): boolean {
  if (present) return true;
  if (process.env.CI) throw new Error(`${what} is required under CI: ${install}`);
  t.skip(`${what} not found: ${install}`);
  return false;
}

/** Chromium for figure/report rendering tests (see lib/plots/export findChromium). */
export function needChromium(t: TestContext): boolean {
  return needProgram(t, findChromium() !== null, 'Chromium', chromiumInstallHint());
}

/** The Python that runs Jupyter (scripts/run-notebooks.py): $SYCO_JUPYTER_PYTHON, else /usr/bin/python3. */
export const JUPYTER_PYTHON = process.env.SYCO_JUPYTER_PYTHON ?? '/usr/bin/python3';

let jupyterFound: boolean | undefined;
/** Whether JUPYTER_PYTHON can run notebooks headless (nbclient, nbformat, ipykernel, jupyter_client importable). */
export function jupyterAvailable(): boolean {
  jupyterFound ??= existsSync(JUPYTER_PYTHON) &&
    spawnSync(JUPYTER_PYTHON, ['-c', 'import nbclient, nbformat, ipykernel, jupyter_client'], { stdio: 'ignore' }).status === 0;
  return jupyterFound;
}

/** Jupyter for the nbconvert/nbclient notebook tests. */
export function needJupyter(t: TestContext): boolean {
  return needProgram(t, jupyterAvailable(), 'Jupyter (nbclient + ipykernel)',
    `apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel (or pip install nbclient ipykernel), or set SYCO_JUPYTER_PYTHON to a Python that has them`);
}

/**
 * A real second process holding the lock at `path` (lib/util/lock) until stopped: for tests that a command refuses to
 * write where another is writing. Resolves once the lock is taken.
 */
export async function holdLock(path: string, what: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const { pathToFileURL } = await import('node:url');
  const lib = pathToFileURL(resolve('lib/util/lock.ts')).href;
  const script = `const { acquireLock } = await import(${JSON.stringify(lib)}); acquireLock(process.argv[1], { what: process.argv[2] }); ` +
    `process.stdout.write('locked\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path, what], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d) => { if (String(d).includes('locked')) res(); });
    child.once('exit', (code) => rej(new Error(`lock holder exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    stop: () => new Promise<void>((res) => { child.once('exit', () => res()); child.kill('SIGKILL'); }),
  };
}

/** How a child process ended: its exit code (null when a signal ended it), the signal, and everything it wrote. */
export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a command to its end, collecting stdout and stderr (rejects only when it cannot start). `onSpawn` receives the
 * child, e.g. to signal it; `timeout` (ms) kills it with SIGKILL.
 */
export function runProcess(cmd: string, args: readonly string[], opts: SpawnOptions & { onSpawn?: (child: ChildProcess) => void } = {}): Promise<ProcessResult> {
  const { onSpawn, ...spawnOpts } = opts;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    onSpawn?.(child);
  });
}

/** Run the CLI (`node bin/syco.js …`) with runProcess; SYCO_QUIET=1 unless `env` sets it. */
export function runSyco(args: readonly string[], opts: SpawnOptions & { onSpawn?: (child: ChildProcess) => void } = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, ['bin/syco.js', ...args], { ...opts, env: { ...process.env, SYCO_QUIET: '1', ...opts.env } });
}
