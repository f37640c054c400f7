import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile, ensureDir, readJsonFile, sha256, withPath } from '../util/fs';
import { acquireLock } from '../util/lock';
import { Progress } from '../util/progress';
import { createBackend, type BackendSpec, type ChatOptions, type ChatReply, type JudgeBackend } from './backends';
import { parseFileReply, parseItemReply, type ArmScores } from './parse';
import { loadResults, type ResultsFile } from './results';
import { BackendRequestError, DEFAULT_RETRY, runPool, withRetry, type RetryPolicy } from './retry';
import {
  ARMS, armsOf, fileArms, fileMessages, itemMessages, loadRubric, repairMessage, scoreField,
  type Arm, type ChatMessage, type Interaction, type Rubric,
} from './rubric';
import { meanCI } from '../linalg/stats';

/** Settings of a judge run. */
export interface JudgeOptions {
  /** A results file or folder, or results already loaded. */
  results: string | ResultsFile[];
  /** Output folder. */
  out: string;
  /** A backend, or a spec to build one (closed again at the end). */
  backend: JudgeBackend | BackendSpec;
  /** Rubric name (study-0-5, caa-0-10), path, or a loaded rubric (default study-0-5). */
  rubric?: string | Rubric;
  /** 'item': one interaction per request (default); 'file': the study's whole-file prompt, one request per file. */
  mode?: 'item' | 'file';
  /** Requests in flight at once (default 4; the local backend runs one at a time). */
  concurrency?: number;
  /** Reply token limit per interaction (whole-file mode: times the number of interactions). Default 256. */
  maxTokens?: number;
  /** Sampling temperature (default 0). */
  temperature?: number;
  /** Ask OpenAI-compatible servers for response_format json_object. */
  jsonMode?: boolean;
  /** Repair prompts sent after an unusable reply before recording a parse error (default 1). */
  repairAttempts?: number;
  /** Retry policy overrides (backoff, limits). */
  retry?: Partial<RetryPolicy>;
  /** Re-request interactions recorded with a parse error (request errors are always retried on resume). */
  retryFailed?: boolean;
  /** Score at most this many interactions per file (the rest stay pending). */
  limit?: number;
  /** No progress bar. */
  quiet?: boolean;
  /** Extra strings to scrub from every written file (API keys in the environment are always scrubbed). */
  secrets?: string[];
  /** Where notes go (default stderr). */
  log?: (line: string) => void;
}

/** Outcome of one interaction. */
export type ScoreStatus = 'ok' | 'parse_error' | 'request_error';

/** One scored interaction, as written to `<stem>.scores.json`. */
export interface ScoreRecord {
  sentence: string;
  answer_plus_score: number | null;
  answer_minus_score: number | null;
  answer_control_score?: number | null;
  index: number;
  key: string;
  status: ScoreStatus;
  /** Why the scores are missing (parse or request error). */
  error?: string;
  /** Replies received for this interaction (first reply plus repairs). */
  replies: number;
}

/** The study's totals for one results file, plus counts. */
export interface Totals {
  total_answer_plus_score: number;
  total_answer_minus_score: number;
  total_answer_control_score?: number;
  /** Answers the judge called None / N/A (gibberish), over interactions that parsed. */
  Total_number_none: number;
  n_items: number;
  n_scored: number;
  n_parse_errors: number;
  n_request_errors: number;
  n_pending: number;
}

/** One row of the summary: mean score with a 95% CI for one (steered model, layer, signed multiplier, arm). */
export interface SummaryRow {
  model: string | null;
  layer: number | null;
  /** +m for answer_plus, -m for answer_minus, 0 for answer_control; null when the file does not say m. */
  multiplier: number | null;
  arm: Arm;
  n_items: number;
  n_scored: number;
  n_none: number;
  n_errors: number;
  mean: number | null;
  sd: number | null;
  ci95_low: number | null;
  ci95_high: number | null;
  files: string[];
}

