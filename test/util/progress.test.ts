import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Progress } from '../../lib/util/progress';
import { configureRuntime } from '../../lib/util/runtime';

configureRuntime({ quiet: false }); // the test runner silences progress; these tests read it

function sink(isTTY = false) {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (s: string) => lines.push(s) } };
}

test('non-TTY progress prints the final line exactly once', () => {
  const s = sink();
  const p = new Progress({ label: 'pairs', total: 3, stream: s.stream, intervalMs: 0 });
  p.tick();
  p.tick();
  p.tick();
  p.finish();
  p.finish();
  assert.equal(s.lines.length, 3);
  assert.match(s.lines[2], /^pairs .* 3\/3 100% /);
});

test('finish prints the final count when the last tick was not printed', () => {
  const s = sink();
  const p = new Progress({ label: 'files', total: 4, stream: s.stream, intervalMs: 60_000 });
  p.tick(); // printed (first line is due at once)
  p.tick(3); // within the interval: not printed
  p.finish();
  assert.equal(s.lines.length, 2);
  assert.match(s.lines[1], / 4\/4 100% /);
});

test('resumed progress announces the starting point and counts only new work toward the total', () => {
  const s = sink();
  const p = new Progress({ label: 'pairs', total: 10, initial: 6, stream: s.stream, intervalMs: 0 });
  assert.equal(s.lines[0], 'pairs: resuming at 6/10\n');
  p.tick(4);
  assert.match(s.lines[1], / 10\/10 100% /);
});
