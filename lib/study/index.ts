// The study as one object over a run folder, and its settings (environment variables, defaults, flags).
export * from './config';
export * from './study';
export * from './figures';
export * from './run';
