import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';

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
