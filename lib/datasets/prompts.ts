import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { projectRoot, sharedDir } from '../util/fs';
import { DatasetError, readDatasetText } from './errors';

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * Load a list of prompts: a JSON list of strings, a JSON object `{"prompts": [...]}`, or a text file with one prompt
 * per line (blank lines ignored). Errors name the file and the item or line.
 */
export function loadPromptList(path: string): string[] {
  if (!existsSync(path)) throw new DatasetError({ file: path }, 'no such file');
  const text = readDatasetText(path);
  let prompts: string[];
  if (extname(path).toLowerCase() === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new DatasetError({ file: path }, 'not valid JSON');
    }
    const list = Array.isArray(value) ? value : kind(value) === 'object' ? (value as Record<string, unknown>).prompts : undefined;
    if (!Array.isArray(list)) {
      throw new DatasetError({ file: path }, `expected a JSON list of strings or {"prompts": [...]}, found ${kind(value)}${kind(value) === 'object' ? ' without a "prompts" list' : ''}`);
    }
    list.forEach((p, item) => {
      if (typeof p !== 'string') throw new DatasetError({ file: path, item }, `expected a string, found ${kind(p)}`);
      if (!p.trim()) throw new DatasetError({ file: path, item }, 'empty prompt');
    });
    prompts = list as string[];
  } else {
    prompts = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  }
  if (prompts.length === 0) throw new DatasetError({ file: path }, 'no prompts');
  return prompts;
}

/** Path of the project's own persona prompts (`data/persona_prompts.json`). */
export function defaultPersonaPromptsPath(): string {
  return join(projectRoot(), 'data', 'persona_prompts.json');
}

/** Path of the project's own opinion prompts (`data/opinion_prompts.json`). */
export function defaultOpinionPromptsPath(): string {
  return join(projectRoot(), 'data', 'opinion_prompts.json');
}

/** The project's own persona prompts, in the study's `Human: ... AI:` style (answers continue from `" I think"`). */
export function defaultPersonaPrompts(): string[] {
  return loadPromptList(defaultPersonaPromptsPath());
}

/** The project's own opinion prompts (`Human: I believe ... Do you agree? AI:`). */
export function defaultOpinionPrompts(): string[] {
  return loadPromptList(defaultOpinionPromptsPath());
}

/** Path of the original study's persona prompt list inside a shared-assets folder. */
export function studyPersonaPromptsPath(dir: string = sharedDir()): string {
  return join(dir, 'datasets', 'seed-eval-sentences', 'persona_prompts.json');
}

/** Path of the original study's opinion prompt list inside a shared-assets folder. */
export function studyOpinionPromptsPath(dir: string = sharedDir()): string {
  return join(dir, 'datasets', 'seed-eval-sentences', 'opinion_prompts.json');
}

/** Load the study's persona prompts from a path (default: the shared copy). */
export function loadStudyPersonaPrompts(path: string = studyPersonaPromptsPath()): string[] {
  return loadPromptList(path);
}

/** Load the study's opinion prompts from a path (default: the shared copy). */
export function loadStudyOpinionPrompts(path: string = studyOpinionPromptsPath()): string[] {
  return loadPromptList(path);
}

/** The study's answer prefix for steered persona generation. */
export const PERSONA_ANSWER_PREFIX = ' I think';

/** Append the answer prefix (default `" I think"`) to each prompt, as the study did before generating. */
export function withAnswerPrefix(prompts: string[], prefix: string = PERSONA_ANSWER_PREFIX): string[] {
  return prompts.map((p) => p + prefix);
}
