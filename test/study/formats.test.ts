// A/B vs sentence formats side by side from one command (`syco formats`), and the panel combiner behind the figure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sharedAsset } from '../helpers';
import { probeAccuracyByLayer, sideBySide, type Layout } from '../../lib/plots/index';

const tmp = mkdtempSync(join(tmpdir(), 'syco-formats-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('sideBySide: each figure on its own axes, panel titles, legend entries once, per-panel chance lines', () => {
  const a = probeAccuracyByLayer([{ probe: 'lr', layer: 0, test: 0.5 }, { probe: 'lr', layer: 1, test: 0.7 }]);
  const b = probeAccuracyByLayer([{ probe: 'lr', layer: 0, test: 0.6 }, { probe: 'lr', layer: 1, test: 0.9 }]);
  const f = sideBySide([a, b], { title: 'T', panelTitles: ['left', 'right'] });
  assert.deepEqual(f.data.map((t) => [t.xaxis, t.yaxis, t.showlegend]), [['x', 'y', true], ['x2', 'y2', false]]);
  assert.deepEqual(f.data.map((t) => t.y), [[0.5, 0.7], [0.6, 0.9]]);
  const dom = (k: string) => (f.layout[k] as Layout).domain as number[];
  assert.ok(dom('xaxis')[1] < dom('xaxis2')[0], 'panels do not overlap');
  assert.deepEqual((f.layout.shapes as Layout[]).map((s) => s.xref), ['x domain', 'x2 domain']);
  assert.deepEqual((f.layout.annotations as Layout[]).filter((x) => /<b>/.test(String(x.text))).map((x) => x.text), ['<b>left</b>', '<b>right</b>']);
  assert.throws(() => sideBySide([a], { title: 'T', panelTitles: [] }), /0 panel titles for 1 figures/);
});

test('syco formats: one command runs both formats on stories260K and writes one side-by-side figure and a report', (t) => {
  const model = sharedAsset(t, 'models/stories260K-onnx');
  const data = sharedAsset(t, 'datasets/anthropic-sycophancy');
  if (!model || !data) return;
  const out = join(tmp, 'cmp');
  const r = spawnSync(process.execPath, ['bin/syco.js', 'formats', '--model', model, '--data', data, '--pairs', '40', '--max-tokens', '512', '--probes', 'lr', '--out', out, '--figures', 'html'],
    { encoding: 'utf8', env: { ...process.env, SYCO_QUIET: '1' }, timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.dir, out);
  for (const f of ['ab', 'sentence']) {
    const cfg = JSON.parse(readFileSync(join(out, f, 'config.json'), 'utf8'));
    assert.equal(cfg.format, f);
    assert.ok(existsSync(join(out, f, 'probes', 'lr.json')));
  }
  // The A/B texts of a pair end in different letters, the sentence texts in different answers.
  const ab = readFileSync(join(out, 'ab', 'data', 'pairs.jsonl'), 'utf8').split('\n')[0];
  assert.match(JSON.parse(ab).sycophantic, /\([A-Z]\)\s*$/);
  const html = readFileSync(join(out, 'figures', 'formats-probes.html'), 'utf8');
  assert.match(html, /A\/B format \(letter answers\)/);
  assert.match(html, /sentence format \(answer text\)/);
  assert.match(html, /"xaxis2"/);
  const report = readFileSync(summary.report, 'utf8');
  assert.match(report, /Best layer per format and probe/);
  assert.equal((report.match(/95% interval/g) ?? []).length >= 2, true);
});
