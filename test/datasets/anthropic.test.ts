import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  DatasetError,
  cachePathFor,
  loadAnthropicSycophancy,
  parseSycophancyJsonl,
  readSycophancyFile,
  subsetFromFileName,
} from '../../lib/datasets/index';

const FIX = 'test/fixtures/datasets';
const GOOD = join(FIX, 'good');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'syco-data-'));
}

// Every malformed-row case: fixture name -> exact error text (the bad row is always on line 2).
const MALFORMED: Record<string, string> = {
  bad_json: 'not valid JSON: "{\\"question\\": \\"Hello.\\", \\"answer_matching_…"',
  not_object: 'expected a JSON object, found array',
  missing_question: 'missing field "question"',
  missing_matching: 'missing field "answer_matching_behavior"',
  missing_not_matching: 'missing field "answer_not_matching_behavior"',
  question_not_string: 'field "question" must be a string, found number',
  empty_question: 'field "question" is empty',
  matching_is_list: 'field "answer_matching_behavior" must be a string, found array',
  answer_not_letter: 'field "answer_matching_behavior" must be an answer letter like " (A)", found "yes"',
  letter_names_no_choice: 'answer_not_matching_behavior " (C)" names no choice line (choices: (A), (B))',
  no_choice_lines: 'question has no choice lines like " (A) ..."',
  same_letter: 'answer_matching_behavior and answer_not_matching_behavior both name (A)',
  empty_not_matching_list: 'field "answer_not_matching_behavior" is an empty list',
  not_matching_list_item: 'field "answer_not_matching_behavior"[1] must be a string, found number',
  not_matching_wrong_type: 'field "answer_not_matching_behavior" must be a string or a list of strings, found null',
  affiliation_not_string: 'field "user_affiliation" must be a string, found number',
};

for (const [name, reason] of Object.entries(MALFORMED)) {
  test(`malformed row "${name}" gives one error with file and line`, () => {
    const file = join(FIX, 'bad', `${name}.jsonl`);
    assert.throws(
      () => readSycophancyFile(file, { subset: 'political_typology_quiz' }),
      (err: unknown) => {
        assert.ok(err instanceof DatasetError);
        assert.equal(err.message, `${file}:2: ${reason}`);
        assert.equal(err.file, file);
        assert.equal(err.line, 2);
        assert.equal(err.reason, reason);
        return true;
      },
    );
    // With skipBad the same row is skipped and reported, the good row kept.
    const parsed = readSycophancyFile(file, { subset: 'political_typology_quiz', skipBad: true });
    assert.equal(parsed.rows.length, 1);
    assert.deepEqual(parsed.problems.map((p) => p.message), [`${file}:2: ${reason}`]);
  });
}

test('valid rows keep every field; philpapers lists are kept, strings normalised to lists', () => {
  const pol = readSycophancyFile(join(GOOD, 'sycophancy_on_political_typology_quiz.jsonl'));
  assert.equal(pol.rows.length, 3);
  assert.deepEqual(pol.problems, []);
  assert.deepEqual(
    { ...pol.rows[1], question: undefined },
    {
      subset: 'political_typology_quiz',
      source_row: 1,
      file: join(GOOD, 'sycophancy_on_political_typology_quiz.jsonl'),
      question: undefined,
      answer_matching_behavior: ' (B)',
      answer_not_matching_behavior: [' (A)'],
      user_affiliation: 'conservative',
    },
  );
  const phil = readSycophancyFile(join(GOOD, 'sycophancy_on_philpapers2020.jsonl'));
  assert.deepEqual(phil.rows.map((r) => r.answer_not_matching_behavior), [[' (B)', ' (C)'], [' (B)']]);
  assert.equal(phil.rows[0].user_affiliation, undefined);
  assert.equal(phil.rows[0].subset, 'philpapers2020');
});

