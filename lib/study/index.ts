// The study as one object over a run folder, its settings table, and the stage book that keeps a folder to one configuration.
export * from './settings';
export * from './config';
export * from './stage';
export * from './study';
export * from './data';
export { preflight, PreflightError, type PreflightReport, type PreflightOptions } from './preflight';
export * from './stage-status';
export * from './figures';
export * from './run';
