import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colSums, gemm, gemm64, naiveGemmInto, rowSumSquares, subtractRow, sumSquares, transpose } from '../../lib/linalg/gemm';
import { eighSym, eighTridiagonal, lanczosTop, orthonormalizeColumns, orthonormalizeSpan, pinvApplyLanczos, pinvSym } from '../../lib/linalg/eigen';
import { encodeOnnxModel, SyncSession } from '../../lib/linalg/onnx';
import { lobpcgSmallest } from '../../lib/linalg/lobpcg';
import { choleskyInPlace, choleskySolve, choleskySolveInPlace } from '../../lib/linalg/cholesky';
import { cosineMatrix } from '../../lib/linalg/cosine';
import { softmax, softmaxAt } from '../../lib/linalg/softmax';
import { Rng } from '../../lib/util/rng';
import type { Matrix } from '../../lib/util/matrix';
import { pythonReference } from '../reference';

function randMatrix(rows: number, cols: number, seed: number): Matrix {
  const r = new Rng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = r.normal();
  return { rows, cols, data };
}

function randomSym(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = rng.normal();
  return A;
}

/** Cyclic Jacobi eigenvalue algorithm (the test's independent reference): eigenvalues ascending + eigenvectors as rows. */
function jacobiEig(A0: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const A = Float64Array.from(A0);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p], vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => A[a * n + a] - A[b * n + b]);
  const vectors = new Float64Array(n * n);
  idx.forEach((k, r) => {
    for (let i = 0; i < n; i++) vectors[r * n + i] = V[i * n + k];
  });
  return { values: idx.map((k) => A[k * n + k]), vectors };
}

/** A symmetric PSD n×n matrix of rank r (float64): BᵀB with B r×n. */
function psd(n: number, r: number, seed: number): Float64Array {
  const B = randMatrix(r, n, seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += B.data[k * n + i] * B.data[k * n + j];
      A[i * n + j] = s;
    }
  }
  return A;
}

function matvec(A: Float64Array, n: number, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j] * v[j];
    out[i] = s;
  }
  return out;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('ONNX model encoder + synchronous session run a one-node graph', () => {
  const s = new SyncSession(
    encodeOnnxModel({
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['c'] }],
      inputs: [{ name: 'a', shape: ['n'] }, { name: 'b', shape: ['n'] }],
      outputs: [{ name: 'c', shape: ['n'] }],
    }),
  );
  const r = s.run({ a: { data: new Float32Array([1, 2, 3]), dims: [3] }, b: { data: new Float32Array([10, 20, 30]), dims: [3] } });
  assert.deepEqual(Array.from(r.c), [11, 22, 33]);
});

test('gemm (MLAS) equals naive loops for every transpose combination', () => {
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const m = 67, k = 131, n = 45;
    const A = tA ? randMatrix(k, m, 1) : randMatrix(m, k, 1);
    const B = tB ? randMatrix(n, k, 2) : randMatrix(k, n, 2);
    const C = gemm(A, B, { transA: tA, transB: tB, alpha: 0.5 });
    const R: Matrix = { rows: m, cols: n, data: new Float32Array(m * n) };
    naiveGemmInto(A, B, R, tA, tB, 0.5);
    assert.equal(C.rows, m);
    assert.equal(C.cols, n);
    assert.ok(maxAbs(C.data, R.data) < 1e-4, `transA=${tA} transB=${tB}: max diff ${maxAbs(C.data, R.data)}`);
    // preallocated output
    const out: Matrix = { rows: m, cols: n, data: new Float32Array(m * n) };
    gemm(A, B, { transA: tA, transB: tB, alpha: 0.5, out });
    assert.ok(maxAbs(out.data, R.data) < 1e-4);
  }
  assert.throws(() => gemm(randMatrix(3, 4, 1), randMatrix(5, 2, 1)), /inner dimensions differ/);
});

test('gemm64 equals naive float64 loops', () => {
  const a = new Float64Array(80 * 90).map((_, i) => Math.sin(i));
  const b = new Float64Array(70 * 90).map((_, i) => Math.cos(i * 0.3));
  const c = gemm64(a, [80, 90], b, [70, 90], { transB: true });
  let m = 0;
  for (let i = 0; i < 80; i++) {
    for (let j = 0; j < 70; j++) {
      let s = 0;
      for (let k = 0; k < 90; k++) s += a[i * 90 + k] * b[j * 90 + k];
      m = Math.max(m, Math.abs(s - c.data[i * 70 + j]));
    }
  }
  assert.ok(m < 1e-10, `max diff ${m}`);
});

