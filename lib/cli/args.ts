import { parseArgs, type ParseArgsConfig } from 'node:util';

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
    throw new UsageError(`syco ${command}: ${(err as Error).message}`);
  }
}

/** Require a string flag, or throw a UsageError naming it. */
export function required(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`syco ${command}: --${name} is required`);
  return value;
}

/** Parse a number flag, or throw a UsageError naming it. */
export function numberFlag(command: string, name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`syco ${command}: --${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`syco ${command}: --${name} must be a number, got "${value}"`);
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

/** Parse a layer selection: "all" (returns undefined) or a list/range of 0-based layers. */
export function parseLayers(command: string, value: string | undefined): number[] | 'all' {
  if (value === undefined || value === 'all') return 'all';
  const layers = parseNumberList(command, 'layers', value);
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0) throw new UsageError(`syco ${command}: --layers: ${l} is not a 0-based layer index`);
  }
  return layers;
}
