// Invalid UTF-8 in an input file is refused with file:line (never replaced by U+FFFD): `syco data` as a real process
// on a real latin-1 byte, and every text reader (pairs, Anthropic JSONL, CAA JSON, A/B items, sweep prompts, CSV,
// rubric, judge results). The validator agrees with Node's fatal TextDecoder on random bytes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { utf8Problem } from '../../lib/util/text';
import { readPairsJsonl, readSycophancyFile, loadCaaAB } from '../../lib/datasets/index';
import { readCsvObjects } from '../../lib/datasets/csv';
import { loadPromptList } from '../../lib/datasets/prompts';
import { loadAbItems } from '../../lib/steering/ab';
import { loadSweepPrompts } from '../../lib/steering/prompts';
import { loadRubric } from '../../lib/judge/rubric';
import { readResultsFile } from '../../lib/judge/results';
import { Rng } from '../../lib/util/rng';

const dir = mkdtempSync(join(tmpdir(), 'syco-utf8-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Write text with the bytes of `bad` (e.g. latin-1 "é" = 0xe9) replacing the marker ¤ on its line. */
function writeWithBadByte(name: string, text: string, bad: number[] = [0xe9]): string {
  const [a, b] = text.split('¤');
  const p = join(dir, name);
  writeFileSync(p, Buffer.concat([Buffer.from(a, 'utf8'), Buffer.from(bad), Buffer.from(b, 'utf8')]));
  return p;
}

test('utf8Problem finds the first invalid sequence where a fatal TextDecoder does (random bytes)', () => {
  const rng = new Rng(5);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const valid = (b: Uint8Array): boolean => { try { dec.decode(b); return true; } catch { return false; } };
  let invalid = 0;
  for (let t = 0; t < 3000; t++) {
    const n = 1 + Math.floor(rng.next() * 12);
    // mostly ASCII and well-formed multi-byte text, with a chance of a stray byte
    const parts: number[] = [];
    while (parts.length < n) {
      const r = rng.next();
      if (r < 0.5) parts.push(0x20 + Math.floor(rng.next() * 90));
      else if (r < 0.8) parts.push(...Buffer.from(String.fromCodePoint(0xa0 + Math.floor(rng.next() * 0x10000 - 0xa0) % 0xd000), 'utf8'));
      else parts.push(Math.floor(rng.next() * 256));
    }
    if (rng.next() < 0.2) parts.push(0x0a);
    const b = Uint8Array.from(parts);
    const p = utf8Problem(b);
    assert.equal(p === null, valid(b), `bytes ${Buffer.from(b).toString('hex')}`);
    if (p) {
      invalid++;
      assert.ok(valid(b.subarray(0, p.offset)), 'everything before the reported offset is valid');
      assert.equal(p.line, 1 + [...b.subarray(0, p.offset)].filter((x) => x === 0x0a).length);
    }
  }
  assert.ok(invalid > 300, `${invalid} invalid cases exercised`);
  assert.deepEqual(utf8Problem(Buffer.from('ab\ncd\xe9', 'latin1')), { line: 2, column: 3, byte: 0xe9, offset: 5 });
  assert.deepEqual(utf8Problem(Buffer.from([0x61, 0xe2, 0x82])), { line: 1, column: 2, byte: 0xe2, offset: 1 }); // cut-off sequence
  assert.equal(utf8Problem(Buffer.from('naïve — 日本 🎉', 'utf8')), null);
});

test('syco data refuses a sycophancy file with a latin-1 byte, naming file:line; nothing written', () => {
  const good = readFileSync('test/fixtures/datasets/good/sycophancy_on_political_typology_quiz.jsonl', 'utf8').split('\n');
  const line3 = good[2].replace('Hello', 'Hello Ren¤e,');
  const src = join(dir, 'src');
  mkdirSync(src);
  const file = writeWithBadByte('src/sycophancy_on_political_typology_quiz.jsonl', [good[0], good[1], line3, ...good.slice(3)].join('\n'), [0xe9]);
  const out = join(dir, 'pairs.jsonl');
  const r = spawnSync(process.execPath, [resolve('bin/syco.js'), 'data', '--source', src, '--format', 'ab', '--out', out], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: invalid UTF-8 \\(byte 0xe9 at column \\d+\\)`));
  assert.throws(() => readFileSync(out), /ENOENT/);
});

test('every text reader refuses invalid UTF-8 with file:line', () => {
  const pairs = writeWithBadByte('pairs.jsonl', [
    JSON.stringify({ id: 'a', subset: 's', format: 'ab', source_row: 0, sycophantic: 'x', non_sycophantic: 'y' }),
    JSON.stringify({ id: 'b', subset: 's', format: 'ab', source_row: 1, sycophantic: 'x¤', non_sycophantic: 'y' }),
  ].join('\n'));
  assert.throws(() => readPairsJsonl(pairs), /pairs\.jsonl:2: invalid UTF-8 \(byte 0xe9/);
  const anth = writeWithBadByte('sycophancy_on_nlp_survey.jsonl', '{"question": "Q¤ (A) x (B) y", "answer_matching_behavior": " (A)", "answer_not_matching_behavior": " (B)"}\n');
  assert.throws(() => readSycophancyFile(anth), /sycophancy_on_nlp_survey\.jsonl:1: invalid UTF-8/);
  const caa = writeWithBadByte('caa.json', '[\n  {"question": "Q",\n   "answer_matching_behavior": "(A)¤", "answer_not_matching_behavior": "(B)"}\n]', [0xc3]);
  assert.throws(() => loadCaaAB(caa), /caa\.json:3: invalid UTF-8 \(byte 0xc3/);
  assert.throws(() => loadAbItems(caa), /caa\.json:3: invalid UTF-8/);
  const prompts = writeWithBadByte('prompts.jsonl', '{"prompt": "ok"}\n{"prompt": "caf¤"}\n', [0xff]);
  assert.throws(() => loadSweepPrompts(prompts), /prompts\.jsonl:2: invalid UTF-8 \(byte 0xff/);
  const list = writeWithBadByte('list.json', '["a",\n "b¤"]', [0x80]);
  assert.throws(() => loadPromptList(list), /list\.json:2: invalid UTF-8 \(byte 0x80/);
  const csv = writeWithBadByte('tqa.csv', 'Type,Question\nx,What¤?\n');
  assert.throws(() => readCsvObjects(csv, ['Question']), /tqa\.csv:2: invalid UTF-8/);
  const rubric = writeWithBadByte('rubric.json', '{"id": "r",\n "version": 1, "title": "t¤"}');
  assert.throws(() => loadRubric(rubric), /rubric\.json:2: invalid UTF-8/);
  const results = writeWithBadByte('results.json', '[\n{"sentence": "s", "answer_plus": "p¤", "answer_minus": "m"}]');
  assert.throws(() => readResultsFile(results), /results\.json:2: invalid UTF-8/);
  // valid UTF-8 with a BOM still reads
  writeFileSync(join(dir, 'bom.csv'), '\ufeffQuestion\nnaïve?\n');
  assert.deepEqual(readCsvObjects(join(dir, 'bom.csv'), ['Question']).rows.map((r) => r.values.Question), ['naïve?']);
});