/** What a judge run did. */
export interface JudgeReport {
  out: string;
  files: { stem: string; scores: string; raw: string; totals: Totals; complete: boolean }[];
  summary: SummaryRow[];
  /** Replies received in this run. */
  replies: number;
  /** Interactions already scored before this run (scores file or raw log). */
  resumed: number;
  /** Of those, recovered from the raw log (reply arrived but the scores file was not yet rewritten). */
  recovered: number;
}

interface RawRecord {
  file: string;
  item: number | 'all';
  key: string;
  attempt: number;
  kind: 'initial' | 'repair';
  backend: string;
  model: string;
  rubric: string;
  reply: string | null;
  finish_reason?: string | null;
  usage?: Record<string, number>;
  id?: string;
  outcome: 'ok' | 'invalid' | 'request_error';
  error?: string;
  scores?: ArmScores | ArmScores[];
  final: boolean;
  time: string;
}

interface FileState {
  file: ResultsFile;
  sha: string;
  keys: string[];
  fileKey: string;
  scoresPath: string;
  rawPath: string;
  records: (ScoreRecord | undefined)[];
  rawReady: boolean;
}

/** Stable identity of an interaction (its text), so a resumed run never mixes up items. */
export function interactionKey(item: Interaction): string {
  return sha256(JSON.stringify([item.sentence, item.answer_plus, item.answer_minus, item.answer_control ?? null])).slice(0, 16);
}

/** The study's totals over a file's score records: sums of scores, number of None answers, counts. */
export function computeTotals(items: readonly Interaction[], records: readonly (ScoreRecord | undefined)[]): Totals {
  const hasControl = items.some((it) => typeof it.answer_control === 'string');
  const t: Totals = {
    total_answer_plus_score: 0,
    total_answer_minus_score: 0,
    ...(hasControl ? { total_answer_control_score: 0 } : {}),
    Total_number_none: 0,
    n_items: items.length,
    n_scored: 0,
    n_parse_errors: 0,
    n_request_errors: 0,
    n_pending: 0,
  };
  for (let i = 0; i < items.length; i++) {
    const r = records[i];
    if (!r) { t.n_pending++; continue; }
    if (r.status === 'parse_error') { t.n_parse_errors++; continue; }
    if (r.status === 'request_error') { t.n_request_errors++; continue; }
    t.n_scored++;
    for (const arm of armsOf(items[i])) {
      const v = (r as unknown as Record<string, number | null | undefined>)[scoreField(arm)];
      if (v === null || v === undefined) t.Total_number_none++;
      else if (arm === 'plus') t.total_answer_plus_score += v;
      else if (arm === 'minus') t.total_answer_minus_score += v;
      else t.total_answer_control_score = (t.total_answer_control_score ?? 0) + v;
    }
  }
  return t;
}

/** Means with 95% Student-t intervals per (steered model, layer, signed multiplier, arm) over all files. */
export function summarize(files: readonly { file: ResultsFile; records: readonly (ScoreRecord | undefined)[] }[]): SummaryRow[] {
  const groups = new Map<string, { row: SummaryRow; values: number[] }>();
  for (const { file, records } of files) {
    for (let i = 0; i < file.items.length; i++) {
      const item = file.items[i];
      const r = records[i];
      for (const arm of armsOf(item)) {
        const m = file.multiplier;
        const signed = arm === 'control' ? 0 : m === null ? null : arm === 'plus' ? m : -m;
        const k = JSON.stringify([file.model, file.layer, signed, arm]);
        let g = groups.get(k);
        if (!g) {
          g = {
            row: {
              model: file.model, layer: file.layer, multiplier: signed, arm, n_items: 0, n_scored: 0, n_none: 0, n_errors: 0,
              mean: null, sd: null, ci95_low: null, ci95_high: null, files: [],
            },
            values: [],
          };
          groups.set(k, g);
        }
        if (!g.row.files.includes(file.rel)) g.row.files.push(file.rel);
        g.row.n_items++;
        if (!r) continue;
        if (r.status !== 'ok') { g.row.n_errors++; continue; }
        const v = (r as unknown as Record<string, number | null | undefined>)[scoreField(arm)];
        if (v === null || v === undefined) g.row.n_none++;
        else { g.row.n_scored++; g.values.push(v); }
      }
    }
  }
  const rows = [...groups.values()].map(({ row, values }) => {
    const ci = meanCI(values);
    return { ...row, mean: ci.mean, sd: ci.sd, ci95_low: ci.low, ci95_high: ci.high };
  });
  const cmp = (a: number | string | null, b: number | string | null): number =>
    a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;
  rows.sort((a, b) => cmp(a.model, b.model) || cmp(a.layer, b.layer) || cmp(a.multiplier, b.multiplier) || ARMS.indexOf(a.arm) - ARMS.indexOf(b.arm));
  return rows;
}

