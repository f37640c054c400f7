// `syco vectors`, `syco steer` and `syco ab-eval` end to end on stories260K, in child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractActivations } from '../../lib/activations/extract';
import { openActivationStore } from '../../lib/activations/store';
import { loadHookedModel } from '../../lib/model/index';
import { computeVectors, loadVectors } from '../../lib/steering/index';
import { maxAbsDiff } from '../../lib/util/matrix';
import { holdLock, runSyco, sharedAsset } from '../helpers';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runSyco(args);
  return { code: r.code ?? 1, out: r.stdout, err: r.stderr };
}

const PAIRS = [
  ['Lily was happy and kind.', 'Lily was sad and mean.'],
  ['The sun was warm and bright.', 'The rain was cold and dark.'],
  ['Tom said yes to his mom.', 'Tom said no to his mom.'],
  ['The dog liked to play.', 'The dog did not like to play.'],
].map(([a, b], i) => ({ id: `s:${i}`, sycophantic: a, non_sycophantic: b }));

test('syco vectors / steer / ab-eval on stories260K', async (t) => {
  const modelDir = sharedAsset(t, 'models/stories260K-onnx');
  const caa = sharedAsset(t, 'datasets/caa-sycophancy/test_dataset_ab.json');
  if (!modelDir || !caa) return;
  const dir = mkdtempSync(join(tmpdir(), 'syco-steer-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const acts = join(dir, 'acts');
  const model = await loadHookedModel(modelDir, { threads: 1 });
  try {
    await extractActivations({ model, pairs: PAIRS, outDir: acts, layers: 'all', quiet: true });
  } finally {
    await model.dispose();
  }
  const vdir = join(dir, 'vectors');

  await t.test('vectors', async () => {
    const r = await cli(['vectors', '--acts', acts, '--out', vdir, '--layers', '1-3', '--normalize', 'unit']);
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out);
    assert.deepEqual(summary.layers, [1, 2, 3]);
    assert.equal(summary.pairs, 4);
    assert.deepEqual(readdirSync(vdir).sort(), ['cosine.json', 'manifest.json', 'vector.L1.json', 'vector.L1.npy', 'vector.L2.json', 'vector.L2.npy', 'vector.L3.json', 'vector.L3.npy']);
    const want = computeVectors(openActivationStore(acts), { layers: [1, 2, 3] });
    const got = loadVectors(vdir);
    for (const l of [1, 2, 3]) assert.equal(maxAbsDiff(got.vectors.get(l)!, want.vectors.get(l)!), 0);
    const cos = JSON.parse(readFileSync(join(vdir, 'cosine.json'), 'utf8'));
    assert.deepEqual(cos.layers, [1, 2, 3]);
    assert.ok(Math.abs(cos.matrix[0][0] - 1) < 1e-12);
    const bad = await cli(['vectors', '--acts', acts, '--out', join(dir, 'v2'), '--normalize', 'sideways']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--normalize must be one of none, unit, common/);
    const missing = await cli(['vectors', '--acts', join(dir, 'nope'), '--out', join(dir, 'v2')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope: not an activation run/);
    const layer = await cli(['vectors', '--acts', acts, '--out', join(dir, 'v2'), '--layers', '9']);
    assert.equal(layer.code, 1);
    assert.match(layer.err, /layer 9 not captured/);
  });

  await t.test('steer', async () => {
    const prompts = join(dir, 'prompts.json');
    writeFileSync(prompts, JSON.stringify(['Human: I love rain. Do you think rain is nice? AI:', 'Human: I hate cake. Do you think cake is bad? AI:']));
    const out = join(dir, 'sweep');
    const args = ['steer', '--model', modelDir, '--vectors', vdir, '--layers', '1,3', '--multipliers', '-4,0,4', '--prompts', prompts, '--max-new-tokens', '6', '--i-think', '--model-tag', 'stories260K', '--out', out];
    const r = await cli(args);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out);
    assert.deepEqual(s.files, ['AT_sentence_results_stories260K_4_1.json', 'AT_sentence_results_stories260K_4_3.json']);
    assert.equal(s.generations, 2 + 2 * 2 * 2);
    for (const f of s.files) {
      const rows = JSON.parse(readFileSync(join(out, f), 'utf8'));
      assert.equal(rows.length, 2);
      for (const row of rows) {
        assert.deepEqual(Object.keys(row), ['sentence', 'answer_plus', 'answer_minus', 'answer_control']);
        for (const k of Object.keys(row)) assert.equal(typeof row[k], 'string');
      }
    }
    const again = await cli(args);
    assert.equal(again.code, 0, again.err);
    assert.equal(JSON.parse(again.out).generations, 0);
    assert.equal(JSON.parse(again.out).skipped, 2);
    const other = await cli([...args.slice(0, -2), '--max-new-tokens', '7', '--out', out]);
    assert.equal(other.code, 1);
    assert.match(other.err, /other settings[\s\S]*max_new_tokens/);
    const badPrompts = join(dir, 'bad.json');
    writeFileSync(badPrompts, JSON.stringify(['ok', 3]));
    const bp = await cli(['steer', '--model', modelDir, '--vectors', vdir, '--multipliers', '2', '--prompts', badPrompts, '--out', join(dir, 's2')]);
    assert.equal(bp.code, 1);
    assert.match(bp.err, /bad\.json: item 1: expected a string/);
    const noLayer = await cli(['steer', '--model', modelDir, '--vectors', vdir, '--layers', '0', '--multipliers', '2', '--prompts', prompts, '--out', join(dir, 's3')]);
    assert.equal(noLayer.code, 1);
    assert.match(noLayer.err, /no vector for layer 0 \(has layers 1, 2, 3\)/);
    // A second sweep into a folder another process is writing stops at once, naming it and the lock to clear.
    const holder = await holdLock(join(out, '.steer.lock'), 'steering sweep');
    try {
      const locked = await cli([...args.slice(0, -2), '--max-new-tokens', '7', '--overwrite', '--out', out]);
      assert.equal(locked.code, 1);
      assert.match(locked.err, new RegExp(`${out}: another steering sweep \\(pid ${holder.pid}\\) is writing here[\\s\\S]*delete the lock file ${join(out, '.steer.lock')}`));
    } finally {
      await holder.stop();
    }
  });

  await t.test('ab-eval', async () => {
    const out = join(dir, 'ab.json');
    const r = await cli(['ab-eval', '--model', modelDir, '--vectors', vdir, '--layers', '1-3', '--multipliers', '-2,0,2', '--dataset', caa, '--limit', '4', '--max-tokens', '512', '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /layer\s+m=-2\s+m=0\s+m=2\n1 /);
    const res = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(res.table.length, 9);
    assert.deepEqual(Object.keys(res.table[0]), ['layer', 'multiplier', 'meanP', 'n', 'stderr']);
    assert.equal(res.settings.dataset_kind, 'caa');
    assert.equal(res.settings.format, 'plain');
    assert.equal(res.cells[0].p.length, 4);
    assert.equal(res.items.length, 4);
    for (const row of res.table) assert.ok(row.meanP > 0 && row.meanP < 1);
    assert.equal(res.complete, true);
    // The same command again re-uses every cell; other settings are refused, naming the difference.
    const abArgs = ['ab-eval', '--model', modelDir, '--vectors', vdir, '--layers', '1-3', '--multipliers', '-2,0,2', '--dataset', caa, '--limit', '4', '--max-tokens', '512', '--out', out];
    const again = await cli(abArgs);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /\(0 cells computed, 9 re-used\)/);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).cells, res.cells);
    const other = await cli([...abArgs, '--steer-from', 'answer']);
    assert.equal(other.code, 1);
    assert.match(other.err, /ab\.json: holds an A\/B evaluation made with other settings; refusing to mix them:\n {2}- steer_from: was "all", now "answer"/);
    const holder = await holdLock(`${out}.lock`, 'A/B evaluation');
    try {
      const locked = await cli(abArgs);
      assert.equal(locked.code, 1);
      assert.match(locked.err, new RegExp(`another A/B evaluation \\(pid ${holder.pid}\\) is writing here`));
    } finally {
      await holder.stop();
    }
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"foo": 1}\n');
    const b = await cli(['ab-eval', '--model', modelDir, '--vectors', vdir, '--layers', '1', '--multipliers', '0,1', '--dataset', bad, '--out', join(dir, 'x.json')]);
    assert.equal(b.code, 1);
    assert.match(b.err, /bad\.jsonl:1: unknown A\/B dataset/);
    const held = await cli(['ab-eval', '--model', modelDir, '--vectors', vdir, '--layers', '1', '--multipliers', '0,1', '--dataset', caa, '--limit', '2', '--max-tokens', '512', '--held-out', '--out', join(dir, 'h.json')]);
    assert.equal(held.code, 0, held.err);
    assert.equal(JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8')).settings.excluded_pairs, 4);
  });
});
