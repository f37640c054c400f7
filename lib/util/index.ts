// Small shared utilities: matrices, .npy files, atomic writes, seeded randomness, progress bars, output-folder locks,
// process-wide defaults. The .npy header codec and the temp-file writer stay behind their files.
export * from './matrix';
export { readNpy, readNpyMatrix, writeNpy, writeNpyMatrix, type NpyArray, type NpyDtype } from './npy';
export { atomicWriteFile, atomicWriteJson, readJsonFile, ensureDir, fileSha256, sha256, projectRoot, sharedDir } from './fs';
export * from './rng';
export * from './progress';
export * from './lock';
export { runtime, configureRuntime, type Runtime } from './runtime';