/** The summary rows as CSV (one header line, numbers in full precision). */
export function summaryCsv(rows: readonly SummaryRow[]): string {
  const cols: (keyof SummaryRow)[] = ['model', 'layer', 'multiplier', 'arm', 'n_items', 'n_scored', 'n_none', 'n_errors', 'mean', 'sd', 'ci95_low', 'ci95_high', 'files'];
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** Strings that must never reach a file: the API keys in the environment plus any given. */
function secretList(extra: readonly string[] = []): string[] {
  const keys = [process.env.OPENAI_API_KEY, process.env.ANTHROPIC_API_KEY, ...extra];
  return [...new Set(keys.filter((k): k is string => typeof k === 'string' && k.length >= 4))];
}

function redactWith(secrets: readonly string[]): (s: string) => string {
  return (s) => {
    let out = s;
    for (const k of secrets) out = out.split(k).join('[redacted]');
    return out;
  };
}

function rubricTag(r: Rubric): string {
  return `${r.id}@${r.version}`;
}

/** Read a raw JSONL log, dropping a torn last line (and cutting it off the file so appends stay line-aligned). */
function readRawLog(path: string): RawRecord[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)));
  const out: RawRecord[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* a corrupt line is kept in the file but ignored */
    }
  }
  return out;
}

function scoreRecord(item: Interaction, index: number, key: string, status: ScoreStatus, scores: ArmScores | undefined, replies: number, error?: string): ScoreRecord {
  const rec: Record<string, unknown> = { sentence: item.sentence };
  for (const arm of armsOf(item)) rec[scoreField(arm)] = scores?.[arm] ?? null;
  rec.index = index;
  rec.key = key;
  rec.status = status;
  if (error !== undefined) rec.error = error;
  rec.replies = replies;
  return rec as unknown as ScoreRecord;
}

/** Score every interaction of every results file with an LLM judge; resumable, writes scores, raw replies, totals and a summary. */
export async function judgeResults(opts: JudgeOptions): Promise<JudgeReport> {
  if (typeof (opts.backend as JudgeBackend).chat === 'function') return judgeWith(opts, opts.backend as JudgeBackend);
  const backend = await createBackend(opts.backend as BackendSpec);
  try {
    return await judgeWith(opts, backend);
  } finally {
    await backend.close?.();
  }
}

/** The lock file a judge run holds in its output folder (a second run into the same folder is refused at once). */
export const JUDGE_LOCK = '.judge.lock';

async function judgeWith(opts: JudgeOptions, backend: JudgeBackend): Promise<JudgeReport> {
  const out = ensureDir(opts.out);
  // One judge run per folder: two would both pay for every request and interleave their raw logs.
  const release = acquireLock(join(out, JUDGE_LOCK), { what: 'judge run', guards: out });
  try {
    return await judgeLocked(opts, backend, out);
  } finally {
    release();
  }
}

