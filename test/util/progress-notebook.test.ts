// In a Jupyter (tslab) kernel, progress redraws one line in place on stdout instead of printing lines to stderr.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Progress } from '../../lib/util/progress';
import { configureRuntime } from '../../lib/util/runtime';

test('progress in a tslab kernel: carriage-return redraws on stdout, one line as Jupyter renders it, nothing on stderr', async () => {
  const argv = process.argv;
  let before: ReturnType<typeof configureRuntime> | undefined;
  const out: string[] = [];
  const err: string[] = [];
  const w1 = process.stdout.write, w2 = process.stderr.write;
  process.argv = [argv[0], '/x/node_modules/tslab/dist/main.js', 'kernel'];
  before = configureRuntime({ quiet: false });
  // Only the progress writes (the test runner itself talks to its parent over stdout too).
  process.stdout.write = ((s: string) => (String(s).includes('extract') ? out.push(String(s)) : w1.call(process.stdout, s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (String(s).includes('extract') ? err.push(String(s)) : w2.call(process.stderr, s), true)) as typeof process.stderr.write;
  try {
    const p = new Progress({ label: 'extract', total: 3 });
    p.tick();
    await new Promise((r) => setTimeout(r, 520));
    p.tick();
    p.tick();
    p.finish();
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
    process.argv = argv;
    if (before) configureRuntime(before);
  }
  assert.deepEqual(err, []);
  const text = out.join('');
  assert.ok(out.length >= 3, out.join('|'));
  assert.ok(out.slice(0, -1).every((s) => s.startsWith('\r') && !s.includes('\n')), 'redraws only');
  assert.ok(text.endsWith('\n'));
  // Jupyter's front ends keep only what follows the last carriage return of a line.
  const shown = text.split('\n').map((l) => l.slice(l.lastIndexOf('\r') + 1)).filter(Boolean);
  assert.equal(shown.length, 1);
  assert.match(shown[0], /^extract .* 3\/3 100%/);
});
