import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeResultsFile, findResultsFiles, loadResults, readResultsFile } from '../../lib/judge/results';

const tmp = () => mkdtempSync(join(tmpdir(), 'judge-results-'));
const row = { sentence: 's', answer_plus: 'p', answer_minus: 'm' };

test('a results folder is searched recursively; layer, model and pairs come from the study file name', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'AT_sentence_results_llama2_3000_26.json'), JSON.stringify([row]));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ model: 'x', multipliers: [-120, 0, 120] }));
  mkdirSync(join(dir, 'm4'));
  writeFileSync(join(dir, 'm4', 'AT_sentence_results_tiny_40_3.json'), JSON.stringify([{ ...row, answer_control: 'c' }]));
  writeFileSync(join(dir, 'notes.json'), '{}');
  const files = loadResults(dir);
  assert.deepEqual(files.map((f) => [f.rel, f.stem, f.model, f.pairs, f.layer, f.multiplier]), [
    ['AT_sentence_results_llama2_3000_26.json', 'AT_sentence_results_llama2_3000_26', 'llama2', 3000, 26, 120],
    ['m4/AT_sentence_results_tiny_40_3.json', 'm4__AT_sentence_results_tiny_40_3', 'tiny', 40, 3, 4],
  ]);
  assert.deepEqual(files[1].items, [{ ...row, answer_control: 'c' }]);
});

test('the manifest files list gives layer and multiplier per file; a multiplier in the name is read too', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'AT_sentence_results_mistral_500_12_m2.5.json'), '[]');
  writeFileSync(join(dir, 'custom_results.json'), '[]');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    model: { id: 'org/Mistral', short: 'mistral' }, multipliers: [1, 2.5],
    files: [{ file: 'custom_results.json', layer: 7, multiplier: -3 }],
  }));
  const a = describeResultsFile(join(dir, 'AT_sentence_results_mistral_500_12_m2.5.json'), dir);
  assert.deepEqual([a.model, a.pairs, a.layer, a.multiplier], ['mistral', 500, 12, 2.5]);
  const b = describeResultsFile(join(dir, 'custom_results.json'), dir);
  assert.deepEqual([b.model, b.pairs, b.layer, b.multiplier], ['mistral', null, 7, 3]);
  assert.deepEqual(findResultsFiles(join(dir, 'custom_results.json')).files, [join(dir, 'custom_results.json')]);
});

test('bad results files get one clear error naming the file, row and field', () => {
  const dir = tmp();
  const p = join(dir, 'r_results.json');
  writeFileSync(p, JSON.stringify([row, { sentence: 's', answer_plus: 3, answer_minus: 'm' }]));
  assert.throws(() => readResultsFile(p), new RegExp(`results file ${p}: row 1 field "answer_plus" must be a string, got 3`));
  writeFileSync(p, JSON.stringify({ a: 1 }));
  assert.throws(() => readResultsFile(p), /expected a JSON list/);
  writeFileSync(p, '[{');
  assert.throws(() => readResultsFile(p), /not valid JSON/);
  assert.throws(() => findResultsFiles(join(dir, 'missing')), /no such file or folder/);
  const empty = tmp();
  assert.throws(() => findResultsFiles(empty), /no results files/);
});
