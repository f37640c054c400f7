// The datasets stage: Anthropic sycophancy rows and contrastive pairs, CAA, TruthfulQA and prompt lists.
export * from './types';
export * from './errors';
export * from './choices';
export * from './csv';
export * from './anthropic';
export * from './pairs';
export * from './dedupe';
export * from './io';
export * from './caa';
export * from './truthfulqa';
export * from './prompts';
