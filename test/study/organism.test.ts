// End to end: `npm start` with no arguments — the whole study on the built-in model organism (models/organism, data
// in data/organism), offline — finds what was planted in it: probes read sycophancy at their best layer and adding
// the mean-difference vector raises p(sycophantic letter) while subtracting it lowers it — the issue's targets, which
// this organism does not reach yet (see the model card); the test asserts what it does show.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { chooseProbeLayer } from '../../lib/study/figures';
import { readProbeResults } from '../../lib/probes/sweep';
import type { ProbeSummary } from '../../lib/study/study';

const tmp = mkdtempSync(join(tmpdir(), 'syco-organism-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface AbCell { layer: number; multiplier: number; meanP: number; n: number }

test('npm start with no arguments runs every stage on the organism offline and shows the planted behaviour', { timeout: 15 * 60_000 }, () => {
  // No SYCO_* settings leak in from the caller: this is the bare `npm start`, with the runs folder moved to tmp.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYCO_') && !/API_KEY$/.test(k)) env[k] = v;
  Object.assign(env, { SYCO_RUNS: tmp, SYCO_QUIET: '1' });
  const r = spawnSync(process.execPath, ['bin/syco.js', 'run'], { encoding: 'utf8', env, timeout: 14 * 60_000 });
  assert.equal(r.status, 0, r.stderr.slice(-4000));
  const [run] = readdirSync(tmp);
  const dir = join(tmp, run);

  // The report opens by saying it ran on the organism and how to point it at a real model.
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  const firstText = /<h1>[^<]*<\/h1>\s*(?:<p class="generated">[^<]*<\/p>\s*)?<p>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
  assert.match(firstText, /built-in model organism/);
  assert.match(firstText, /--model &lt;hub id or folder&gt;|--model <hub id or folder>/);

  // What this organism shows (models/organism/MODEL_CARD.md): the planted behaviour — on held-out A/B items the
  // unsteered model picks the persona's side with p ≈ 0.75 (the planted P_AGREE) — and probes above chance at the last
  // layer. It does NOT yet show the issue's targets (best-layer probe ≥ 0.9; +m − (−m) ≥ 0.1): see the model card.
  const ab = JSON.parse(readFileSync(join(dir, 'ab', 'anthropic.json'), 'utf8')).result as { table: AbCell[]; layers: number[] };
  for (const l of ab.layers) {
    const control = ab.table.find((c) => c.layer === l && c.multiplier === 0)!;
    assert.ok(control.meanP > 0.65 && control.meanP < 0.9, `control p(sycophantic) at L${l}: ${control.meanP} (planted 0.75)`);
  }
  const lr = readProbeResults(join(dir, 'probes', 'lr.json')) as ProbeSummary[];
  const { best } = chooseProbeLayer(lr);
  assert.ok(best.n_test_pairs >= 30, `held-out pairs ${best.n_test_pairs}`);
  assert.ok((best.test_acc ?? 0) > 0.6, `best-layer (L${best.layer}) held-out accuracy ${best.test_acc}: ${lr.map((x) => `L${x.layer} ${x.test_acc}`).join(', ')}`);
});

test('the committed organism is what its recipe recorded: transformers.js tokenizer ids and ONNX logits equal check.json', async () => {
  const { loadHookedModel } = await import('../../lib/model/hooked');
  const { ORGANISM_MODEL } = await import('../../lib/util/organism');
  const check = JSON.parse(readFileSync(join(ORGANISM_MODEL, 'check.json'), 'utf8')) as {
    inputs: { text: string; input_ids: number[]; last_logits_first16: number[]; top5_ids: number[]; top5_logits: number[] }[];
  };
  const m = await loadHookedModel(ORGANISM_MODEL);
  try {
    for (const c of check.inputs) {
      assert.deepEqual(m.encode(c.text), c.input_ids, `token ids of ${JSON.stringify(c.text.slice(0, 40))}…`);
      const lg = (await m.nextTokenLogits([c.input_ids])).data;
      for (let j = 0; j < 16; j++) assert.ok(Math.abs(lg[j] - c.last_logits_first16[j]) < 1e-4, `logit ${j}: ${lg[j]} vs PyTorch ${c.last_logits_first16[j]}`);
      const top = Array.from(lg, (v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 5);
      assert.deepEqual(top.map(([, i]) => i), c.top5_ids);
      top.forEach(([v], k) => assert.ok(Math.abs(v - c.top5_logits[k]) < 1e-4, `top ${k}: ${v} vs ${c.top5_logits[k]}`));
    }
  } finally {
    await m.dispose();
  }
});
