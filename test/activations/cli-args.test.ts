// Flag parsing of `syco extract` (no model needed): negative positions, hooks, layers and usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { joinNegativeValues, parseHooks, parsePosition } from '../../lib/cli/extract';
import { UsageError } from '../../lib/cli/args';

test('extract flags: "--position -2" is a value, hooks and positions are validated', () => {
  assert.deepEqual(joinNegativeValues(['--position', '-2', '--quiet', '--limit', '5']), ['--position=-2', '--quiet', '--limit', '5']);
  assert.deepEqual(joinNegativeValues(['--position', '-1']), ['--position=-1']);
  assert.deepEqual(joinNegativeValues(['--quiet', '-2']), ['--quiet', '-2'], 'boolean flags take no value');
  assert.equal(parsePosition(undefined), -2);
  assert.equal(parsePosition('-1'), -1);
  assert.equal(parsePosition('mean'), 'mean');
  assert.throws(() => parsePosition('last'), (e: Error) => e instanceof UsageError && /--position must be an integer/.test(e.message));
  assert.deepEqual(parseHooks(undefined), ['resid']);
  assert.deepEqual(parseHooks('resid,mlp'), ['resid', 'mlp']);
  assert.throws(() => parseHooks('resid,attention'), /unknown hook "attention"/);
});

test('syco extract: usage errors exit 2 with one clear line, --help prints the flags', () => {
  const bin = resolve('bin/syco.js');
  const missing = spawnSync(process.execPath, [bin, 'extract', '--pairs', 'x.jsonl', '--out', '/tmp/x'], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr.trim(), 'syco extract: --model is required');
  const badBatch = spawnSync(process.execPath, [bin, 'extract', '--model', 'm', '--pairs', 'p', '--out', 'o', '--batch-size', '1'], { encoding: 'utf8' });
  assert.equal(badBatch.status, 2);
  assert.match(badBatch.stderr, /--batch-size must be an integer ≥ 2/);
  const help = spawnSync(process.execPath, [bin, 'extract', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--position\s+token position per text/);
});
