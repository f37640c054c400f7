// The name registries (probe kinds, projection methods, hooks, normalisations): every name has its implementation and
// its reader-facing text, and the settings, CLI usage and error messages list exactly the registry's names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROBE_KINDS, PROBES, probeName } from '../../lib/probes/types';
import { PROBE_TRAINERS, trainProbe } from '../../lib/probes/train';
import { PROJECTION_METHODS, PROJECTIONS } from '../../lib/geometry/methods';
import { embed, PROJECTORS } from '../../lib/geometry/project';
import { methodLabel } from '../../lib/plots/scatter';
import { HOOK_NAMES, HOOKS, isHookName } from '../../lib/model/types';
import { NORMALIZE, NORMALIZE_MODES } from '../../lib/steering/vectors';
import { parseSetting, SETTINGS } from '../../lib/study/settings';
import { Rng } from '../../lib/util/rng';

function blobs(n: number, d: number): { X: { rows: number; cols: number; data: Float32Array }; y: Uint8Array } {
  const r = new Rng(1);
  const data = new Float32Array(2 * n * d);
  const y = new Uint8Array(2 * n);
  for (let i = 0; i < 2 * n; i++) {
    y[i] = i < n ? 1 : 0;
    for (let j = 0; j < d; j++) data[i * d + j] = r.normal() + (y[i] ? 1.5 : -1.5) * (j === 0 ? 1 : 0);
  }
  return { X: { rows: 2 * n, cols: d, data }, y };
}

test('probe registry: every kind trains, has a legend name, and is what settings accept', () => {
  assert.deepEqual(Object.keys(PROBE_TRAINERS), [...PROBE_KINDS]);
  const { X, y } = blobs(20, 4);
  for (const k of PROBE_KINDS) {
    const p = trainProbe(k, X, y, { epochs: 50, tries: 1 });
    assert.equal(p.kind, k);
    assert.notEqual(probeName(k), k, `${k} has a name`);
    assert.ok(PROBES[k].help && PROBES[k].howFit);
  }
  assert.deepEqual(parseSetting('probes', PROBE_KINDS.join(',')), [...PROBE_KINDS]);
  assert.match(SETTINGS.probes.help, new RegExp(PROBE_KINDS.join(',')));
  assert.throws(() => trainProbe('svm' as never, X, y), /unknown probe kind "svm" \(expected one of lr, lr-recipe, mm, mm-iid, ccs\)/);
});

test('projection registry: every method embeds, has a figure label, and is what settings accept', () => {
  assert.deepEqual(Object.keys(PROJECTORS), [...PROJECTION_METHODS]);
  assert.deepEqual(Object.keys(PROJECTIONS), [...PROJECTION_METHODS]);
  const { X } = blobs(30, 5);
  for (const m of PROJECTION_METHODS) {
    assert.notEqual(methodLabel(m), m, `${m} has a label in lib/plots`);
    const e = embed(X, { method: m, iterations: 250, neighbors: 8 });
    assert.equal(e.coords.rows, X.rows);
    assert.equal(typeof e.info.seconds, 'number');
  }
  assert.deepEqual(parseSetting('methods', PROJECTION_METHODS.join(',')), [...PROJECTION_METHODS]);
  assert.throws(() => embed(X, { method: 'isomap' as never }), /unknown method "isomap" \(use pca, tsne, umap, lle, spectral\)/);
});

test('hook and normalisation registries: names in canonical order, settings parse them', () => {
  assert.deepEqual(HOOK_NAMES, ['resid', 'mlp', 'attn']);
  assert.deepEqual(Object.keys(HOOKS), [...HOOK_NAMES]);
  assert.ok(isHookName('mlp') && !isHookName('embeds') && !isHookName('toString'));
  assert.equal(SETTINGS.hooks.arg, HOOK_NAMES.join(','));
  assert.deepEqual(NORMALIZE_MODES, ['none', 'unit', 'common']);
  assert.equal(SETTINGS.normalize.arg, NORMALIZE_MODES.join('|'));
  assert.equal(NORMALIZE.none.target(), undefined);
  assert.equal(NORMALIZE.unit.target(), 1);
  assert.equal(NORMALIZE.common.target(3), 3);
  assert.throws(() => parseSetting('normalize', 'sideways'), /one of none, unit, common/);
});
