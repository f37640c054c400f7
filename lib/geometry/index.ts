// The geometry stage: PCA, t-SNE (exact / Barnes–Hut), UMAP, LLE, spectral embedding, quality measures and the
// per-layer projection driver over an activation store. The solvers' internals (affinities, k-NN, Barnes–Hut trees and
// workers, eigensolver choices) stay behind their files.
export { pca, pcaFitTransform, pcaTransform, type PcaOptions, type PcaResult } from './pca';
export { tsne } from './tsne';
export type { TsneOptions, TsneResult } from './tsne';
export { umap } from './umap';
export type { UmapOptions, UmapResult } from './umap';
export { lle, spectralEmbedding } from './manifold';
export type { ManifoldOptions, ManifoldResult, EigenSolver } from './manifold';
export { trustworthiness, klDivergence, procrustesDisparity, distanceCorrelation } from './quality';
export { embed, projectLayers, PROJECTORS } from './project';
export type { EmbedOptions, Embedding, ProjectFn, ProjectLayersOptions, LayerProjection } from './project';
export { PROJECTIONS, PROJECTION_METHODS, type ProjectionMethod, type ProjectionInfo } from './methods';
export { projectPooled, type PooledProjection } from './pooled';
