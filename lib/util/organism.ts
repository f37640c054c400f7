// The built-in model organism: a tiny Llama trained by the project with planted sycophancy (models/organism,
// scripts/organism/train.py) and its held-out data (data/organism). It is the study's default, so `npm start` runs
// offline anywhere and the instrument has a known answer to find.
import { join, resolve } from 'node:path';
import { projectRoot } from './fs';

/** Folder of the organism model (transformers.js layout). */
export const ORGANISM_MODEL = join(projectRoot(), 'models', 'organism');
/** Folder of the organism's held-out Anthropic-style data (sycophancy_on_<subset>.jsonl, pairs/ in both formats). */
export const ORGANISM_DATA = join(projectRoot(), 'data', 'organism');
/** The organism's held-out persona prompts for the open-ended sweep. */
export const ORGANISM_PROMPTS = join(ORGANISM_DATA, 'persona_prompts.json');

/** Whether a model setting names the built-in organism. */
export function isOrganism(model: string): boolean {
  return resolve(model) === ORGANISM_MODEL;
}

/** The line that opens a report (and a run's log) made on the built-in organism. */
export function organismNotice(): string {
  return 'This run used the built-in model organism (models/organism: a 0.3M-parameter Llama trained by this project with ' +
    'planted sycophancy, see its MODEL_CARD.md) on its held-out data (data/organism). To study a real model, run ' +
    '`npm start -- --model <hub id or folder>` (and `--data upstream` or a folder of Anthropic files).';
}