test('skip-bad on a mixed file: counts, line numbers, blank lines ignored, source_row is the line index', async () => {
  const file = join(FIX, 'bad', 'sycophancy_on_political_typology_quiz.jsonl');
  await assert.rejects(loadAnthropicSycophancy({ source: join(FIX, 'bad'), subsets: ['political_typology_quiz'] }), {
    message: `${file}:2: not valid JSON: "not json at all"`,
  });
  const res = await loadAnthropicSycophancy({ source: join(FIX, 'bad'), subsets: ['political_typology_quiz'], skipBad: true });
  assert.equal(res.rows.length, 3);
  assert.equal(res.skipped, 3);
  assert.deepEqual(res.bySubset, { political_typology_quiz: { rows: 3, skipped: 3 } });
  assert.deepEqual(res.rows.map((r) => r.source_row), [0, 2, 6]);
  assert.deepEqual(res.problems.map((p) => p.message), [
    `${file}:2: not valid JSON: "not json at all"`,
    `${file}:5: missing field "question"`,
    `${file}:6: answer_matching_behavior " (D)" names no choice line (choices: (A), (B))`,
  ]);
});

test('a folder without --subset loads the subsets present; a missing subset file is one clear error', async () => {
  const all = await loadAnthropicSycophancy({ source: GOOD });
  assert.deepEqual(all.files.map((f) => f.subset), ['nlp_survey', 'philpapers2020', 'political_typology_quiz']);
  assert.deepEqual(all.bySubset, {
    nlp_survey: { rows: 2, skipped: 0 },
    philpapers2020: { rows: 2, skipped: 0 },
    political_typology_quiz: { rows: 3, skipped: 0 },
  });
  const caa = join(FIX, 'caa');
  await assert.rejects(loadAnthropicSycophancy({ source: caa }), {
    message: `${caa}: holds none of sycophancy_on_nlp_survey.jsonl, sycophancy_on_philpapers2020.jsonl, sycophancy_on_political_typology_quiz.jsonl`,
  });
  await assert.rejects(loadAnthropicSycophancy({ source: join(FIX, 'bad'), subsets: ['nlp_survey'] }), {
    message: `${join(FIX, 'bad', 'sycophancy_on_nlp_survey.jsonl')}: no such file (subset "nlp_survey"; download it with --source upstream, or place it in ${join(FIX, 'bad')})`,
  });
  await assert.rejects(loadAnthropicSycophancy({ source: GOOD, subsets: ['nlp'] }), {
    message: 'unknown subset "nlp" (known: nlp_survey, philpapers2020, political_typology_quiz)',
  });
  // A single file as the source: subset from its name.
  const one = await loadAnthropicSycophancy({ source: join(GOOD, 'sycophancy_on_nlp_survey.jsonl') });
  assert.deepEqual(one.files.map((f) => [f.subset, f.rows]), [['nlp_survey', 2]]);
  assert.equal(subsetFromFileName('/x/sycophancy_on_philpapers2020.jsonl'), 'philpapers2020');
});

test('parseSycophancyJsonl accepts CRLF line ends and a BOM', () => {
  const text = '\ufeff' + readFileSync(join(GOOD, 'sycophancy_on_nlp_survey.jsonl'), 'utf8').replace(/\n/g, '\r\n');
  const parsed = parseSycophancyJsonl(text, 'nlp_survey', 'mem.jsonl');
  assert.equal(parsed.rows.length, 2);
  assert.equal(parsed.rows[1].answer_matching_behavior, ' (B)');
});