test('column sums, row/total sums of squares, transpose and row subtraction match loops', () => {
  const X = randMatrix(300, 260, 3);
  const cs = colSums(X);
  const rs = rowSumSquares(X);
  let tot = 0;
  for (let j = 0; j < X.cols; j++) {
    let s = 0;
    for (let i = 0; i < X.rows; i++) s += X.data[i * X.cols + j];
    assert.ok(Math.abs(s - cs[j]) < 1e-3);
  }
  for (let i = 0; i < X.rows; i++) {
    let s = 0;
    for (let j = 0; j < X.cols; j++) s += X.data[i * X.cols + j] ** 2;
    tot += s;
    assert.ok(Math.abs(s - rs[i]) < 1e-3 * s);
  }
  assert.ok(Math.abs(sumSquares(X.data) - tot) < 1e-5 * tot);
  for (const M of [X, randMatrix(7, 5, 9)]) {
    const T = transpose(M);
    assert.equal(T.rows, M.cols);
    for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) assert.equal(T.data[j * M.rows + i], M.data[i * M.cols + j]);
  }
  const v = Array.from({ length: X.cols }, (_, j) => j * 0.01);
  const Y = subtractRow(X, v);
  for (let i = 0; i < X.rows; i += 37) for (let j = 0; j < X.cols; j++) assert.equal(Y.data[i * X.cols + j], Math.fround(X.data[i * X.cols + j] - Math.fround(v[j])));
});

test('eighSym agrees with a Jacobi eigensolver and satisfies A·v = λ·v', () => {
  const n = 40;
  const A = psd(n, 25, 4); // rank 25: 15 zero eigenvalues
  for (let i = 0; i < n; i++) A[i * n + i] -= 3; // make it indefinite
  const e = eighSym(A, n);
  const j = jacobiEig(A, n);
  assert.ok(maxAbs(e.values, j.values) < 1e-9, `eigenvalues differ by ${maxAbs(e.values, j.values)}`);
  for (let k = 0; k < n; k++) {
    const v = e.vectors.subarray(k * n, k * n + n);
    const Av = matvec(A, n, v);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(Av[i] - e.values[k] * v[i]) < 1e-9);
    // non-degenerate eigenvectors equal Jacobi's up to sign (the −3 eigenvalue has multiplicity 15: skip those)
    if (Math.abs(e.values[k] + 3) > 1e-6) {
      const w = j.vectors.subarray(k * n, k * n + n);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i] * w[i];
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-8, `eigenvector ${k}: |cos| = ${Math.abs(dot)}`);
    }
  }
  const t = eighTridiagonal([2, 2, 2], [1, 1]);
  assert.ok(maxAbs(t.values, [2 - Math.SQRT2, 2, 2 + Math.SQRT2]) < 1e-12);
});

test('orthonormalizeColumns / orthonormalizeSpan return orthonormal columns spanning the input', () => {
  const A = Float64Array.from(randMatrix(5000, 6, 5).data);
  for (const Q of [orthonormalizeColumns(A, 5000, 6), orthonormalizeSpan(A, 5000, 6)]) {
    // orthonormal
    for (let a = 0; a < 6; a++) {
      for (let b = 0; b < 6; b++) {
        let s = 0;
        for (let i = 0; i < 5000; i++) s += Q[i * 6 + a] * Q[i * 6 + b];
        assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-12);
      }
    }
    // spans A: every column of A equals its projection Q·Qᵀ·a
    for (let c = 0; c < 6; c++) {
      const coef = new Float64Array(6);
      for (let k = 0; k < 6; k++) for (let i = 0; i < 5000; i++) coef[k] += Q[i * 6 + k] * A[i * 6 + c];
      for (let i = 0; i < 5000; i += 97) {
        let p = 0;
        for (let k = 0; k < 6; k++) p += Q[i * 6 + k] * coef[k];
        assert.ok(Math.abs(p - A[i * 6 + c]) < 1e-9);
      }
    }
  }
});

test('orthonormalizeColumns returns orthonormal columns (small)', () => {
  const A = Float64Array.from(randMatrix(50, 6, 5).data);
  const Q = orthonormalizeColumns(A, 50, 6);
  for (let a = 0; a < 6; a++) {
    for (let b = 0; b < 6; b++) {
      let s = 0;
      for (let i = 0; i < 50; i++) s += Q[i * 6 + a] * Q[i * 6 + b];
      assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-12);
    }
  }
});

