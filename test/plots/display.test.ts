import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { inTslabKernel, notebookDisplay, probeAccuracyByLayer, showFigure } from '../../lib/plots/index';
import { configureRuntime } from '../../lib/util/runtime';

test('showFigure outside a tslab kernel prints a one-line summary and never loads tslab', () => {
  assert.equal(inTslabKernel(), false);
  assert.equal(notebookDisplay(), null);
  const tslabLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => /[\\/]tslab[\\/]dist[\\/]public\.js$/.test(k));
  const fig = probeAccuracyByLayer([{ probe: 'logistic', layer: 0, test: 0.5 }], { subtitle: 'toy' });
  const written: string[] = [];
  const write = process.stdout.write;
  const before = configureRuntime({ quiet: false });
  process.stdout.write = ((s: string) => {
    written.push(String(s));
    return true;
  }) as typeof process.stdout.write;
  try {
    showFigure(fig);
    configureRuntime({ quiet: true });
    showFigure(fig);
  } finally {
    process.stdout.write = write;
    configureRuntime(before);
  }
  assert.deepEqual(written, ['[figure] Linear-probe accuracy by layer — toy: 1 trace — logistic — held-out (1)\n']);
  assert.equal(tslabLoaded(), false);
});
