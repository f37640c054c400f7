// The toolkit's single entry point: every stage as a namespace, in pipeline order
// (datasets -> model -> activations -> geometry | probes | mlp -> steering -> judge; plots, tables and report beside them).
// Notebooks: `import { study as S, notebook as NB, plots } from './lib/index'` (tslab needs the index file named).
// Each namespace is its stage's public surface; internals stay behind their files.
export * as datasets from './datasets/index';
export * as model from './model/index';
export * as activations from './activations/index';
export * as linalg from './linalg/index';
export * as geometry from './geometry/index';
export * as probes from './probes/index';
export * as mlp from './mlp/index';
export * as steering from './steering/index';
export * as judge from './judge/index';
export * as plots from './plots/index';
export * as tables from './tables/index';
export * as report from './report/index';
export * as study from './study/index';
export * as notebook from './study/notebook';
export * as util from './util/index';
export type { Matrix } from './util/matrix';
