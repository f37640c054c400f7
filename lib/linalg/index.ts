// Fast dense linear algebra for the analysis stage: GEMM on ONNX Runtime's MLAS kernels, symmetric eigen-solvers,
// Lanczos, LOBPCG, Cholesky, pseudo-inverses, cosine matrices, softmax and the statistics' special functions. The ONNX
// Runtime sessions behind GEMM (onnx.ts) stay behind their file.
export { gemm, gemm64, sumSquares, rowSumSquares, colSums, subtractRow, transpose, type GemmOptions } from './gemm';
export * from './eigen';
export * from './lobpcg';
export * from './cholesky';
export * from './special';
export * from './stats';
export * from './cosine';
export * from './softmax';
