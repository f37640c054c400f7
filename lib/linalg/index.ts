// Fast dense linear algebra for the analysis stage: GEMM on ONNX Runtime's MLAS kernels, symmetric eigen-solvers,
// Lanczos, LOBPCG, Cholesky and pseudo-inverses.
export * from './gemm';
export * from './eigen';
export * from './lobpcg';
export * from './cholesky';
export * from './special';
export * from './stats';
export * from './cosine';
export * from './softmax';
export { SyncSession, encodeOnnxModel, cachedSession, linalgThreads, ONNX_FLOAT, ONNX_DOUBLE } from './onnx';
export type { OnnxNode, OnnxValueInfo } from './onnx';
