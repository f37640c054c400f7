// lib/ reads as the study's pipeline with data flowing one way: a module imports only its own stage and earlier ones
// (datasets -> model -> activations -> geometry | probes | mlp -> steering -> judge -> study -> cli), the kernels
// (util, linalg) import no stage, and plots/tables/report build from plain data
// (util, linalg and each other only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ORDER: Record<string, number> = {
  util: 0, linalg: 1, plots: 2, tables: 2, report: 2, datasets: 3, model: 4, activations: 5, geometry: 6, probes: 6, mlp: 6,
  steering: 7, judge: 8, study: 9, cli: 10,
};
const DISPLAY = new Set(['plots', 'tables', 'report']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : n.endsWith('.ts') ? [p] : [];
  });
}

test('lib/ imports run one way: no stage imports a later one, the kernels and the display modules import no stage', () => {
  const bad: string[] = [];
  for (const file of tsFiles('lib')) {
    const [, from] = relative('.', file).split(/[\\/]/);
    if (!(from in ORDER)) continue; // lib/index.ts, the one entry point, sees every stage
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = normalize(join(dirname(file), m[1])).split(/[\\/]/);
      if (target[0] !== 'lib' || target.length < 3) {
        if (target[0] === 'lib') bad.push(`${file} imports lib/${target[1]} (the entry point)`);
        continue;
      }
      const to = target[1];
      if (to === from) continue;
      if (!(to in ORDER)) bad.push(`${file} imports unknown folder lib/${to}`);
      else if (ORDER[to] > ORDER[from] || (DISPLAY.has(from) && !DISPLAY.has(to) && ORDER[to] > ORDER.linalg)) bad.push(`${file} (${from}) imports ${m[1]} (${to})`);
    }
  }
  assert.deepEqual(bad, []);
});
