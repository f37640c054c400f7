import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractJsonCandidates, parseFileReply, parseItemReply, relaxJson, validateScore } from '../../lib/judge/parse';

const PM = ['plus', 'minus'] as const;

test('a bare JSON reply parses to the two scores', () => {
  assert.deepEqual(parseItemReply('{"answer_plus_score": 4, "answer_minus_score": 0}', PM, 0, 5), { ok: true, value: { plus: 4, minus: 0 } });
});

test('JSON is extracted from prose and code fences around it', () => {
  const reply = 'Sure! Here is my evaluation.\n```json\n{"answer_plus_score": 3, "answer_minus_score": 1}\n```\nLet me know {if} you need more.';
  assert.deepEqual(parseItemReply(reply, PM, 0, 5), { ok: true, value: { plus: 3, minus: 1 } });
  const inline = 'Scores: {"answer_plus_score": 2, "answer_minus_score": 5, "reason": "it says {yes} a lot"} - done';
  assert.deepEqual(parseItemReply(inline, PM, 0, 5), { ok: true, value: { plus: 2, minus: 5 } });
});

test('a nested object is found when the outer one does not fit the schema', () => {
  const reply = '{"result": {"answer_plus_score": 1, "answer_minus_score": 2}}';
  assert.deepEqual(parseItemReply(reply, PM, 0, 5), { ok: true, value: { plus: 1, minus: 2 } });
});

test('None / N/A / null (quoted, bare or Python-style) become null', () => {
  assert.deepEqual(parseItemReply('{"answer_plus_score": "None", "answer_minus_score": "N/A"}', PM, 0, 5), { ok: true, value: { plus: null, minus: null } });
  assert.deepEqual(parseItemReply("{'answer_plus_score': None, 'answer_minus_score': 2,}", PM, 0, 5), { ok: true, value: { plus: null, minus: 2 } });
  assert.deepEqual(parseItemReply('{"answer_plus_score": null, "answer_minus_score": "3"}', PM, 0, 5), { ok: true, value: { plus: null, minus: 3 } });
});

test('schema errors name the field and the problem', () => {
  assert.deepEqual(parseItemReply('{"answer_plus_score": 7, "answer_minus_score": 1}', PM, 0, 5), { ok: false, error: 'answer_plus_score = 7 is out of range 0..5' });
  assert.deepEqual(parseItemReply('{"answer_plus_score": 2.5, "answer_minus_score": 1}', PM, 0, 5), { ok: false, error: 'answer_plus_score must be an integer, got 2.5' });
  assert.deepEqual(parseItemReply('{"answer_plus_score": 2}', PM, 0, 5), { ok: false, error: 'missing field "answer_minus_score"' });
  assert.deepEqual(parseItemReply('{"answer_plus_score": "high", "answer_minus_score": 1}', PM, 0, 5), { ok: false, error: 'answer_plus_score must be an integer from 0 to 5 or "None", got "high"' });
  assert.deepEqual(parseItemReply('{"answer_plus_score": -1, "answer_minus_score": 10}', PM, 0, 10), { ok: false, error: 'answer_plus_score = -1 is out of range 0..10' });
  assert.deepEqual(parseItemReply('{"answer_plus_score": 1, "answer_minus_score": 10}', PM, 0, 10), { ok: true, value: { plus: 1, minus: 10 } });
});

test('malformed, empty and JSON-free replies give a parse error', () => {
  const bad = parseItemReply('{"answer_plus_score": 4, "answer_minus_score": ', PM, 0, 5);
  assert.equal(bad.ok, false);
  assert.match((bad as { error: string }).error, /^malformed JSON: /);
  assert.deepEqual(parseItemReply('   ', PM, 0, 5), { ok: false, error: 'empty reply' });
  assert.deepEqual(parseItemReply('Once upon a time there was a cat.', PM, 0, 5), { ok: false, error: 'no JSON object found in reply' });
  assert.deepEqual(parseItemReply('[1, 2]', PM, 0, 5), { ok: false, error: 'expected a JSON object, got an array' });
});

test('control scores are required only when asked for', () => {
  const r = parseItemReply('{"answer_plus_score": 1, "answer_minus_score": 2, "answer_control_score": 0}', ['plus', 'minus', 'control'], 0, 5);
  assert.deepEqual(r, { ok: true, value: { plus: 1, minus: 2, control: 0 } });
  assert.deepEqual(parseItemReply('{"answer_plus_score": 1, "answer_minus_score": 2}', ['plus', 'minus', 'control'], 0, 5), { ok: false, error: 'missing field "answer_control_score"' });
});

test('whole-file replies: a list under "scores" or bare, with exactly n entries', () => {
  const two = '{"scores": [{"answer_plus_score": 1, "answer_minus_score": 2}, {"answer_plus_score": "None", "answer_minus_score": 0}], "total_answer_plus_score": 1}';
  assert.deepEqual(parseFileReply(two, 2, PM, 0, 5), { ok: true, value: [{ plus: 1, minus: 2 }, { plus: null, minus: 0 }] });
  assert.deepEqual(parseFileReply('Here: [{"answer_plus_score": 5, "answer_minus_score": 5}]', 1, PM, 0, 5), { ok: true, value: [{ plus: 5, minus: 5 }] });
  assert.deepEqual(parseFileReply(two, 3, PM, 0, 5), { ok: false, error: 'expected 3 score objects, got 2' });
  assert.deepEqual(parseFileReply('{"scores": [{"answer_plus_score": 1, "answer_minus_score": 9}]}', 1, PM, 0, 5), { ok: false, error: 'interaction 0: answer_minus_score = 9 is out of range 0..5' });
  assert.deepEqual(parseFileReply('{"answer_plus_score": 1}', 1, PM, 0, 5), { ok: false, error: 'no list of scores found in reply (expected {"scores": [...]})' });
});

test('relaxJson rewrites near-JSON outside strings only', () => {
  assert.equal(relaxJson(`{'a': None, "b": "None, True", 'c': [1, 2,], "d": True}`), `{"a": null, "b": "None, True", "c": [1, 2], "d": true}`);
  assert.equal(relaxJson(`{"x": N/A}`), `{"x": null}`);
  assert.deepEqual(extractJsonCandidates('no json here').values, []);
});

test('validateScore accepts integer strings and rejects non-integers', () => {
  assert.deepEqual(validateScore(' 4 ', 'f', 0, 5), { ok: true, value: 4 });
  assert.deepEqual(validateScore(true, 'f', 0, 5), { ok: false, error: 'f must be an integer from 0 to 5 or "None", got true' });
  assert.deepEqual(validateScore('n/a', 'f', 0, 5), { ok: true, value: null });
});
