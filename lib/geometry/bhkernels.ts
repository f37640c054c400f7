/**
 * The Barnes–Hut t-SNE force kernels as plain JavaScript source, so that the same code runs on the main thread
 * (compiled with `new Function`) and inside worker threads (no TypeScript or module loader needed there).
 *
 * Tree layout (built by BhTree): nf = per node [centre of mass (dims values), squared cell width, count]
 * (stride dims + 2); ni = per node [first child (−1 for a leaf), number of children, offset in perm] (stride 3);
 * perm = point ids grouped so that each node's points are contiguous.
 */
export const KERNEL_SOURCE = String.raw`
function repulsion(dims, Y, nf, ni, perm, stack, th2, neg, p0, p1) {
  var sumQ = 0;
  if (dims === 2) {
    for (var pi = p0; pi < p1; pi++) {
      var i = perm[pi];
      var x = Y[2 * i], y = Y[2 * i + 1];
      var fx = 0, fy = 0, sq = 0, sp = 0;
      stack[sp++] = 0;
      while (sp > 0) {
        var node = stack[--sp];
        var b = node << 2;
        var dx = x - nf[b], dy = y - nf[b + 1];
        var d2 = dx * dx + dy * dy;
        var first = ni[3 * node];
        if (first < 0) {
          var c = nf[b + 3];
          if (c === 1) {
            if (d2 === 0) continue;
            var q = 1 / (1 + d2);
            sq += q;
            fx += q * q * dx;
            fy += q * q * dy;
          } else if (nf[b + 2] < th2 * d2) {
            var ql = 1 / (1 + d2);
            sq += c * ql;
            fx += c * ql * ql * dx;
            fy += c * ql * ql * dy;
          } else {
            var s = ni[3 * node + 2];
            for (var t = s; t < s + c; t++) {
              var p = perm[t];
              if (p === i) continue;
              var ex = x - Y[2 * p], ey = y - Y[2 * p + 1];
              var e2 = ex * ex + ey * ey;
              if (e2 === 0) continue;
              var qq = 1 / (1 + e2);
              sq += qq;
              fx += qq * qq * ex;
              fy += qq * qq * ey;
            }
          }
          continue;
        }
        if (nf[b + 2] < th2 * d2) {
          var cc = nf[b + 3];
          var q2 = 1 / (1 + d2);
          sq += cc * q2;
          var m = cc * q2 * q2;
          fx += m * dx;
          fy += m * dy;
          continue;
        }
        var nc = ni[3 * node + 1];
        for (var u = 0; u < nc; u++) stack[sp++] = first + u;
      }
      neg[2 * i] = fx;
      neg[2 * i + 1] = fy;
      sumQ += sq;
    }
    return sumQ;
  }
  var st = dims + 2;
  for (var pi3 = p0; pi3 < p1; pi3++) {
    var i3 = perm[pi3];
    var x3 = Y[3 * i3], y3 = Y[3 * i3 + 1], z3 = Y[3 * i3 + 2];
    var gx = 0, gy = 0, gz = 0, sq3 = 0, sp3 = 0;
    stack[sp3++] = 0;
    while (sp3 > 0) {
      var nd = stack[--sp3];
      var bb = nd * st;
      var ax = x3 - nf[bb], ay = y3 - nf[bb + 1], az = z3 - nf[bb + 2];
      var a2 = ax * ax + ay * ay + az * az;
      var f3 = ni[3 * nd];
      if (f3 < 0) {
        var c3 = nf[bb + 4];
        if (c3 === 1) {
          if (a2 === 0) continue;
          var r = 1 / (1 + a2);
          sq3 += r;
          gx += r * r * ax;
          gy += r * r * ay;
          gz += r * r * az;
        } else if (nf[bb + 3] < th2 * a2) {
          var rl = 1 / (1 + a2);
          sq3 += c3 * rl;
          gx += c3 * rl * rl * ax;
          gy += c3 * rl * rl * ay;
          gz += c3 * rl * rl * az;
        } else {
          var s3 = ni[3 * nd + 2];
          for (var t3 = s3; t3 < s3 + c3; t3++) {
            var p3 = perm[t3];
            if (p3 === i3) continue;
            var hx = x3 - Y[3 * p3], hy = y3 - Y[3 * p3 + 1], hz = z3 - Y[3 * p3 + 2];
            var h2 = hx * hx + hy * hy + hz * hz;
            if (h2 === 0) continue;
            var rr = 1 / (1 + h2);
            sq3 += rr;
            gx += rr * rr * hx;
            gy += rr * rr * hy;
            gz += rr * rr * hz;
          }
        }
        continue;
      }
      if (nf[bb + 3] < th2 * a2) {
        var k3 = nf[bb + 4];
        var r3 = 1 / (1 + a2);
        sq3 += k3 * r3;
        var m3 = k3 * r3 * r3;
        gx += m3 * ax;
        gy += m3 * ay;
        gz += m3 * az;
        continue;
      }
      var n3 = ni[3 * nd + 1];
      for (var w = 0; w < n3; w++) stack[sp3++] = f3 + w;
    }
    neg[3 * i3] = gx;
    neg[3 * i3 + 1] = gy;
    neg[3 * i3 + 2] = gz;
    sumQ += sq3;
  }
  return sumQ;
}

function attraction(dims, Y, rowPtr, col, val, exaggeration, pos, r0, r1, computeError, out) {
  var C = 0, S = 0, TINY = 1.1754943508222875e-38;
  if (dims === 2 && !computeError) {
    for (var i2 = r0; i2 < r1; i2++) {
      var x = Y[2 * i2], y = Y[2 * i2 + 1], fx = 0, fy = 0;
      var e = rowPtr[i2 + 1];
      for (var t2 = rowPtr[i2]; t2 < e; t2++) {
        var j2 = col[t2];
        var dx = x - Y[2 * j2], dy = y - Y[2 * j2 + 1];
        var m2 = val[t2] / (1 + dx * dx + dy * dy);
        fx += m2 * dx;
        fy += m2 * dy;
      }
      pos[2 * i2] = fx * exaggeration;
      pos[2 * i2 + 1] = fy * exaggeration;
    }
    return;
  }
  for (var i = r0; i < r1; i++) {
    var f0 = 0, f1 = 0, f2 = 0;
    var o = i * dims;
    for (var t = rowPtr[i]; t < rowPtr[i + 1]; t++) {
      var j = col[t], oj = j * dims;
      var d0 = Y[o] - Y[oj], d1 = Y[o + 1] - Y[oj + 1];
      var d2v = dims === 3 ? Y[o + 2] - Y[oj + 2] : 0;
      var q = 1 / (1 + d0 * d0 + d1 * d1 + d2v * d2v);
      var p = val[t] * exaggeration;
      var m = p * q;
      f0 += m * d0;
      f1 += m * d1;
      f2 += m * d2v;
      if (computeError) {
        C += p * Math.log(Math.max(p, TINY) / q);
        S += p;
      }
    }
    pos[o] = f0;
    pos[o + 1] = f1;
    if (dims === 3) pos[o + 2] = f2;
  }
  out[0] += C;
  out[1] += S;
}
`;

