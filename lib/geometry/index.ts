// The geometry stage: PCA, t-SNE (exact / Barnes–Hut), UMAP, LLE, spectral embedding, quality measures and the
// per-layer projection driver over an activation store.
export * from './pca';
export { tsne, conditionalP, jointPSparse, jointPDense, klGradExact, BhGradient } from './tsne';
export type { TsneOptions, TsneResult, Csr } from './tsne';
export { umap } from './umap';
export type { UmapOptions, UmapResult } from './umap';
export { lle, spectralEmbedding, barycenterWeights } from './manifold';
export type { ManifoldOptions, ManifoldResult, EigenSolver } from './manifold';
export { knn, pairwiseSqDist, rowSqNorms } from './knn';
export type { KnnResult } from './knn';
export { trustworthiness, klDivergence, procrustesDisparity, distanceCorrelation } from './quality';
export { reduceForEmbedding } from './reduce';
export type { ReducedInput } from './reduce';
export { embed, projectLayers, PROJECTORS } from './project';
export type { EmbedOptions, Embedding, ProjectFn, ProjectLayersOptions, LayerProjection } from './project';
export { PROJECTIONS, PROJECTION_METHODS, type ProjectionMethod, type ProjectionInfo } from './methods';
export { smallestEigsShiftInvert } from './dense';
