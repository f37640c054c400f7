import { parseArgs, type ParseArgsConfig } from 'node:util';
import { hookNamesText, isHookName, type HookName } from '../model/types';
import { parseLayerSpec } from '../study/settings';

/**
 * Exit code of a command that finished and saved its results but left part of its stage undone (e.g. judge requests
 * that failed): re-running the same command retries what is missing. 1 is an error that stopped it, 2 a usage error.
 */
export const EXIT_INCOMPLETE = 3;

/** A CLI usage error: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parse a command's flags strictly; unknown flags and missing values become a UsageError. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const given = /'(-{1,2}[^']+)'/.exec(e.message)?.[1] ?? '';
      const near = closestFlag(given.replace(/^-+/, '').split('=')[0], Object.keys(options));
      throw new UsageError(`syco ${command}: unknown flag ${given}${near ? `; did you mean --${near}?` : ''} (\`syco ${command} --help\` lists every flag)`);
    }
    throw new UsageError(`syco ${command}: ${e.message} (\`syco ${command} --help\` lists every flag)`);
  }
}

/** Levenshtein edit distance between two short strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The known flag closest to `given` by edit distance (a typo, a missing or extra letter), or null when none is close. */
export function closestFlag(given: string, known: readonly string[]): string | null {
  if (!given) return null;
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(given.toLowerCase(), k);
    if (d < bestD) { bestD = d; best = k; }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(given.length / 3)) ? best : null;
}

/** Require a string flag, or throw a UsageError naming it. */
export function required(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`syco ${command}: --${name} is required`);
  return value;
}

/** Parse a number flag, or throw a UsageError naming it. */
export function numberFlag(command: string, name: string, value: string | undefined, fallback?: number, opts: { above?: number; atLeast?: number } = {}): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`syco ${command}: --${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`syco ${command}: --${name} must be a number, got "${value}"`);
  if (opts.above !== undefined && !(n > opts.above)) throw new UsageError(`syco ${command}: --${name} must be > ${opts.above}, got ${value}`);
  if (opts.atLeast !== undefined && !(n >= opts.atLeast)) throw new UsageError(`syco ${command}: --${name} must be ≥ ${opts.atLeast}, got "${value}"`);
  return n;
}

/** Parse a comma list of numbers ("-1,0,1"), a range ("0-4") or a mix ("0-2,5"). */
export function parseNumberList(command: string, name: string, value: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a) throw new UsageError(`syco ${command}: --${name} range "${part}" is empty`);
      for (let i = a; i <= b; i++) out.push(i);
      continue;
    }
    const n = Number(part);
    if (!Number.isFinite(n)) throw new UsageError(`syco ${command}: --${name}: "${part}" is not a number or range`);
    out.push(n);
  }
  if (!out.length) throw new UsageError(`syco ${command}: --${name} is empty`);
  return out;
}

/** Parse a layer selection with the study's one layer grammar: "all", a range "2-5", a list "1,3,5" or a mix. */
export function parseLayers(command: string, value: string | undefined): number[] | 'all' {
  if (value === undefined) return 'all';
  try {
    return parseLayerSpec('--layers', value);
  } catch (err) {
    throw new UsageError(`syco ${command}: ${(err as Error).message}`);
  }
}

/** One of a fixed set of values, or a UsageError naming the flag and the choices. */
export function oneOfFlag<T extends string>(command: string, name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const choices = allowed.length === 2 ? `${allowed[0]} or ${allowed[1]}` : `one of ${allowed.join(', ')}`;
  throw new UsageError(`syco ${command}: --${name} must be ${choices}, got "${value}"`);
}

/** The choices of a flag for usage text: "a (note), b, c (note)", wrapped to `width` columns after an `indent`-space margin. */
export function choicesHelp(choices: readonly (readonly [name: string, note?: string])[], indent: number, width = 104): string {
  const words = choices.map(([name, note], i) => `${name}${note ? ` (${note})` : ''}${i < choices.length - 1 ? ',' : ''}`).join(' ').split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent + line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Usage text of a --hook flag: "resid (default), mlp or attn". */
export function hookFlagHelp(): string {
  return hookNamesText().replace(/^resid\b/, 'resid (default)');
}

/** A hook flag (default resid). */
export function hookFlag(command: string, value: string | undefined): HookName {
  const hook = value ?? 'resid';
  if (!isHookName(hook)) throw new UsageError(`syco ${command}: --hook must be ${hookNamesText()}, got "${hook}"`);
  return hook;
}

/** An optional integer flag (≥ min), or a UsageError naming it. */
export function intFlag(command: string, name: string, value: string | undefined, min = -Infinity): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isInteger(x) || x < min) {
    throw new UsageError(`syco ${command}: --${name} must be an integer${min > -Infinity ? ` ≥ ${min}` : ''}, got "${value}"`);
  }
  return x;
}

/** Parse --max-tokens of a command (an integer ≥ 2, or undefined when absent). */
export function maxTokensFlag(command: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = numberFlag(command, 'max-tokens', value);
  if (!Number.isInteger(n) || n < 2) throw new UsageError(`syco ${command}: --max-tokens must be an integer ≥ 2, got ${value}`);
  return n;
}