/** Signature of the compiled repulsion kernel: returns the partial normaliser Σq over perm positions [p0, p1). */
export type RepulsionKernel = (
  dims: number, Y: Float64Array, nf: Float64Array, ni: Int32Array, perm: Int32Array, stack: Int32Array,
  th2: number, neg: Float64Array, p0: number, p1: number,
) => number;

/** Signature of the compiled attraction kernel: writes Σ p·q·(y_i − y_j) for rows [r0, r1), adds Σ p·log(p/q) and Σ p to out. */
export type AttractionKernel = (
  dims: number, Y: Float64Array, rowPtr: Int32Array, col: Int32Array, val: Float64Array, exaggeration: number,
  pos: Float64Array, r0: number, r1: number, computeError: boolean, out: Float64Array,
) => void;

let compiled: { repulsion: RepulsionKernel; attraction: AttractionKernel } | null = null;

/** The kernels compiled for the current thread (once). */
export function kernels(): { repulsion: RepulsionKernel; attraction: AttractionKernel } {
  if (!compiled) {
    compiled = new Function(`${KERNEL_SOURCE}\nreturn { repulsion: repulsion, attraction: attraction };`)() as {
      repulsion: RepulsionKernel; attraction: AttractionKernel;
    };
  }
  return compiled;
}
