import { existsSync, readFileSync } from 'node:fs';
import { readUtf8File } from '../util/text';
import { join, resolve } from 'node:path';
import { projectRoot, sha256 } from '../util/fs';

/** One chat message sent to a judge backend. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The answers of one interaction that get a score: `answer_plus` -> `answer_plus_score`, and so on. */
export type Arm = 'plus' | 'minus' | 'control';

/** Every arm in output order. */
export const ARMS: readonly Arm[] = ['plus', 'minus', 'control'];

/** The results-file field that holds an arm's answer. */
export function answerField(arm: Arm): string {
  return `answer_${arm}`;
}

/** The score field the judge returns for an arm. */
export function scoreField(arm: Arm): string {
  return `answer_${arm}_score`;
}

/** One interaction of a steering results file. */
export interface Interaction {
  sentence: string;
  answer_plus: string;
  answer_minus: string;
  answer_control?: string;
}

/** A rubric: versioned prompt text plus the score scale (loaded from data/rubrics/*.json). */
export interface Rubric {
  id: string;
  version: number;
  title: string;
  scale: { min: number; max: number };
  system: string;
  itemTemplate: string;
  fileTemplate: string;
  repairTemplate: string;
  /** sha256 of the rubric file's bytes (recorded with every output). */
  sha256: string;
  /** Where it was loaded from. */
  path: string;
}

/** The rubrics shipped in data/rubrics (name -> file). */
export const BUILTIN_RUBRICS: Record<string, string> = {
  'study-0-5': 'study-0-5.json',
  'caa-0-10': 'caa-0-10.json',
};

/** The default rubric: the study's 0-5 scale. */
export const DEFAULT_RUBRIC = 'study-0-5';

function textField(path: string, obj: Record<string, unknown>, name: string): string {
  const v = obj[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join('\n');
  throw new Error(`rubric ${path}: field "${name}" must be a string or a list of strings`);
}

/** Load a rubric by built-in name (study-0-5, caa-0-10) or by path to a rubric JSON file; validates every field. */
export function loadRubric(nameOrPath: string = DEFAULT_RUBRIC): Rubric {
  const builtin = BUILTIN_RUBRICS[nameOrPath];
  const path = builtin ? join(projectRoot(), 'data', 'rubrics', builtin) : resolve(nameOrPath);
  if (!existsSync(path)) {
    throw new Error(`rubric "${nameOrPath}" not found (looked for ${path}); built-in rubrics: ${Object.keys(BUILTIN_RUBRICS).join(', ')}`);
  }
  const text = readUtf8File(path);
  const bytes = readFileSync(path);
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new Error(`rubric ${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`rubric ${path}: must be a JSON object`);
  if (typeof obj.id !== 'string' || !obj.id) throw new Error(`rubric ${path}: field "id" must be a non-empty string`);
  if (!Number.isInteger(obj.version)) throw new Error(`rubric ${path}: field "version" must be an integer`);
  const scale = obj.scale as { min?: unknown; max?: unknown } | undefined;
  if (!scale || !Number.isInteger(scale.min) || !Number.isInteger(scale.max) || (scale.max as number) <= (scale.min as number)) {
    throw new Error(`rubric ${path}: field "scale" must be {"min": int, "max": int} with max > min`);
  }
  return {
    id: obj.id,
    version: obj.version as number,
    title: typeof obj.title === 'string' ? obj.title : obj.id,
    scale: { min: scale.min as number, max: scale.max as number },
    system: textField(path, obj, 'system'),
    itemTemplate: textField(path, obj, 'item_template'),
    fileTemplate: textField(path, obj, 'file_template'),
    repairTemplate: textField(path, obj, 'repair_template'),
    sha256: sha256(bytes),
    path,
  };
}

/** Replace `{{name}}` placeholders in one pass (values containing braces are never re-expanded). */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const v = values[name];
    return v === undefined ? whole : String(v);
  });
}

/** The arms an interaction carries (control only when present). */
export function armsOf(item: Interaction): Arm[] {
  return typeof item.answer_control === 'string' ? ['plus', 'minus', 'control'] : ['plus', 'minus'];
}

/** The JSON shape the judge must return for these arms, with `<score>` placeholders. */
export function schemaLine(arms: readonly Arm[]): string {
  return '{' + arms.map((a) => `"${scoreField(a)}": <score>`).join(', ') + '}';
}

function answersBlock(item: Interaction, arms: readonly Arm[]): string {
  return arms.map((a) => `${answerField(a)}:\n${(item as unknown as Record<string, string>)[answerField(a)]}`).join('\n\n');
}

/** The messages that ask for the scores of one interaction (the default, one interaction per request). */
export function itemMessages(rubric: Rubric, item: Interaction): ChatMessage[] {
  const arms = armsOf(item);
  const user = fillTemplate(rubric.itemTemplate, {
    sentence: item.sentence,
    answers: answersBlock(item, arms),
    schema: schemaLine(arms),
    min: rubric.scale.min,
    max: rubric.scale.max,
  });
  return [{ role: 'system', content: rubric.system }, { role: 'user', content: user }];
}

/** The arms asked for in whole-file mode: control only when every interaction has one. */
export function fileArms(items: readonly Interaction[]): Arm[] {
  return items.length > 0 && items.every((it) => typeof it.answer_control === 'string') ? ['plus', 'minus', 'control'] : ['plus', 'minus'];
}

/** The messages that ask for every interaction of a file at once (the study's whole-file prompt). */
export function fileMessages(rubric: Rubric, items: readonly Interaction[]): ChatMessage[] {
  const arms = fileArms(items);
  const list = items.map((it) => {
    const o: Record<string, string> = { sentence: it.sentence };
    for (const a of arms) o[answerField(a)] = (it as unknown as Record<string, string>)[answerField(a)];
    return o;
  });
  const user = fillTemplate(rubric.fileTemplate, {
    n: items.length,
    fields: arms.map(answerField).join(', '),
    interactions: JSON.stringify(list, null, 1),
    schema: schemaLine(arms),
    min: rubric.scale.min,
    max: rubric.scale.max,
  });
  return [{ role: 'system', content: rubric.system }, { role: 'user', content: user }];
}

/** The follow-up message that asks the judge to fix an unusable reply. */
export function repairMessage(rubric: Rubric, arms: readonly Arm[], error: string, wholeFile: boolean): ChatMessage {
  const schema = wholeFile ? `{"scores": [${schemaLine(arms)}, ...]}` : schemaLine(arms);
  return {
    role: 'user',
    content: fillTemplate(rubric.repairTemplate, { error, schema, min: rubric.scale.min, max: rubric.scale.max }),
  };
}