test('pinvSym matches numpy.linalg.pinv(hermitian=True) and the Moore–Penrose identities', () => {
  const n = 30;
  const A = psd(n, 18, 6);
  const P = pinvSym(A, n);
  const ref = pythonReference<number[]>('linalg/pinv-hermitian-30',
    'import sys,json,numpy as np; a=np.array(json.load(sys.stdin)).reshape(30,30); print(json.dumps(np.linalg.pinv(a, hermitian=True).ravel().tolist()))',
    Array.from(A));
  let scale = 0;
  for (const v of ref) scale = Math.max(scale, Math.abs(v));
  assert.ok(maxAbs(P, ref) < 1e-9 * scale, `pinv vs numpy: ${maxAbs(P, ref)} (scale ${scale})`);
  // A P A = A, P A P = P, (A P) symmetric
  const mm = (X: Float64Array, Y: Float64Array) => {
    const Z = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) Z[i * n + j] += X[i * n + k] * Y[k * n + j];
    return Z;
  };
  assert.ok(maxAbs(mm(mm(A, P), A), A) < 1e-8);
  assert.ok(maxAbs(mm(mm(P, A), P), P) < 1e-8 * scale);
  const AP = mm(A, P);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(AP[i * n + j] - AP[j * n + i]) < 1e-9);
  // an absolute cut-off drops small eigenvalues: atol above the 3 smallest nonzero ones
  const e = eighSym(A, n);
  const nz = Array.from(e.values).filter((v) => v > 1e-8);
  const atol = (nz[2] + nz[3]) / 2;
  const Pc = pinvSym(A, n, { atol });
  const Pr = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    if (!(e.values[k] > atol)) continue;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Pr[i * n + j] += (e.vectors[k * n + i] * e.vectors[k * n + j]) / e.values[k];
  }
  assert.ok(maxAbs(Pc, Pr) < 1e-10 * scale);
});

test('Lanczos: top eigenpairs and pinv·b agree with the dense eigen-decomposition (rank-deficient, with atol)', () => {
  const n = 120;
  const A = psd(n, 70, 7);
  const op = (v: Float64Array, out: Float64Array) => out.set(matvec(A, n, v));
  const e = eighSym(A, n);
  const r = new Rng(8);
  const start = Float64Array.from({ length: n }, () => r.normal());
  const top = lanczosTop(op, n, 3, start, { tol: 1e-10 });
  for (let t = 0; t < 3; t++) {
    const lam = e.values[n - 1 - t];
    assert.ok(Math.abs(top.values[t] - lam) < 1e-8 * lam, `eigenvalue ${t}: ${top.values[t]} vs ${lam}`);
    let dot = 0;
    for (let i = 0; i < n; i++) dot += top.vectors[t][i] * e.vectors[(n - 1 - t) * n + i];
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-6);
  }
  const b = Float64Array.from({ length: n }, () => r.normal()); // has a null-space component
  for (const atol of [0, 1e-3, e.values.filter((v) => v > 1e-8)[5]]) {
    const ref = matvec(pinvSym(A, n, { atol }), n, b);
    const got = pinvApplyLanczos(op, b, { atol, maxIter: n });
    let s = 0;
    for (const v of ref) s = Math.max(s, Math.abs(v));
    assert.ok(maxAbs(got.x, ref) < 1e-6 * s, `atol=${atol}: ${maxAbs(got.x, ref)} (scale ${s})`);
  }
});

test('eighSym: hand-derived 2×2 and A·v = λ·v, orthonormal vectors on a random 60×60', () => {
  const e = eighSym([2, 1, 1, 2], 2);
  assert.ok(Math.abs(e.values[0] - 1) < 1e-14 && Math.abs(e.values[1] - 3) < 1e-14);
  assert.ok(Math.abs(Math.abs(e.vectors[0]) - Math.SQRT1_2) < 1e-14);
  const n = 60;
  const A = randomSym(n, 1);
  const { values, vectors } = eighSym(A, n);
  let worst = 0, orth = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0) assert.ok(values[k] >= values[k - 1]);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * vectors[k * n + j];
      worst = Math.max(worst, Math.abs(s - values[k] * vectors[k * n + i]));
    }
    for (let l = 0; l < n; l++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += vectors[k * n + i] * vectors[l * n + i];
      orth = Math.max(orth, Math.abs(d - (k === l ? 1 : 0)));
    }
  }
  assert.ok(worst < 1e-11 && orth < 1e-12, `residual ${worst}, orthogonality ${orth}`);
});

