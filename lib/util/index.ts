// Small shared utilities: matrices, .npy files, atomic writes, seeded randomness, progress bars, output-folder locks.
export * from './matrix';
export * from './npy';
export * from './fs';
export * from './rng';
export * from './progress';
export * from './lock';
