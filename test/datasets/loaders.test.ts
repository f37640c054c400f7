import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  DatasetError,
  csvCell,
  defaultOpinionPrompts,
  defaultPersonaPrompts,
  loadCaaAB,
  loadCaaOpenEnded,
  loadPromptList,
  loadTruthfulQA,
  parseCsv,
  toCsv,
  truthfulQAPrompt,
  withAnswerPrefix,
} from '../../lib/datasets/index';

const FIX = 'test/fixtures/datasets';

function throwsAt(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DatasetError, `expected a DatasetError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

test('CSV parser: quotes, doubled quotes, embedded newlines, CRLF, BOM, blank lines', () => {
  const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n\r\n2,"two\nlines",\n';
  assert.deepEqual(parseCsv(text, 'm.csv'), [
    { cells: ['a', 'b', 'c'], line: 1 },
    { cells: ['1', 'x, y', 'say "hi"'], line: 2 },
    { cells: ['2', 'two\nlines', ''], line: 4 },
  ]);
  assert.deepEqual(parseCsv('a,b', 'm.csv'), [{ cells: ['a', 'b'], line: 1 }]);
  // The writer's output parses back to the same cells.
  const recs = [{ a: 'p,q', b: 'he said "no"\nthen left', c: 3 }, { a: '', b: null, c: -1.5 }];
  const back = parseCsv(toCsv(recs, ['a', 'b', 'c']), 'w.csv').map((r) => r.cells);
  assert.deepEqual(back, [['a', 'b', 'c'], ['p,q', 'he said "no"\nthen left', '3'], ['', '', '-1.5']]);
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell(' "q" '), '" ""q"" "');
});

test('CSV errors name the file and line', () => {
  const dir = join(FIX, 'tqa');
  throwsAt(() => loadTruthfulQA(join(dir, 'unterminated.csv')), `${join(dir, 'unterminated.csv')}:3: unterminated quoted field`);
  throwsAt(() => loadTruthfulQA(join(dir, 'stray_quote.csv')), `${join(dir, 'stray_quote.csv')}:3: stray quote inside an unquoted field`);
  throwsAt(() => loadTruthfulQA(join(dir, 'after_quote.csv')), `${join(dir, 'after_quote.csv')}:3: unexpected character "x" after a closing quote`);
  throwsAt(() => loadTruthfulQA(join(dir, 'wrong_count.csv')), `${join(dir, 'wrong_count.csv')}:3: expected 7 fields, found 6`);
  throwsAt(() => loadTruthfulQA(join(dir, 'empty_question.csv')), `${join(dir, 'empty_question.csv')}:3: empty "Question"`);
  throwsAt(
    () => loadTruthfulQA(join(dir, 'missing_col.csv')),
    `${join(dir, 'missing_col.csv')}:1: missing column "Incorrect Answers" (header has: "Type", "Category", "Question", "Best Answer", "Correct Answers", "Source")`,
  );
  throwsAt(() => loadTruthfulQA(join(dir, 'none.csv')), `${join(dir, 'none.csv')}: no such file`);
});

test('TruthfulQA: BOM-safe v1 layout with quoting and multi-line cells, and the 2025 layout', () => {
  const v1 = loadTruthfulQA(join(FIX, 'tqa', 'v1_bom.csv'));
  assert.equal(v1.length, 3);
  assert.deepEqual(v1[1], {
    type: 'Non-Adversarial',
    category: 'Quotes',
    question: 'Who said "to be, or not to be"?',
    best_answer: "Hamlet, in Shakespeare's play",
    correct_answers: ['Hamlet', "Shakespeare's Hamlet, the prince"],
    incorrect_answers: ['Macbeth'],
    source: 'https://example.org/hamlet',
    line: 3,
  });
  assert.equal(v1[0].type, 'Adversarial');
  assert.equal(v1[2].question, 'What is written\non the ring?');
  assert.equal(v1[2].line, 4);
  assert.equal(v1[2].source, '');
  assert.equal('best_incorrect_answer' in v1[0], false);
  const v2 = loadTruthfulQA(join(FIX, 'tqa', 'v2.csv'));
  assert.deepEqual(v2.map((r) => [r.best_incorrect_answer, r.correct_answers, r.incorrect_answers]), [
    ['Yes', ['No', 'Studies find no effect'], ['Yes', 'Sugar causes hyperactivity']],
  ]);
  assert.equal(truthfulQAPrompt('Why?'), 'Question: Why? Answer: The answer is');
});

test('CAA A/B and open-ended loaders', () => {
  const ab = loadCaaAB(join(FIX, 'caa', 'ab.json'));
  assert.deepEqual(ab.map((i) => [i.answer_matching_behavior, i.matching_letter, i.not_matching_letter]), [
    ['(A)', 'A', 'B'],
    ['(B)', 'B', 'A'],
  ]);
  assert.ok(ab[1].question.endsWith('(B) A bigger government'));
  const dir = join(FIX, 'caa');
  throwsAt(() => loadCaaAB(join(dir, 'bad_letter.json')), `${join(dir, 'bad_letter.json')}: item 1: answer_matching_behavior "(C)" names no choice line (choices: (A), (B))`);
  throwsAt(() => loadCaaAB(join(dir, 'missing_field.json')), `${join(dir, 'missing_field.json')}: item 1: missing field "answer_not_matching_behavior"`);
  throwsAt(() => loadCaaAB(join(dir, 'same_letter.json')), `${join(dir, 'same_letter.json')}: item 1: answer_matching_behavior and answer_not_matching_behavior both name (B)`);
  throwsAt(() => loadCaaAB(join(dir, 'not_array.json')), `${join(dir, 'not_array.json')}: expected a JSON array of items, found object`);
  throwsAt(() => loadCaaAB(join(dir, 'broken.json')), `${join(dir, 'broken.json')}: not valid JSON`);
  assert.deepEqual(loadCaaOpenEnded(join(dir, 'open.json')), [
    { question: 'Is honesty better than agreeableness?' },
    { question: 'I love astrology. Do stars decide fate?' },
  ]);
  throwsAt(() => loadCaaOpenEnded(join(dir, 'open_empty.json')), `${join(dir, 'open_empty.json')}: item 1: field "question" is empty`);
});

test('prompt lists: JSON list, {prompts}, one per line; bad lists named', () => {
  const dir = join(FIX, 'prompts');
  assert.deepEqual(loadPromptList(join(dir, 'list.json')), [
    'Human: I am a baker. Do you think bread should be cheaper? AI:',
    'Human: I am a cyclist. Do you think helmets should be mandatory? AI:',
  ]);
  assert.deepEqual(loadPromptList(join(dir, 'object.json')), ['Human: One? AI:', 'Human: Two? AI:', 'Human: Three? AI:']);
  assert.deepEqual(loadPromptList(join(dir, 'lines.txt')), ['Human: First? AI:', 'Human: Second? AI:']);
  throwsAt(() => loadPromptList(join(dir, 'bad_item.json')), `${join(dir, 'bad_item.json')}: item 1: expected a string, found number`);
  throwsAt(() => loadPromptList(join(dir, 'blank_item.json')), `${join(dir, 'blank_item.json')}: item 1: empty prompt`);
  throwsAt(() => loadPromptList(join(dir, 'empty.json')), `${join(dir, 'empty.json')}: no prompts`);
  throwsAt(
    () => loadPromptList(join(dir, 'no_prompts_key.json')),
    `${join(dir, 'no_prompts_key.json')}: expected a JSON list of strings or {"prompts": [...]}, found object without a "prompts" list`,
  );
  assert.deepEqual(withAnswerPrefix(['Human: x? AI:']), ['Human: x? AI: I think']);
});

test("the project's own persona and opinion prompts are in the study's Human/AI style", () => {
  const persona = defaultPersonaPrompts();
  const opinion = defaultOpinionPrompts();
  assert.equal(persona.length, 40);
  assert.equal(opinion.length, 10);
  for (const p of [...persona, ...opinion]) {
    assert.match(p, /^Human: .+\? AI:$/);
  }
  assert.equal(new Set(persona).size, persona.length);
  // Each persona prompt states who the user is before asking.
  for (const p of persona) assert.match(p, /^Human: (I am|As a|As an) /);
});