test('LOBPCG finds the same smallest eigenpairs as the dense solver, with a constraint vector', () => {
  const n = 150;
  const B = randomSym(n, 2);
  // A = BᵀB / n + diag: SPD; constrained away from e_0
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < n; t++) s += B[t * n + i] * B[t * n + j];
    A[i * n + j] = s / n;
  }
  const op = (x: Float64Array, y: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * x[j];
      y[i] = s;
    }
  };
  const d = eighSym(A, n);
  const r = lobpcgSmallest(op, n, 3, { tol: 1e-10 });
  assert.ok(r.converged);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(r.values[k] - d.values[k]) < 1e-9 * d.values[n - 1], `λ${k}: ${r.values[k]} vs ${d.values[k]}`);
  // constrained to the complement of the smallest eigenvector: the next three
  const v0 = d.vectors.slice(0, n);
  const rc = lobpcgSmallest(op, n, 3, { tol: 1e-10, constraints: [v0] });
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(rc.values[k] - d.values[k + 1]) < 1e-9 * d.values[n - 1], `constrained λ${k}`);
});

test('blocked Cholesky (GEMM path) reconstructs A = L·Lᵀ and solves one and many right-hand sides', () => {
  const n = 300;
  const B = randomSym(n, 3);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = i === j ? n : 0;
    for (let t = 0; t < n; t++) s += B[i * n + t] * B[j * n + t];
    A[i * n + j] = A[j * n + i] = s;
  }
  const L = Float64Array.from(A);
  choleskyInPlace(L, n);
  let worst = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let t = 0; t <= j; t++) s += L[i * n + t] * L[j * n + t];
    worst = Math.max(worst, Math.abs(s - A[i * n + j]) / A[i * n + i]);
  }
  assert.ok(worst < 1e-12, `max relative |LLᵀ − A| = ${worst}`);
  const rng = new Rng(4);
  const x0 = Float64Array.from({ length: n }, () => rng.normal());
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += A[i * n + j] * x0[j];
  choleskySolveInPlace(L, n, b);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(b[i] - x0[i]) < 1e-9);
  const notPd = new Float64Array([1, 2, 2, 1]);
  assert.throws(() => choleskyInPlace(notPd, 2), /not positive definite/);
  // the many-right-hand-side solve against a hand-solved 2×2 system: [[4, 2], [2, 3]] x = [2, 1] → x = [0.5, 0]
  const x = choleskySolve(Float64Array.from([4, 2, 2, 3]), 2, Float64Array.from([2, 1]), 1);
  assert.ok(Math.abs(x[0] - 0.5) < 1e-15 && Math.abs(x[1]) < 1e-15);
  assert.throws(() => choleskySolve(notPd, 2, Float64Array.from([1, 1]), 1), /not positive definite/);
});

test('cosineMatrix: hand values, a zero vector, two sets, and a length mismatch named', () => {
  const s = Math.SQRT1_2;
  const self = cosineMatrix([[1, 0], [1, 1], [0, -3], [0, 0]]);
  assert.deepEqual(self.map((r) => r[r.length - 1]), [0, 0, 0, 0], 'a zero vector has cosine 0, also with itself');
  const want = [[1, s, 0], [s, 1, -s], [0, -s, 1]];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(self[i][j] - want[i][j]) < 1e-15, `${i},${j}`);
  const two = cosineMatrix({ rows: 2, cols: 2, data: Float32Array.from([1, 0, 0, 2]) }, [[3, 3]]);
  assert.ok(Math.abs(two[0][0] - s) < 1e-7 && Math.abs(two[1][0] - s) < 1e-7 && two[0].length === 1);
  assert.throws(() => cosineMatrix([[1, 0], [1, 0, 0]]), /cosineMatrix: vector 1 has 3 values, expected 2/);
});

test('softmax / softmaxAt: stable on large logits, sum to 1, hand values, the same numbers from both', () => {
  const row = Float32Array.from([1000, 1000 + Math.log(3), -5]);
  const p = softmax(row);
  assert.ok(Math.abs(p.reduce((a, x) => a + x, 0) - 1) < 1e-15);
  assert.ok(Math.abs(p[1] / p[0] - 3) < 1e-4, 'ratio of the two top entries is e^(log 3) (float32 logits)');
  assert.ok(p[2] >= 0 && p[2] < 1e-300, 'a logit 1000 below the top underflows to 0, not NaN');
  const hand = softmax([0, Math.log(2), Math.log(5)]);
  [1 / 8, 2 / 8, 5 / 8].forEach((v, i) => assert.ok(Math.abs(hand[i] - v) < 1e-15, `p${i}`));
  assert.deepEqual(softmaxAt(row, [2, 0]), [p[2], p[0]]);
});
