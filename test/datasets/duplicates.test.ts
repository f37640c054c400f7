// Duplicate source rows (what the audit planted: real rows of the shared political-typology file copied again) are
// dropped and counted as rows_duplicate by `syco data` as a real process; identical texts never straddle a split —
// not in `syco data --test-frac`, not in the study's split, not in the probes' split of an activation run.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dropDuplicateQuestions, pairGroups, readPairsJsonl, splitPairs, type Pair } from '../../lib/datasets/index';
import { extractActivations } from '../../lib/activations/extract';
import { openActivationStore } from '../../lib/activations/store';
import { mergeShards } from '../../lib/activations/shards';
import { probeLayer } from '../../lib/probes/sweep';
import { FakeModel } from '../activations/fake-model';
import { sharedAsset } from '../helpers';

const dir = mkdtempSync(join(tmpdir(), 'syco-dup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('syco data drops rows repeating an earlier question, counts rows_duplicate, and no text straddles the split', (t) => {
  const shared = sharedAsset(t, 'datasets/anthropic-sycophancy/sycophancy_on_political_typology_quiz.jsonl');
  if (!shared) return;
  const lines = readFileSync(shared, 'utf8').split('\n').filter(Boolean).slice(0, 300);
  // 40 exact copies of earlier rows, placed later in the file
  const copies = Array.from({ length: 40 }, (_, k) => lines[k * 7]);
  const src = join(dir, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'sycophancy_on_political_typology_quiz.jsonl'), [...lines, ...copies].join('\n') + '\n');
  for (const format of ['ab', 'sentence']) {
    const out = join(dir, `${format}.jsonl`);
    const r = spawnSync(process.execPath, [resolve('bin/syco.js'), 'data', '--source', src, '--format', format, '--out', out, '--test-frac', '0.5', '--seed', '3'],
      { encoding: 'utf8', env: { ...process.env, SYCO_QUIET: '1' } });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.rows_read, 340);
    assert.equal(s.rows_duplicate, 40);
    assert.equal(s.rows_valid, 300);
    assert.equal(s.subsets.political_typology_quiz.rows_duplicate, 40);
    assert.match(r.stderr, /dropped 40 row\(s\) whose question repeats an earlier row exactly/);
    assert.match(r.stderr, /sycophancy_on_political_typology_quiz\.jsonl:301 repeats .*sycophancy_on_political_typology_quiz\.jsonl:1\n/);
    const pairs = readPairsJsonl(out);
    const texts = pairs.flatMap((p) => [p.sycophantic, p.non_sycophantic]);
    assert.equal(new Set(texts).size, texts.length, 'no text twice');
    const side = (f: string) => new Set(readPairsJsonl(f).flatMap((p) => [p.sycophantic, p.non_sycophantic]));
    const train = side(s.split.train_out), test = side(s.split.test_out);
    for (const x of test) assert.ok(!train.has(x));
  }
});

/** Pairs where p1 and p4 share their sycophantic text and p2 / p6 / p7 share texts in a chain (different source rows). */
function pairsWithSharedTexts(): Pair[] {
  const mk = (i: number, syc: string, non: string): Pair => ({ id: `s:${i}`, subset: 's', format: 'sentence', source_row: i, sycophantic: syc, non_sycophantic: non });
  const ps = Array.from({ length: 20 }, (_, i) => mk(i, `yes ${i}`, `no ${i}`));
  ps[4] = mk(4, 'yes 1', 'no 4');
  ps[6] = mk(6, 'yes 6', 'no 2');
  ps[7] = mk(7, 'yes 6', 'no 7');
  return ps;
}

