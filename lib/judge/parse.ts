import { scoreField, type Arm } from './rubric';

/** Scores of one interaction: score field -> integer, or null for None/N/A. */
export type ArmScores = Partial<Record<Arm, number | null>>;

/** Outcome of parsing one judge reply. */
export type ParseResult<T> = { ok: true; value: T; error?: undefined } | { ok: false; error: string; value?: undefined };

const MAX_CANDIDATES = 200;

/** Find the end index (inclusive) of the balanced JSON value opening at `start`, skipping strings; -1 if none. */
function matchClose(text: string, start: number): number {
  const stack: string[] = [];
  let quote: string | null = null;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || (c === "'" && stack.length > 0)) quote = c;
    else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/**
 * Rewrite common near-JSON into JSON outside of strings: bare None / N/A / NaN / undefined become null,
 * True/False become true/false, single-quoted strings become double-quoted, trailing commas are dropped.
 */
export function relaxJson(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const j = skipString(text, i, '"');
      out += text.slice(i, j);
      i = j;
      continue;
    }
    if (c === "'") {
      const j = skipString(text, i, "'");
      const inner = text.slice(i + 1, j - 1).replace(/\\'/g, "'").replace(/"/g, '\\"');
      out += `"${inner}"`;
      i = j;
      continue;
    }
    if (c === ',') {
      let k = i + 1;
      while (k < text.length && /\s/.test(text[k])) k++;
      if (text[k] === '}' || text[k] === ']') {
        i++;
        continue;
      }
    }
    const word = /^(None|N\/A|NaN|undefined|True|False)\b/.exec(text.slice(i, i + 10));
    if (word && (i === 0 || !/[\w]/.test(text[i - 1]))) {
      out += word[1] === 'True' ? 'true' : word[1] === 'False' ? 'false' : 'null';
      i += word[1].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function skipString(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}

/** Parse JSON strictly, then relaxed (see relaxJson); returns undefined plus the strict error when neither works. */
function tryParse(s: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(s) };
  } catch (err) {
    try {
      return { value: JSON.parse(relaxJson(s)) };
    } catch {
      return { error: (err as Error).message };
    }
  }
}

/** Every JSON object/array found in a reply, outermost first in order of appearance (the whole reply, code fences, then balanced spans). */
export function extractJsonCandidates(reply: string): { values: unknown[]; firstError?: string } {
  const values: unknown[] = [];
  let firstError: string | undefined;
  const text = reply.replace(/^\uFEFF/, '');
  const whole = text.trim();
  if (whole.startsWith('{') || whole.startsWith('[')) {
    const r = tryParse(whole);
    if ('value' in r) values.push(r.value);
    else firstError ??= r.error;
  }
  for (const m of text.matchAll(/```(?:json|JSON)?\s*\n?([\s\S]*?)```/g)) {
    const r = tryParse(m[1].trim());
    if ('value' in r) values.push(r.value);
  }
  for (let i = 0; i < text.length && values.length < MAX_CANDIDATES; i++) {
    const c = text[i];
    if (c !== '{' && c !== '[') continue;
    const end = matchClose(text, i);
    if (end < 0) {
      if (firstError === undefined && c === '{') firstError = 'unterminated JSON object';
      continue;
    }
    const r = tryParse(text.slice(i, end + 1));
    if ('value' in r) values.push(r.value);
    else firstError ??= r.error;
  }
  return { values, firstError };
}

/** Validate one score value: an integer in [min, max] (or an integer string), or null / "None" / "N/A". */
export function validateScore(v: unknown, field: string, min: number, max: number): ParseResult<number | null> {
  if (v === null) return { ok: true, value: null };
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^(none|n\/?a|null)$/i.test(s)) return { ok: true, value: null };
    if (/^[+-]?\d+$/.test(s)) v = Number(s);
    else return { ok: false, error: `${field} must be an integer from ${min} to ${max} or "None", got ${JSON.stringify(v)}` };
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    return { ok: false, error: `${field} must be an integer from ${min} to ${max} or "None", got ${JSON.stringify(v)}` };
  }
  if (!Number.isInteger(v)) return { ok: false, error: `${field} must be an integer, got ${v}` };
  if (v < min || v > max) return { ok: false, error: `${field} = ${v} is out of range ${min}..${max}` };
  return { ok: true, value: v };
}

/** Validate a parsed object against the item schema: every requested score field present and valid. */
export function validateItemObject(value: unknown, arms: readonly Arm[], min: number, max: number): ParseResult<ArmScores> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}` };
  }
  const obj = value as Record<string, unknown>;
  const out: ArmScores = {};
  for (const arm of arms) {
    const f = scoreField(arm);
    if (!(f in obj)) return { ok: false, error: `missing field "${f}"` };
    const r = validateScore(obj[f], f, min, max);
    if (!r.ok) return { ok: false, error: r.error as string };
    out[arm] = r.value as number | null;
  }
  return { ok: true, value: out };
}

/** Parse one interaction's reply: extract JSON from any prose around it and validate it; the most useful error otherwise. */
export function parseItemReply(reply: string, arms: readonly Arm[], min: number, max: number): ParseResult<ArmScores> {
  if (!reply.trim()) return { ok: false, error: 'empty reply' };
  const { values, firstError } = extractJsonCandidates(reply);
  let schemaError: string | undefined;
  for (const v of values) {
    const r = validateItemObject(v, arms, min, max);
    if (r.ok) return { ok: true, value: r.value as ArmScores };
    schemaError ??= r.error;
  }
  if (schemaError) return { ok: false, error: schemaError };
  return { ok: false, error: firstError ? `malformed JSON: ${firstError}` : 'no JSON object found in reply' };
}

function listOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null) {
    for (const k of ['scores', 'interactions', 'results']) {
      const v = (value as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v;
    }
  }
  return undefined;
}

/** Parse a whole-file reply: a list (bare or under "scores") of exactly n item objects, each validated. */
export function parseFileReply(reply: string, n: number, arms: readonly Arm[], min: number, max: number): ParseResult<ArmScores[]> {
  if (!reply.trim()) return { ok: false, error: 'empty reply' };
  const { values, firstError } = extractJsonCandidates(reply);
  let schemaError: string | undefined;
  for (const v of values) {
    const list = listOf(v);
    if (!list) continue;
    if (list.length !== n) {
      schemaError ??= `expected ${n} score objects, got ${list.length}`;
      continue;
    }
    const out: ArmScores[] = [];
    let bad: string | undefined;
    for (let i = 0; i < list.length && !bad; i++) {
      const r = validateItemObject(list[i], arms, min, max);
      if (r.ok) out.push(r.value as ArmScores);
      else bad = `interaction ${i}: ${r.error}`;
    }
    if (!bad) return { ok: true, value: out };
    schemaError ??= bad;
  }
  if (schemaError) return { ok: false, error: schemaError };
  if (values.length) return { ok: false, error: 'no list of scores found in reply (expected {"scores": [...]})' };
  return { ok: false, error: firstError ? `malformed JSON: ${firstError}` : 'no JSON found in reply' };
}
