import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_MODEL, modelTag, parseLayerSpec, resolveSteerLayers, signedMultipliers, studyConfig, twoThirdsLayer,
} from '../../lib/study/config';
import { ORGANISM_DATA, ORGANISM_MODEL } from '../../lib/util/organism';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

test('defaults: the built-in organism and its held-out data, the study position -2, resid and MLP hooks', () => {
  const c = studyConfig({}, {});
  assert.equal(c.model, DEFAULT_MODEL);
  assert.equal(c.model, ORGANISM_MODEL);
  assert.ok(existsSync(join(c.model, 'onnx', 'model.onnx')), 'the organism is committed');
  assert.equal(c.data, ORGANISM_DATA);
  assert.equal(c.position, -2);
  assert.deepEqual(c.hooks, ['resid', 'mlp']);
  assert.equal(c.layers, 'all');
  assert.equal(c.judge, undefined);
});

test('environment variables override defaults and explicit values override the environment', () => {
  const env = {
    SYCO_MODEL: '/models/llama', SYCO_DATA: '/data', SYCO_PAIRS: '60', SYCO_LAYERS: '0-2,7', SYCO_POSITION: '-1',
    SYCO_MULTIPLIERS: '-4, 0, 4', SYCO_METHODS: 'pca,lle', SYCO_PROBES: 'mm,ccs', SYCO_JUDGE: 'none', SYCO_STEER_LAYERS: '1,2',
    SYCO_HOOKS: 'resid', SYCO_FORMAT: 'ab', SYCO_TEST_FRAC: '0.25', SYCO_SEED: '7', SYCO_EMPTY: '',
  };
  const c = studyConfig({ pairs: 30 }, env);
  assert.equal(c.model, '/models/llama');
  assert.equal(c.data, '/data');
  assert.equal(c.pairs, 30);
  assert.deepEqual(c.layers, [0, 1, 2, 7]);
  assert.equal(c.position, -1);
  assert.deepEqual(c.multipliers, [-4, 0, 4]);
  assert.deepEqual(c.methods, ['pca', 'lle']);
  assert.deepEqual(c.probes, ['mm', 'ccs']);
  assert.equal(c.judge, undefined);
  assert.deepEqual(c.steerLayers, [1, 2]);
  assert.deepEqual(c.hooks, ['resid']);
  assert.equal(c.format, 'ab');
  assert.equal(c.testFrac, 0.25);
  assert.equal(c.seed, 7);
  assert.equal(studyConfig({}, { SYCO_POSITION: 'mean' }).position, 'mean');
  assert.equal(studyConfig({}, { SYCO_MODEL: '   ' }).model, DEFAULT_MODEL, 'blank variables keep the default');
});

test('bad settings name the variable and the value', () => {
  assert.throws(() => studyConfig({}, { SYCO_PAIRS: 'many' }), /SYCO_PAIRS="many": expected an integer ≥ 4/);
  assert.throws(() => studyConfig({}, { SYCO_LAYERS: '5-2' }), /SYCO_LAYERS="5-2": expected ranges written low-high/);
  assert.throws(() => studyConfig({}, { SYCO_METHODS: 'pca,mds' }), /SYCO_METHODS="mds": expected one of pca, tsne, umap, lle, spectral/);
  assert.throws(() => studyConfig({}, { SYCO_MULTIPLIERS: '2,x' }), /SYCO_MULTIPLIERS="x": expected a number/);
  assert.throws(() => studyConfig({}, { SYCO_HOOKS: 'mlp' }), /hooks must include resid/);
  assert.throws(() => studyConfig({}, { SYCO_TEST_FRAC: '1.5' }), /SYCO_TEST_FRAC="1.5": expected a fraction/);
  assert.throws(() => studyConfig({}, { SYCO_JUDGE: 'gpt' }), /SYCO_JUDGE="gpt": expected one of openai, anthropic, local/);
});

test('layer specs, signed multipliers, steered layers and model tags', () => {
  assert.equal(parseLayerSpec('x', 'all'), 'all');
  assert.deepEqual(parseLayerSpec('x', '3,1,1-2'), [1, 2, 3]);
  assert.deepEqual(signedMultipliers([2]), [-2, 0, 2]);
  assert.deepEqual(signedMultipliers([-4, 0, 4, 1]), [-4, -1, 0, 1, 4]);
  assert.deepEqual(signedMultipliers([0]), [0]);
  const layers = Array.from({ length: 32 }, (_, i) => i);
  // two thirds of 31 is 20.67 -> centre 21, layers 20..22
  assert.deepEqual(resolveSteerLayers({ steerLayers: 'auto' }, layers), [20, 21, 22]);
  assert.deepEqual(resolveSteerLayers({ steerLayers: 'auto' }, [0, 1, 2, 3, 4]), [2, 3, 4]);
  assert.deepEqual(resolveSteerLayers({ steerLayers: 'auto' }, [5, 6]), [5, 6]);
  // one rule for the focus layer of figures and the centre of the auto steered layers
  assert.equal(twoThirdsLayer(layers), 21);
  assert.equal(twoThirdsLayer([0, 1, 2, 3, 4]), 3);
  assert.equal(twoThirdsLayer([0, 1, 2, 3]), 2);
  assert.equal(twoThirdsLayer([7]), 7);
  assert.throws(() => twoThirdsLayer([]), /no layers/);
  assert.throws(() => resolveSteerLayers({ steerLayers: [9] }, [0, 1]), /steer layer 9 was not captured \(captured: 0, 1\)/);
  assert.equal(modelTag('HuggingFaceTB/SmolLM2-135M-Instruct'), 'SmolLM2-135M-Instruct');
  assert.equal(modelTag('../shared/models/stories260K-onnx/'), 'stories260K-onnx');
});
