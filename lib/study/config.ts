// The study's parameters: defaults, overridden by SYCO_* environment variables, overridden by explicit values.
// Notebooks and `syco run` read the same settings (lib/study/settings.ts holds one row per setting), so a notebook runs
// on a 7B model at home and on stories260K in CI.
import { mergeSettings, settingsFromEnv, type StudyConfig } from './settings';

export { DEFAULT_MODEL, defaultStudyConfig, parseLayerSpec, type StudyConfig } from './settings';
export { modelTag } from '../model/tag';

/** Study settings from SYCO_* environment variables (unset ones keep their defaults), then explicit overrides. */
export function studyConfig(overrides: Partial<StudyConfig> = {}, env: Record<string, string | undefined> = process.env): StudyConfig {
  const out = mergeSettings(settingsFromEnv(env), overrides);
  validateStudyConfig(out);
  return out;
}

/** Check settings that must hold together; throws naming the setting at fault. */
export function validateStudyConfig(c: StudyConfig): void {
  if (!c.model) throw new Error('study config: model is empty (set --model or SYCO_MODEL)');
  if (!c.data) throw new Error('study config: data is empty (set --data or SYCO_DATA)');
  if (!Number.isInteger(c.pairs) || c.pairs < 4) throw new Error(`study config: pairs must be an integer ≥ 4, got ${c.pairs}`);
  if (!c.hooks.includes('resid')) throw new Error('study config: hooks must include resid (steering vectors and probes read it)');
  if (!c.multipliers.length) throw new Error('study config: multipliers is empty');
  for (const m of c.multipliers) if (!Number.isFinite(m)) throw new Error(`study config: multiplier ${m} is not a number`);
}

/** The signed multipliers a sweep runs: +m and −m for each m ≠ 0, and 0 (the control), sorted. */
export function signedMultipliers(multipliers: number[]): number[] {
  const s = new Set<number>([0]);
  for (const m of multipliers) {
    if (m !== 0) {
      s.add(Math.abs(m));
      s.add(-Math.abs(m));
    }
  }
  return [...s].sort((a, b) => a - b);
}

/** The layer two thirds of the way through the captured ones (the study's focus: where steering works best), one rule for every figure and the steered layers. */
export function twoThirdsLayer(captured: readonly number[]): number {
  if (!captured.length) throw new Error('twoThirdsLayer: no layers');
  return captured[Math.round((captured.length - 1) * (2 / 3))];
}

/** The steered layers: the configured list, or three layers around two thirds of the depth ('auto'). */
export function resolveSteerLayers(c: Pick<StudyConfig, 'steerLayers'>, captured: number[]): number[] {
  if (c.steerLayers !== 'auto') {
    for (const l of c.steerLayers) {
      if (!captured.includes(l)) throw new Error(`study config: steer layer ${l} was not captured (captured: ${captured.join(', ')})`);
    }
    return c.steerLayers;
  }
  if (captured.length <= 3) return [...captured];
  const centre = captured.indexOf(twoThirdsLayer(captured));
  const lo = Math.max(0, Math.min(captured.length - 3, centre - 1));
  return captured.slice(lo, lo + 3);
}