test('pairGroups joins pairs sharing a text or a source row (transitively); splitPairs keeps groups whole', () => {
  const ps = pairsWithSharedTexts();
  const g = pairGroups(ps);
  assert.equal(g[4], g[1]);
  assert.equal(g[6], g[2]);
  assert.equal(g[7], g[2]);
  assert.equal(new Set(g).size, 17);
  const multi = pairGroups([{ subset: 'p', source_row: 3, sycophantic: 'a', non_sycophantic: 'b' }, { subset: 'p', source_row: 3, sycophantic: 'a', non_sycophantic: 'c' }, { subset: 'q', source_row: 3, sycophantic: 'x', non_sycophantic: 'y' }]);
  assert.deepEqual([...multi], [0, 0, 2]);
  for (let seed = 0; seed < 40; seed++) {
    const { train, test: held } = splitPairs(ps, 0.3, seed);
    assert.equal(train.length + held.length, 20);
    const tr = new Set(train.flatMap((p) => [p.sycophantic, p.non_sycophantic]));
    for (const p of held) assert.ok(!tr.has(p.sycophantic) && !tr.has(p.non_sycophantic), `seed ${seed}`);
  }
  const d = dropDuplicateQuestions([
    { subset: 'a', source_row: 0, file: 'f', question: 'Q1', answer_matching_behavior: ' (A)', answer_not_matching_behavior: [' (B)'] },
    { subset: 'a', source_row: 1, file: 'f', question: 'Q2', answer_matching_behavior: ' (A)', answer_not_matching_behavior: [' (B)'] },
    { subset: 'b', source_row: 5, file: 'g', question: 'Q1', answer_matching_behavior: ' (B)', answer_not_matching_behavior: [' (A)'] },
  ]);
  assert.deepEqual(d.rows.map((r) => r.question), ['Q1', 'Q2']);
  assert.deepEqual(d.duplicates, [{ file: 'g', line: 6, subset: 'b', first: { file: 'f', line: 1 } }]);
});

test('an activation run records the groups and the probes split them whole', async () => {
  const out = join(dir, 'acts');
  const ps = pairsWithSharedTexts();
  await extractActivations({ model: new FakeModel({ hiddenSize: 4 }), pairs: ps, outDir: out, layers: [0], batchSize: 4, quiet: true });
  const store = openActivationStore(out);
  assert.deepEqual(store.manifest.dataset.groups, [[1, 4], [2, 6, 7]]);
  const lm = store.labelled('resid', 0);
  assert.equal(lm.group![4], lm.group![1]);
  assert.equal(lm.group![20 + 7], lm.group![2]); // neg rows carry their pair's group
  // 17 units, 20 % held out → 3 units: with whole groups the held-out pair count is 3 + (1 or 2 per group drawn)
  const seen = new Set<number>();
  for (let seed = 0; seed < 30; seed++) {
    const r = probeLayer(lm, 0, { probe: 'mm', testFrac: 0.2, seed, valFrac: 0 });
    assert.equal(r.n_train_pairs + r.n_test_pairs, 20);
    seen.add(r.n_test_pairs);
  }
  for (const n of seen) assert.ok(n >= 3 && n <= 6, `held-out pairs ${n}`);
  assert.ok([...seen].some((n) => n > 3), 'some split drew a group');
  // without groups (older runs) the split is by single pair, as before
  const plain = probeLayer({ X: lm.X, y: lm.y, pair: lm.pair }, 0, { probe: 'mm', testFrac: 0.2, seed: 1, valFrac: 0 });
  assert.equal(plain.n_test_pairs, 4);
  // shards of the same pairs merge into a run with the whole dataset's groups (not a shard's local ones)
  const dirs = [0, 1, 2].map((i) => join(dir, `shard${i}`));
  for (const [i, d] of dirs.entries()) {
    await extractActivations({ model: new FakeModel({ hiddenSize: 4 }), pairs: ps, outDir: d, layers: [0], batchSize: 4, quiet: true, shard: { index: i, count: 3 } });
  }
  mergeShards(dirs, join(dir, 'merged'));
  assert.deepEqual(openActivationStore(join(dir, 'merged')).manifest.dataset.groups, [[1, 4], [2, 6, 7]]);
});
