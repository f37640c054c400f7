// `syco data` end to end: spawns `node bin/syco.js data ...` and checks the JSONL and the one-line JSON summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedAsset } from '../helpers';
import { parseCsv, readPairsJsonl } from '../../lib/datasets/index';

const FIX = 'test/fixtures/datasets';

function syco(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['bin/syco.js', 'data', ...args], { encoding: 'utf8', env: { ...process.env, SYCO_QUIET: '1' } });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'syco-cli-data-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('syco data on the shared political typology file: both formats, summary on stdout', (t) => {
  const file = sharedAsset(t, 'datasets/anthropic-sycophancy/sycophancy_on_political_typology_quiz.jsonl');
  if (!file) return;
  const dir = join(file, '..');
  withTmp((tmp) => {
    for (const format of ['ab', 'sentence'] as const) {
      const out = join(tmp, `${format}.jsonl`);
      const res = syco(['--source', dir, '--format', format, '--out', out]);
      assert.equal(res.status, 0, res.stderr);
      const lines = res.stdout.trim().split('\n');
      assert.equal(lines.length, 1, 'one summary line on stdout');
      const summary = JSON.parse(lines[0]);
      assert.equal(summary.format, format);
      assert.equal(summary.rows_read, 10200);
      assert.equal(summary.rows_skipped, 0);
      assert.equal(summary.pairs_written, 10200);
      assert.equal(summary.pairs_dropped_short, 0);
      assert.deepEqual(summary.subsets, {
        political_typology_quiz: { rows_read: 10200, rows_valid: 10200, rows_skipped: 0, rows_duplicate: 0, pairs_built: 10200, pairs_dropped_short: 0, pairs_written: 10200 },
      });
      const pairs = readPairsJsonl(out);
      assert.equal(pairs.length, 10200);
      assert.equal(pairs[0].id, 'political_typology_quiz:0');
      assert.equal(pairs[0].format, format);
      assert.deepEqual(Object.keys(pairs[0]).slice(0, 4), ['id', 'subset', 'format', 'source_row']);
      assert.ok(pairs[0].sycophantic.startsWith('Question: Hello, my name is Jane Doe.'));
      assert.ok(format === 'ab' ? pairs[0].sycophantic.endsWith('Answer: (B)') : pairs[0].sycophantic.endsWith('I would select: A bigger government providing more services'));
    }
  });
});

test('syco data --limit/--seed is deterministic; --test-frac writes a disjoint split; --csv exports', () => {
  withTmp((tmp) => {
    const run = (name: string, seed: string) => {
      const out = join(tmp, name);
      const res = syco(['--source', join(FIX, 'good'), '--format', 'ab', '--limit', '4', '--seed', seed, '--out', out, '--test-frac', '0.5', '--csv', join(tmp, `${name}.csv`)]);
      assert.equal(res.status, 0, res.stderr);
      return { summary: JSON.parse(res.stdout), pairs: readPairsJsonl(out), out };
    };
    const a = run('a.jsonl', '5');
    const b = run('b.jsonl', '5');
    assert.deepEqual(a.pairs, b.pairs);
    assert.equal(a.summary.rows_read, 7);
    assert.equal(a.summary.pairs_built, 8);
    assert.equal(a.summary.pairs_written, 4);
    assert.deepEqual(Object.keys(a.summary.subsets), ['nlp_survey', 'philpapers2020', 'political_typology_quiz']);
    const written = Object.values(a.summary.subsets as Record<string, { pairs_written: number }>).reduce((s, x) => s + x.pairs_written, 0);
    assert.equal(written, 4);
    const train = readPairsJsonl(a.summary.split.train_out);
    const test2 = readPairsJsonl(a.summary.split.test_out);
    assert.equal(a.summary.split.train_out, join(tmp, 'a.train.jsonl'));
    assert.equal(train.length + test2.length, 4);
    assert.deepEqual([...train, ...test2].map((p) => p.id).sort(), a.pairs.map((p) => p.id).sort());
    const rowsOf = (ps: typeof train) => new Set(ps.map((p) => `${p.subset}:${p.source_row}`));
    for (const r of rowsOf(test2)) assert.ok(!rowsOf(train).has(r));
    const csv = parseCsv(readFileSync(join(tmp, 'a.jsonl.csv'), 'utf8'), 'a.csv');
    assert.equal(csv.length, 5);
    assert.equal(csv[0].cells[0], 'id');
  });
});

test('syco data: a malformed row fails with file:line; --skip-bad counts and reports skipped rows', () => {
  withTmp((tmp) => {
    const file = join(FIX, 'bad', 'sycophancy_on_political_typology_quiz.jsonl');
    const out = join(tmp, 'p.jsonl');
    const fail = syco(['--source', join(FIX, 'bad'), '--format', 'sentence', '--out', out]);
    assert.equal(fail.status, 1);
    assert.equal(fail.stdout, '');
    assert.equal(fail.stderr, `syco data: ${file}:2: not valid JSON: "not json at all"\n`);
    const ok = syco(['--source', join(FIX, 'bad'), '--format', 'sentence', '--out', out, '--skip-bad']);
    assert.equal(ok.status, 0, ok.stderr);
    const s = JSON.parse(ok.stdout);
    assert.equal(s.rows_read, 6);
    assert.equal(s.rows_valid, 3);
    assert.equal(s.rows_skipped, 3);
    assert.equal(s.pairs_built, 2);
    assert.equal(s.pairs_dropped_short, 1);
    assert.equal(s.pairs_written, 2);
    assert.equal(ok.stderr, [
      'syco data: skipped 3 malformed row(s):',
      `  ${file}:2: not valid JSON: "not json at all"`,
      `  ${file}:5: missing field "question"`,
      `  ${file}:6: answer_matching_behavior " (D)" names no choice line (choices: (A), (B))`,
      '',
    ].join('\n'));
    assert.deepEqual(readPairsJsonl(out).map((p) => p.id), ['political_typology_quiz:0', 'political_typology_quiz:2']);
  });
});

test('syco data: usage errors exit 2 with a message naming the flag', () => {
  const cases: Array<[string[], string]> = [
    [['--format', 'ab', '--out', 'x.jsonl'], 'syco data: --source is required\n'],
    [['--source', FIX, '--format', 'abc', '--out', 'x.jsonl'], 'syco data: --format must be ab or sentence, got "abc"\n'],
    [['--source', FIX, '--format', 'ab', '--out', 'x.jsonl', '--subset', 'nlp'], 'syco data: unknown --subset "nlp" (known: nlp_survey, philpapers2020, political_typology_quiz)\n'],
    [['--source', FIX, '--format', 'ab', '--out', 'x.jsonl', '--limit=2.5'], 'syco data: --limit must be a non-negative integer, got "2.5"\n'],
  ];
  for (const [args, msg] of cases) {
    const res = syco(args);
    assert.equal(res.status, 2, args.join(' '));
    assert.equal(res.stderr, msg);
  }
  const help = syco(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: syco data --source/);
});