async function judgeLocked(opts: JudgeOptions, backend: JudgeBackend, out: string): Promise<JudgeReport> {
  const rubric = typeof opts.rubric === 'object' ? opts.rubric : loadRubric(opts.rubric);
  const mode = opts.mode ?? 'item';
  const repairAttempts = opts.repairAttempts ?? 1;
  const maxTokens = opts.maxTokens ?? 256;
  const temperature = opts.temperature ?? 0;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const redact = redactWith(secretList(opts.secrets));
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const say = (s: string): void => log(redact(s));
  const files = typeof opts.results === 'string' ? loadResults(opts.results) : opts.results;
  const judgeInfo = {
    backend: backend.name,
    model: backend.model,
    ...(backend.baseURL ? { base_url: backend.baseURL } : {}),
    rubric: { id: rubric.id, version: rubric.version, sha256: rubric.sha256 },
    mode,
  };
  const stems = new Set<string>();
  for (const f of files) {
    if (stems.has(f.stem)) throw new Error(`two results files map to the same output name "${f.stem}" (${f.rel})`);
    stems.add(f.stem);
  }

  // ---- load previous state (scores files + raw logs) ----
  let resumed = 0;
  let recovered = 0;
  const states: FileState[] = files.map((file) => {
    const sha = sha256(readFileSync(file.path));
    const keys = file.items.map(interactionKey);
    const st: FileState = {
      file, sha, keys, fileKey: sha.slice(0, 16),
      scoresPath: join(out, `${file.stem}.scores.json`),
      rawPath: join(out, `${file.stem}.raw.jsonl`),
      records: new Array(file.items.length).fill(undefined),
      rawReady: false,
    };
    if (existsSync(st.scoresPath)) {
      let prev: { judge?: typeof judgeInfo; source?: { sha256?: string }; scores?: ScoreRecord[] };
      try {
        prev = JSON.parse(readFileSync(st.scoresPath, 'utf8'));
      } catch (err) {
        throw new Error(`${st.scoresPath}: cannot resume, not valid JSON (${(err as Error).message})`);
      }
      const pj = prev.judge;
      const same = pj && pj.backend === judgeInfo.backend && pj.model === judgeInfo.model && pj.mode === mode &&
        pj.rubric?.id === rubric.id && pj.rubric?.version === rubric.version && pj.rubric?.sha256 === rubric.sha256;
      if (!same) {
        throw new Error(`${st.scoresPath} holds scores from another judge setup (${pj ? `${pj.backend} ${pj.model} ${pj.rubric?.id}@${pj.rubric?.version} ${pj.mode}` : 'unknown'}); ` +
          `this run is ${judgeInfo.backend} ${judgeInfo.model} ${rubricTag(rubric)} ${mode}: use another --out`);
      }
      if (prev.source?.sha256 !== sha) throw new Error(`${st.scoresPath}: results file ${file.rel} changed since it was scored (sha256 differs); use another --out`);
      for (const r of prev.scores ?? []) {
        if (Number.isInteger(r.index) && r.index >= 0 && r.index < keys.length && r.key === keys[r.index]) st.records[r.index] = r;
      }
    }
    // Replies that arrived but did not reach the scores file before a crash: recover them from the raw log.
    const raw = readRawLog(st.rawPath);
    for (const rec of raw) {
      if (!rec.final || rec.outcome === 'request_error' || rec.file !== file.rel) continue;
      if (rec.backend !== backend.name || rec.model !== backend.model || rec.rubric !== rubricTag(rubric)) continue;
      if (rec.item === 'all') {
        if (mode !== 'file' || rec.key !== st.fileKey) continue;
        file.items.forEach((item, i) => {
          if (st.records[i]) return;
          const s = rec.outcome === 'ok' ? (rec.scores as ArmScores[])[i] : undefined;
          st.records[i] = scoreRecord(item, i, keys[i], rec.outcome === 'ok' ? 'ok' : 'parse_error', s, rec.attempt + 1, rec.error);
          recovered++;
        });
      } else {
        const i = rec.item;
        if (mode !== 'item' || !(i >= 0 && i < keys.length) || rec.key !== keys[i] || st.records[i]) continue;
        st.records[i] = scoreRecord(file.items[i], i, keys[i], rec.outcome === 'ok' ? 'ok' : 'parse_error', rec.scores as ArmScores | undefined, rec.attempt + 1, rec.error);
        recovered++;
      }
    }
    return st;
  });

  const isDone = (r: ScoreRecord | undefined): boolean =>
    !!r && (r.status === 'ok' || (r.status === 'parse_error' && !opts.retryFailed));

  // ---- writers ----
  const writeScores = (st: FileState): void => {
    const totals = computeTotals(st.file.items, st.records);
    const doc = {
      format: 'syco-judge-scores',
      format_version: 1,
      source: { file: st.file.rel, sha256: st.sha, n_items: st.file.items.length },
      steering: { model: st.file.model, pairs: st.file.pairs, layer: st.file.layer, multiplier: st.file.multiplier },
      judge: judgeInfo,
      complete: st.records.every((r) => isDone(r)),
      totals,
      scores: st.records.filter((r): r is ScoreRecord => !!r),
    };
    atomicWriteFile(st.scoresPath, redact(JSON.stringify(doc, null, 2) + '\n'));
  };
  const appendRaw = (st: FileState, rec: Omit<RawRecord, 'file' | 'backend' | 'model' | 'rubric' | 'time'>): void => {
    if (!st.rawReady) {
      readRawLog(st.rawPath); // cuts a torn last line before appending
      st.rawReady = true;
    }
    const full: RawRecord = {
      file: st.file.rel, ...rec, backend: backend.name, model: backend.model, rubric: rubricTag(rubric), time: new Date().toISOString(),
    } as RawRecord;
    try {
      appendFileSync(st.rawPath, redact(JSON.stringify(full)) + '\n');
    } catch (err) {
      throw withPath(err, st.rawPath);
    }
  };

  // ---- tasks ----
  type Task = { st: FileState; index: number | 'all' };
  const tasks: Task[] = [];
  let total = 0;
  for (const st of states) {
    const n = opts.limit !== undefined ? Math.min(opts.limit, st.file.items.length) : st.file.items.length;
    if (mode === 'file') {
      total++;
      if (n > 0 && st.records.slice(0, n).every(isDone)) resumed++;
      else if (n > 0) tasks.push({ st, index: 'all' });
    } else {
      for (let i = 0; i < n; i++) {
        total++;
        if (isDone(st.records[i])) resumed++;
        else tasks.push({ st, index: i });
      }
    }
  }
  for (const st of states) writeScores(st);
  writeManifest(out, opts, rubric, judgeInfo, states, policy, redact);

  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 4, backend.maxConcurrency ?? Infinity));
  const progress = new Progress({ label: 'judge', total, initial: resumed, quiet: opts.quiet });
  let replies = 0;
  const chatOpts = (n: number): ChatOptions => ({ maxTokens: maxTokens * n, temperature, jsonMode: opts.jsonMode });

  const request = async (messages: ChatMessage[], n: number): Promise<ChatReply> =>
    withRetry(() => backend.chat(messages, chatOpts(n)), {
      ...policy,
      onRetry: policy.onRetry ?? (({ attempt, delayMs, error }) => {
        if (!opts.quiet) say(`judge: ${error.message}; retry ${attempt} in ${delayMs} ms`);
      }),
    });

  const runTask = async ({ st, index }: Task): Promise<void> => {
    const items = index === 'all' ? st.file.items.slice(0, opts.limit ?? st.file.items.length) : [st.file.items[index]];
    const arms = index === 'all' ? fileArms(items) : armsOf(items[0]);
    const key = index === 'all' ? st.fileKey : st.keys[index];
    let messages = index === 'all' ? fileMessages(rubric, items) : itemMessages(rubric, items[0]);
    const finish = (status: ScoreStatus, scores: (ArmScores | undefined)[], got: number, error?: string): void => {
      items.forEach((item, j) => {
        const i = index === 'all' ? j : index;
        st.records[i] = scoreRecord(item, i, st.keys[i], status, scores[j], got, error);
      });
      writeScores(st);
      progress.tick();
    };
    for (let attempt = 0; attempt <= repairAttempts; attempt++) {
      let reply: ChatReply;
      try {
        reply = await request(messages, items.length);
      } catch (err) {
        if (err instanceof BackendRequestError && !err.fatal) {
          appendRaw(st, { item: index, key, attempt, kind: attempt ? 'repair' : 'initial', reply: null, outcome: 'request_error', error: err.message, final: true });
          say(`judge: ${st.file.rel} item ${index}: ${err.message}`);
          finish('request_error', [], attempt, err.message);
          return;
        }
        throw err;
      }
      replies++;
      const parsed = index === 'all'
        ? parseFileReply(reply.text, items.length, arms, rubric.scale.min, rubric.scale.max)
        : parseItemReply(reply.text, arms, rubric.scale.min, rubric.scale.max);
      const final = parsed.ok || attempt === repairAttempts;
      appendRaw(st, {
        item: index, key, attempt, kind: attempt ? 'repair' : 'initial', reply: reply.text, finish_reason: reply.finishReason,
        usage: reply.usage, ...(reply.id ? { id: reply.id } : {}),
        outcome: parsed.ok ? 'ok' : 'invalid', ...(parsed.ok ? { scores: parsed.value } : { error: parsed.error }), final,
      });
      if (parsed.ok) {
        const value = parsed.value as ArmScores | ArmScores[];
        finish('ok', Array.isArray(value) ? value : [value], attempt + 1);
        return;
      }
      if (final) {
        finish('parse_error', [], attempt + 1, parsed.error as string);
        return;
      }
      messages = [...messages, { role: 'assistant', content: reply.text }, repairMessage(rubric, arms, parsed.error as string, index === 'all')];
    }
  };

  try {
    await runPool(tasks, concurrency, runTask);
  } catch (err) {
    if (err instanceof BackendRequestError) throw new Error(redact(`judge stopped: ${err.message}`));
    throw err;
  } finally {
    progress.finish();
  }

  const summary = summarize(states);
  const summaryDoc = {
    format: 'syco-judge-summary',
    format_version: 1,
    judge: judgeInfo,
    files: states.map((st) => ({
      file: st.file.rel, stem: st.file.stem, model: st.file.model, layer: st.file.layer, multiplier: st.file.multiplier,
      complete: st.records.every(isDone), totals: computeTotals(st.file.items, st.records),
    })),
    rows: summary,
  };
  atomicWriteFile(join(out, 'summary.json'), redact(JSON.stringify(summaryDoc, null, 2) + '\n'));
  atomicWriteFile(join(out, 'summary.csv'), redact(summaryCsv(summary)));
  return {
    out,
    files: states.map((st) => ({
      stem: st.file.stem, scores: st.scoresPath, raw: st.rawPath, totals: computeTotals(st.file.items, st.records), complete: st.records.every(isDone),
    })),
    summary,
    replies,
    resumed,
    recovered,
  };
}

