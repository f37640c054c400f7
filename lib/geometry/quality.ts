import type { Matrix } from '../util/matrix';
import { knn, pairwiseSqDist, rowSqNorms, dotBlock } from './knn';
import { eighSym } from '../linalg/eigen';
import type { Csr } from './tsne';

/**
 * Trustworthiness of an embedding (sklearn.manifold.trustworthiness, Euclidean): 1 − penalty for points that are
 * among the k nearest neighbours in the embedding but not in the original space, weighted by their original rank.
 */
export function trustworthiness(X: Matrix, Y: Matrix, k = 5): number {
  const n = X.rows;
  if (Y.rows !== n) throw new Error(`trustworthiness: X has ${n} rows but the embedding has ${Y.rows}`);
  if (!(k >= 1 && k < n / 2)) throw new Error(`trustworthiness: n_neighbors ${k} must be < n/2 = ${n / 2}`);
  const emb = knn(Y, k);
  const norms = rowSqNorms(X);
  const row = new Float64Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    dotBlock(X.data, X.data, X.cols, i, i + 1, 0, n, row, n);
    for (let j = 0; j < n; j++) row[j] = norms[i] + norms[j] - 2 * row[j];
    for (let a = 0; a < k; a++) {
      const j = emb.indices[i * k + a];
      const dj = row[j];
      // original rank of j among i's neighbours (1 = nearest); ties broken by index
      let rank = 1;
      for (let l = 0; l < n; l++) {
        if (l === i || l === j) continue;
        if (row[l] < dj || (row[l] === dj && l < j)) rank++;
      }
      if (rank > k) t += rank - k;
    }
  }
  return 1 - t * (2 / (n * k * (2 * n - 3 * k - 1)));
}

/** Exact KL(P‖Q) of an embedding Y under a sparse joint P (Student-t Q over all pairs, 1 d.o.f.). */
export function klDivergence(P: Csr, Y: Matrix): number {
  const n = Y.rows, d = Y.cols;
  if (P.n !== n) throw new Error(`klDivergence: P is ${P.n}×${P.n} but the embedding has ${n} rows`);
  const y = Y.data;
  let Z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let a = 0; a < d; a++) {
        const e = y[i * d + a] - y[j * d + a];
        d2 += e * e;
      }
      Z += 2 / (1 + d2);
    }
  }
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let t = P.rowPtr[i]; t < P.rowPtr[i + 1]; t++) {
      const j = P.col[t], p = P.val[t];
      if (p <= 0) continue;
      let d2 = 0;
      for (let a = 0; a < d; a++) {
        const e = y[i * d + a] - y[j * d + a];
        d2 += e * e;
      }
      kl += p * Math.log(p / (1 / (1 + d2) / Z));
    }
  }
  return kl;
}

/**
 * Procrustes disparity between two configurations (as scipy.spatial.procrustes): both centred and scaled to unit
 * Frobenius norm, B optimally rotated/reflected onto A; 0 = identical up to similarity, 1 = unrelated.
 */
export function procrustesDisparity(A: Matrix, B: Matrix): number {
  if (A.rows !== B.rows || A.cols !== B.cols) throw new Error(`procrustes: shapes ${A.rows}×${A.cols} vs ${B.rows}×${B.cols}`);
  const n = A.rows, d = A.cols;
  const norm = (M: Matrix): Float64Array => {
    const out = Float64Array.from(M.data);
    for (let a = 0; a < d; a++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += out[i * d + a];
      m /= n;
      for (let i = 0; i < n; i++) out[i * d + a] -= m;
    }
    let s = 0;
    for (const v of out) s += v * v;
    s = Math.sqrt(s);
    if (s === 0) throw new Error('procrustes: a configuration has zero spread');
    for (let t = 0; t < out.length; t++) out[t] /= s;
    return out;
  };
  const a = norm(A), b = norm(B);
  // M = Aᵀ B (d×d); the optimal trace is the sum of singular values of M = Σ sqrt(eig(MᵀM))
  const M = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) M[p * d + q] += a[i * d + p] * b[i * d + q];
  const MtM = new Float64Array(d * d);
  for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) {
    let s = 0;
    for (let r = 0; r < d; r++) s += M[r * d + p] * M[r * d + q];
    MtM[p * d + q] = s;
  }
  const { values } = eighSym(MtM, d);
  let tr = 0;
  for (const v of values) tr += Math.sqrt(Math.max(0, v));
  return Math.max(0, 1 - tr * tr);
}

/** Pearson correlation between the pairwise distances of two configurations (rotation/reflection/scale invariant). */
export function distanceCorrelation(A: Matrix, B: Matrix): number {
  if (A.rows !== B.rows) throw new Error(`distanceCorrelation: ${A.rows} vs ${B.rows} rows`);
  const n = A.rows;
  const da = pairwiseSqDist(A), db = pairwiseSqDist(B);
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, m = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = Math.sqrt(da[i * n + j]), y = Math.sqrt(db[i * n + j]);
      sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; m++;
    }
  }
  const cov = sab / m - (sa / m) * (sb / m);
  const va = saa / m - (sa / m) ** 2, vb = sbb / m - (sb / m) ** 2;
  return cov / Math.sqrt(va * vb);
}
