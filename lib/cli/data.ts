import {
  SUBSETS,
  buildPairsWithStats,
  loadAnthropicSycophancy,
  samplePairs,
  splitPairs,
  writePairsCsv,
  writePairsJsonl,
  type PairFormat,
} from '../datasets/index';
import { UsageError, numberFlag, parseFlags, required } from './args';
import type { Command } from './index';

const USAGE = `usage: syco data --source <dir|file|url|upstream> --format ab|sentence --out <file.jsonl>
                 [--subset <name>]... [--limit N] [--seed S] [--test-frac F] [--csv <file.csv>]
                 [--skip-bad] [--cache-dir <dir>]

Builds contrastive sycophancy pairs from Anthropic's model-written-evals files and writes one pair per line
({"id", "subset", "format", "source_row", "user_affiliation", "sycophantic", "non_sycophantic", ...}).
Prints a one-line JSON summary on stdout.

  --source     a folder with sycophancy_on_<subset>.jsonl files, one such file, a URL, or "upstream"
               (downloads are cached under data/cache/ and re-used offline)
  --subset     ${SUBSETS.join(' | ')} (repeatable; default: every subset the folder holds, all for a URL)
  --format     ab (letter answers) or sentence (choice text, ≤1-word responses dropped)
  --limit N    keep a seeded random sample of N pairs (input order kept)
  --seed S     seed for --limit and --test-frac (default 0)
  --test-frac  also write <out>.train.jsonl and <out>.test.jsonl, split by pair (default: no split)
  --csv        also write the pairs as CSV
  --skip-bad   skip malformed rows (counted in rows_skipped, first few reported on stderr) instead of failing`;

/** Strip `.jsonl` and add a suffix: `pairs.jsonl` -> `pairs.train.jsonl`. */
function withSuffix(path: string, suffix: string): string {
  return path.replace(/\.jsonl$/i, '') + `.${suffix}.jsonl`;
}

/** `syco data`: load, validate and pair the sycophancy rows, sample, write JSONL (and CSV), print a JSON summary. */
export const command: Command = {
  summary: 'build contrastive pairs from the sycophancy datasets',
  async run(argv: string[]): Promise<void> {
    const { values, positionals } = parseFlags('data', argv, {
      source: { type: 'string' },
      subset: { type: 'string', multiple: true },
      format: { type: 'string' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      csv: { type: 'string' },
      'test-frac': { type: 'string' },
      'skip-bad': { type: 'boolean' },
      'cache-dir': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return;
    }
    if (positionals.length) throw new UsageError(`syco data: unexpected argument "${positionals[0]}"\n\n${USAGE}`);
    const source = required('data', 'source', values.source);
    const format = required('data', 'format', values.format);
    if (format !== 'ab' && format !== 'sentence') throw new UsageError(`syco data: --format must be ab or sentence, got "${format}"`);
    const out = required('data', 'out', values.out);
    const seed = numberFlag('data', 'seed', values.seed, 0);
    if (!Number.isInteger(seed)) throw new UsageError(`syco data: --seed must be an integer, got "${values.seed}"`);
    const limit = values.limit === undefined ? undefined : numberFlag('data', 'limit', values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new UsageError(`syco data: --limit must be a non-negative integer, got "${values.limit}"`);
    }
    const testFrac = values['test-frac'] === undefined ? undefined : numberFlag('data', 'test-frac', values['test-frac']);
    if (testFrac !== undefined && !(testFrac > 0 && testFrac < 1)) {
      throw new UsageError(`syco data: --test-frac must be between 0 and 1, got "${values['test-frac']}"`);
    }
    for (const s of values.subset ?? []) {
      if (!(SUBSETS as readonly string[]).includes(s)) throw new UsageError(`syco data: unknown --subset "${s}" (known: ${SUBSETS.join(', ')})`);
    }

    const loaded = await loadAnthropicSycophancy({
      source,
      subsets: values.subset,
      cacheDir: values['cache-dir'],
      skipBad: Boolean(values['skip-bad']),
      quiet: Boolean(values.quiet),
    });
    for (const w of loaded.warnings) process.stderr.write(`syco data: warning: ${w}\n`);
    if (loaded.problems.length) {
      process.stderr.write(`syco data: skipped ${loaded.problems.length} malformed row(s):\n`);
      for (const p of loaded.problems.slice(0, 10)) process.stderr.write(`  ${p.message}\n`);
      if (loaded.problems.length > 10) process.stderr.write(`  ... and ${loaded.problems.length - 10} more\n`);
    }
    if (loaded.duplicates.length) {
      process.stderr.write(`syco data: dropped ${loaded.duplicates.length} row(s) whose question repeats an earlier row exactly:\n`);
      for (const d of loaded.duplicates.slice(0, 10)) process.stderr.write(`  ${d.file}:${d.line} repeats ${d.first.file}:${d.first.line}\n`);
      if (loaded.duplicates.length > 10) process.stderr.write(`  ... and ${loaded.duplicates.length - 10} more\n`);
    }
    const built = buildPairsWithStats(loaded.rows, format as PairFormat);
    const pairs = limit === undefined ? built.pairs : samplePairs(built.pairs, limit, seed);
    writePairsJsonl(out, pairs);
    if (values.csv) writePairsCsv(values.csv, pairs);
    let split: { train: number; test: number; train_out: string; test_out: string } | undefined;
    if (testFrac !== undefined) {
      const { train, test } = splitPairs(pairs, testFrac, seed);
      const trainOut = withSuffix(out, 'train');
      const testOut = withSuffix(out, 'test');
      writePairsJsonl(trainOut, train);
      writePairsJsonl(testOut, test);
      split = { train: train.length, test: test.length, train_out: trainOut, test_out: testOut };
    }

    // rows_read counts every non-blank row read (valid + skipped); rows_valid the rows that passed validation.
    // rows_duplicate counts valid rows dropped as exact repeats of an earlier row's question (rows_valid excludes them).
    const subsets: Record<string, { rows_read: number; rows_valid: number; rows_skipped: number; rows_duplicate: number; pairs_built: number; pairs_dropped_short: number; pairs_written: number }> = {};
    for (const f of loaded.files) {
      const dup = loaded.duplicates.filter((d) => d.file === f.path).length;
      subsets[f.subset] = { rows_read: f.rows + f.skipped + dup, rows_valid: f.rows, rows_skipped: f.skipped, rows_duplicate: dup, pairs_built: 0, pairs_dropped_short: 0, pairs_written: 0 };
    }
    for (const [s, n] of Object.entries(built.bySubset)) subsets[s].pairs_built = n;
    for (const [s, n] of Object.entries(built.droppedBySubset)) subsets[s].pairs_dropped_short = n;
    for (const p of pairs) subsets[p.subset].pairs_written++;
    const summary = {
      format,
      rows_read: loaded.rows.length + loaded.skipped + loaded.duplicates.length,
      rows_valid: loaded.rows.length,
      rows_skipped: loaded.skipped,
      rows_duplicate: loaded.duplicates.length,
      pairs_built: built.pairs.length,
      pairs_dropped_short: built.dropped,
      pairs_written: pairs.length,
      seed,
      out,
      ...(values.csv ? { csv: values.csv } : {}),
      ...(split ? { split } : {}),
      subsets,
      files: loaded.files.map((f) => ({ subset: f.subset, path: f.path, ...(f.url ? { url: f.url } : {}), downloaded: f.downloaded })),
    };
    process.stdout.write(JSON.stringify(summary) + '\n');
  },
};