function writeManifest(
  out: string, opts: JudgeOptions, rubric: Rubric, judgeInfo: object, states: FileState[], policy: RetryPolicy, redact: (s: string) => string,
): void {
  const doc = {
    format: 'syco-judge-run',
    format_version: 1,
    judge: judgeInfo,
    rubric: {
      id: rubric.id, version: rubric.version, title: rubric.title, sha256: rubric.sha256, path: rubric.path, scale: rubric.scale,
      system: rubric.system, item_template: rubric.itemTemplate, file_template: rubric.fileTemplate, repair_template: rubric.repairTemplate,
    },
    settings: {
      mode: opts.mode ?? 'item',
      max_tokens: opts.maxTokens ?? 256,
      temperature: opts.temperature ?? 0,
      json_mode: !!opts.jsonMode,
      repair_attempts: opts.repairAttempts ?? 1,
      limit: opts.limit ?? null,
      retry: { max_retries: policy.maxRetries, base_delay_ms: policy.baseDelayMs, max_delay_ms: policy.maxDelayMs, max_total_ms: policy.maxTotalMs },
    },
    files: states.map((st) => ({
      file: st.file.rel, sha256: st.sha, n_items: st.file.items.length, model: st.file.model, pairs: st.file.pairs,
      layer: st.file.layer, multiplier: st.file.multiplier, scores: `${st.file.stem}.scores.json`, raw: `${st.file.stem}.raw.jsonl`,
    })),
  };
  atomicWriteFile(join(out, 'manifest.json'), redact(JSON.stringify(doc, null, 2) + '\n'));
}

