/** The LLM judge stage: rubrics, backends, robust reply parsing, retries, resumable scoring and summaries. */
export * from './rubric';
export * from './parse';
export * from './retry';
export * from './backends';
export * from './results';
export * from './judge';