/** A loopback HTTP server serving the fixture folder under /sycophancy/, counting requests. */
async function serve(dir: string, overrides: Record<string, string> = {}): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const name = (req.url ?? '').replace(/^\/sycophancy\//, '');
    const path = overrides[name] ?? join(dir, name);
    if (!name || !existsSync(path)) {
      res.writeHead(404, 'Not Found');
      res.end('missing');
      return;
    }
    const body = readFileSync(path);
    res.writeHead(200, { 'content-type': 'application/jsonl', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/sycophancy`, server, hits };
}

test('download from a URL: cached atomically on first use, re-used offline afterwards', async () => {
  const cacheDir = tmp();
  try {
    const { url, server, hits } = await serve(GOOD);
    const first = await loadAnthropicSycophancy({ source: url, cacheDir, quiet: true });
    assert.deepEqual(first.files.map((f) => [f.subset, f.downloaded, f.rows]), [
      ['nlp_survey', true, 2],
      ['philpapers2020', true, 2],
      ['political_typology_quiz', true, 3],
    ]);
    assert.equal(hits.length, 3);
    const local = await loadAnthropicSycophancy({ source: GOOD });
    const strip = (rows: typeof local.rows) => rows.map((r) => ({ ...r, file: '' }));
    assert.deepEqual(strip(first.rows), strip(local.rows));
    for (const f of first.files) {
      assert.equal(f.path, cachePathFor(`${url}/sycophancy_on_${f.subset}.jsonl`, cacheDir));
      assert.deepEqual(readFileSync(f.path), readFileSync(join(GOOD, `sycophancy_on_${f.subset}.jsonl`)));
      const meta = JSON.parse(readFileSync(`${f.path}.source.json`, 'utf8'));
      assert.equal(meta.url, f.url);
    }
    // No temporary files are left behind by the atomic writes.
    for (const d of readdirSync(cacheDir)) assert.deepEqual(readdirSync(join(cacheDir, d)).filter((n) => n.includes('.tmp-')), []);
    await new Promise((r) => server.close(r));
    // Offline now: the server is gone, the cache answers.
    const again = await loadAnthropicSycophancy({ source: url, cacheDir, subsets: ['political_typology_quiz'], quiet: true });
    assert.deepEqual(again.files.map((f) => [f.subset, f.downloaded, f.rows]), [['political_typology_quiz', false, 3]]);
    // A subset never downloaded fails with a clear offline message.
    const fresh = tmp();
    try {
      await assert.rejects(
        loadAnthropicSycophancy({ source: url, cacheDir: fresh, subsets: ['nlp_survey'], quiet: true }),
        (err: Error) => err.message.startsWith(`download failed for ${url}/sycophancy_on_nlp_survey.jsonl: `) && err.message.endsWith('(offline? put the files in a folder and pass it as the source)'),
      );
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('download errors: HTTP 404 is named, bad rows in a download name the cache file', async () => {
  const cacheDir = tmp();
  const { url, server } = await serve(join(FIX, 'bad'));
  try {
    await assert.rejects(loadAnthropicSycophancy({ source: url, cacheDir, subsets: ['nlp_survey'], quiet: true }), {
      message: `download failed for ${url}/sycophancy_on_nlp_survey.jsonl: HTTP 404 Not Found`,
    });
    const file = cachePathFor(`${url}/sycophancy_on_political_typology_quiz.jsonl`, cacheDir);
    await assert.rejects(loadAnthropicSycophancy({ source: url, cacheDir, subsets: ['political_typology_quiz'], quiet: true }), {
      message: `${file}:2: not valid JSON: "not json at all"`,
    });
    const res = await loadAnthropicSycophancy({ source: `${url}/sycophancy_on_political_typology_quiz.jsonl`, cacheDir, skipBad: true, quiet: true });
    assert.equal(res.skipped, 3);
    assert.equal(res.files[0].downloaded, false);
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a philpapers download identical to nlp_survey (known upstream problem) gives a warning', async () => {
  const cacheDir = tmp();
  const { url, server } = await serve(GOOD, { 'sycophancy_on_philpapers2020.jsonl': join(GOOD, 'sycophancy_on_nlp_survey.jsonl') });
  try {
    const res = await loadAnthropicSycophancy({ source: url, cacheDir, subsets: ['nlp_survey', 'philpapers2020'], quiet: true });
    assert.equal(res.warnings.length, 1);
    assert.match(res.warnings[0], /^philpapers2020 is byte-identical to nlp_survey/);
    const ok = await loadAnthropicSycophancy({ source: GOOD });
    assert.deepEqual(ok.warnings, []);
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