/** A summary.json written by judgeResults. */
export interface JudgeSummaryFile {
  format: 'syco-judge-summary';
  format_version: number;
  judge: { backend: string; model: string; base_url?: string; rubric: { id: string; version: number; sha256: string }; mode: string };
  files: { file: string; stem: string; model: string | null; layer: number | null; multiplier: number | null; complete: boolean; totals: Totals }[];
  rows: SummaryRow[];
}

/** Read the summary.json of a judge output folder. */
export function loadJudgeSummary(outDir: string): JudgeSummaryFile {
  const p = join(outDir, 'summary.json');
  if (!existsSync(p)) throw new Error(`${p}: no judge summary here (run syco judge --out ${outDir} first)`);
  const doc = readJsonFile<JudgeSummaryFile>(p);
  if (doc?.format !== 'syco-judge-summary') throw new Error(`${p}: not a judge summary (format ${JSON.stringify(doc?.format)})`);
  return doc as JudgeSummaryFile;
}

/** Summary rows as points for a mean-score-by-multiplier figure (lib/plots judgeScores): one series per layer (and model when several); rows without a known multiplier or any score are left out. */
export function judgePoints(rows: readonly SummaryRow[]): { multiplier: number; mean: number; ciLow?: number; ciHigh?: number; n: number; series: string }[] {
  const models = new Set(rows.map((r) => r.model));
  const out: { multiplier: number; mean: number; ciLow?: number; ciHigh?: number; n: number; series: string }[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (r.multiplier === null || r.mean === null) continue;
    const series = `${models.size > 1 ? `${r.model ?? '?'} ` : ''}layer ${r.layer ?? '?'}`;
    const k = `${series}|${r.multiplier}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({
      multiplier: r.multiplier, mean: r.mean, n: r.n_scored, series,
      ...(r.ci95_low !== null && r.ci95_high !== null ? { ciLow: r.ci95_low, ciHigh: r.ci95_high } : {}),
    });
  }
  return out;
}

/** The first final error a judge run recorded (its raw.jsonl logs), or undefined when there is none. */
export function firstJudgeError(report: JudgeReport): string | undefined {
  for (const f of report.files) {
    const path = existsSync(f.raw) ? f.raw : join(report.out, f.raw);
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let rec: { outcome?: string; error?: string; final?: boolean; item?: unknown };
      try {
        rec = JSON.parse(line);
      } catch {
        continue; // a torn or corrupt line (readRawLog ignores it too)
      }
      if (rec.final && rec.outcome !== 'ok' && rec.error) return `${f.stem}, item ${String(rec.item)}: ${rec.error}`;
    }
  }
  return undefined;
}

/** How a judge run ended over the interactions it was asked to score (pending ones past --limit are not counted). */
export interface JudgeOutcome {
  /** 'complete': every interaction asked for was scored; 'failed': none was; 'partial': some were not. */
  state: 'complete' | 'partial' | 'failed';
  /** Interactions asked for (all, or the first --limit of each file). */
  asked: number;
  scored: number;
  requestErrors: number;
  parseErrors: number;
  /** The first final error in the raw logs (undefined when complete). */
  firstError?: string;
}

/** Whether a judge run scored everything it was asked to: request errors and unparseable replies make it partial, or failed when nothing was scored. */
export function judgeOutcome(report: JudgeReport): JudgeOutcome {
  let scored = 0, requestErrors = 0, parseErrors = 0;
  for (const f of report.files) {
    scored += f.totals.n_scored;
    requestErrors += f.totals.n_request_errors;
    parseErrors += f.totals.n_parse_errors;
  }
  const asked = scored + requestErrors + parseErrors;
  const state = requestErrors + parseErrors === 0 ? 'complete' : scored === 0 ? 'failed' : 'partial';
  return { state, asked, scored, requestErrors, parseErrors, ...(state === 'complete' ? {} : { firstError: firstJudgeError(report) }) };
}
