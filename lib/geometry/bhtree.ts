/**
 * A Barnes–Hut space-partitioning tree (quadtree for 2-D, octree for 3-D) in flat typed arrays, rebuilt every
 * t-SNE iteration, and the repulsive-force traversal that uses it.
 */

import { kernels } from './bhkernels';

const MAX_DEPTH = 48;

/** Allocate a typed array, on shared memory when asked (for worker threads). */
function alloc<T extends Float64Array | Int32Array>(Ctor: { new(b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number }, n: number, shared: boolean): T {
  return new Ctor(shared ? new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT) : new ArrayBuffer(n * Ctor.BYTES_PER_ELEMENT));
}

/** A Barnes–Hut tree over n points in `dims` (2 or 3) dimensions; nodes live in flat arrays. */
export class BhTree {
  readonly dims: number;
  /** Number of nodes in use. */
  nodes = 0;
  /** Centre of mass per node, nodes×dims. */
  com: Float64Array;
  /** Squared largest side of each node's cell. */
  w2: Float64Array;
  /** Number of points under each node. */
  count: Int32Array;
  /** First child node index (children are contiguous); -1 for a leaf. */
  firstChild: Int32Array;
  /** Number of children of each node. */
  nChild: Int32Array;
  /** Offset of the node's points in `perm`. */
  start: Int32Array;
  /** Point indices, grouped so that every node's points are contiguous. */
  perm: Int32Array;
  private tmp: Int32Array;
  private scratch: Int32Array;
  /** Interleaved node data for the traversal: [com…, w2, count] per node (stride dims + 2). */
  nf: Float64Array;
  /** Interleaved node links: [firstChild, nChild, start] per node (stride 3). */
  ni: Int32Array;
  /** Incremented whenever nf/ni are reallocated (workers must be handed the new buffers). */
  generation = 0;
  /** Whether perm/nf/ni live on shared memory. */
  readonly shared: boolean;
  private stack = new Int32Array(MAX_DEPTH * 8 + 16);
  private cap = 0;
  // per-node cell bounds during the build
  private bmin: Float64Array;
  private bmax: Float64Array;

  /** Largest number of points kept in one leaf (leaves are summarised like cells, or visited point by point). */
  readonly leafSize: number;

  constructor(n: number, dims: number, shared = false, leafSize = 8) {
    this.leafSize = Math.max(1, Math.floor(leafSize));
    if (dims !== 2 && dims !== 3) throw new Error(`BhTree: dims must be 2 or 3, got ${dims}`);
    this.dims = dims;
    this.shared = shared;
    this.perm = alloc(Int32Array, n, shared);
    this.nf = alloc(Float64Array, 0, shared);
    this.ni = alloc(Int32Array, 0, shared);
    this.tmp = new Int32Array(n);
    this.scratch = new Int32Array(n);
    this.com = new Float64Array(0);
    this.w2 = new Float64Array(0);
    this.count = new Int32Array(0);
    this.firstChild = new Int32Array(0);
    this.nChild = new Int32Array(0);
    this.start = new Int32Array(0);
    this.bmin = new Float64Array(0);
    this.bmax = new Float64Array(0);
    this.grow(Math.max(16, 4 * n));
  }

  private grow(cap: number): void {
    const d = this.dims;
    const ext = <T extends Float64Array | Int32Array>(a: T, size: number): T => {
      const b = new (a.constructor as { new(n: number): T })(size);
      b.set(a.subarray(0, Math.min(a.length, size)));
      return b;
    };
    this.com = ext(this.com, cap * d);
    this.w2 = ext(this.w2, cap);
    this.count = ext(this.count, cap);
    this.firstChild = ext(this.firstChild, cap);
    this.nChild = ext(this.nChild, cap);
    this.start = ext(this.start, cap);
    this.bmin = ext(this.bmin, cap * d);
    this.bmax = ext(this.bmax, cap * d);
    this.cap = cap;
  }

  /** Rebuild the tree over Y (n×dims, row-major). */
  build(Y: Float64Array, n: number): void {
    const d = this.dims;
    const nc = 1 << d;
    const perm = this.perm, tmp = this.tmp;
    for (let i = 0; i < n; i++) perm[i] = i;
    // root bounds
    const lo0 = new Float64Array(d).fill(Infinity), hi0 = new Float64Array(d).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        const v = Y[i * d + a];
        if (v < lo0[a]) lo0[a] = v;
        if (v > hi0[a]) hi0[a] = v;
      }
    }
    for (let a = 0; a < d; a++) {
      const pad = Math.max(1e-5, (hi0[a] - lo0[a]) * 1e-3);
      lo0[a] -= pad;
      hi0[a] += pad;
    }
    this.nodes = 1;
    this.start[0] = 0;
    this.count[0] = n;
    for (let a = 0; a < d; a++) {
      this.bmin[a] = lo0[a];
      this.bmax[a] = hi0[a];
    }
    // process nodes in creation order (breadth-first); depth tracked separately
    const depth: number[] = [0];
    const cnt = new Int32Array(nc);
    const off = new Int32Array(nc);
    const mid = new Float64Array(d);
    for (let node = 0; node < this.nodes; node++) {
      const s = this.start[node], c = this.count[node];
      // centre of mass
      const cb = node * d;
      let w2 = 0;
      for (let a = 0; a < d; a++) {
        let sum = 0;
        for (let t = s; t < s + c; t++) sum += Y[perm[t] * d + a];
        this.com[cb + a] = sum / c;
        const w = this.bmax[cb + a] - this.bmin[cb + a];
        if (w * w > w2) w2 = w * w;
        mid[a] = 0.5 * (this.bmin[cb + a] + this.bmax[cb + a]);
      }
      this.w2[node] = w2;
      this.firstChild[node] = -1;
      this.nChild[node] = 0;
      if (c <= this.leafSize || depth[node] >= MAX_DEPTH) continue;
      // all points identical? then leaf
      let same = true;
      const p0 = perm[s] * d;
      for (let t = s + 1; t < s + c && same; t++) {
        const p = perm[t] * d;
        for (let a = 0; a < d; a++) if (Y[p + a] !== Y[p0 + a]) { same = false; break; }
      }
      if (same) continue;
      // counting sort into quadrants
      cnt.fill(0);
      for (let t = s; t < s + c; t++) {
        const p = perm[t] * d;
        let q = 0;
        for (let a = 0; a < d; a++) if (Y[p + a] > mid[a]) q |= 1 << a;
        tmp[t] = q;
        cnt[q]++;
      }
      let acc = s;
      for (let q = 0; q < nc; q++) {
        off[q] = acc;
        acc += cnt[q];
      }
      // stable scatter through the scratch buffer
      const scr = this.scratch;
      for (let t = s; t < s + c; t++) scr[t] = perm[t];
      for (let t = s; t < s + c; t++) perm[off[tmp[t]]++] = scr[t];
      // create children
      let nonEmpty = 0;
      for (let q = 0; q < nc; q++) if (cnt[q] > 0) nonEmpty++;
      if (this.nodes + nonEmpty > this.cap) this.grow(Math.max(this.cap * 2, this.nodes + nonEmpty + 16));
      this.firstChild[node] = this.nodes;
      this.nChild[node] = nonEmpty;
      let cs = s;
      for (let q = 0; q < nc; q++) {
        if (cnt[q] === 0) continue;
        const ch = this.nodes++;
        this.start[ch] = cs;
        this.count[ch] = cnt[q];
        cs += cnt[q];
        for (let a = 0; a < d; a++) {
          const lo = this.bmin[cb + a], hi = this.bmax[cb + a];
          if ((q >> a) & 1) {
            this.bmin[ch * d + a] = mid[a];
            this.bmax[ch * d + a] = hi;
          } else {
            this.bmin[ch * d + a] = lo;
            this.bmax[ch * d + a] = mid[a];
          }
        }
        depth[ch] = depth[node] + 1;
      }
    }
    this.pack();
  }

  /** Interleave per-node data for the traversal: nf = [com…, w2, count] (stride dims+2), ni = [firstChild, nChild, start]. */
  private pack(): void {
    const d = this.dims, st = d + 2, m = this.nodes;
    if (this.nf.length < m * st) {
      this.nf = alloc(Float64Array, this.cap * st, this.shared);
      this.ni = alloc(Int32Array, this.cap * 3, this.shared);
      this.generation++;
    }
    const nf = this.nf, ni = this.ni;
    for (let v = 0; v < m; v++) {
      for (let a = 0; a < d; a++) nf[v * st + a] = this.com[v * d + a];
      nf[v * st + d] = this.w2[v];
      nf[v * st + d + 1] = this.count[v];
      ni[3 * v] = this.firstChild[v];
      ni[3 * v + 1] = this.nChild[v];
      ni[3 * v + 2] = this.start[v];
    }
  }

  /**
   * Repulsive forces of t-SNE (Student-t, one degree of freedom) for the points at tree-order positions
   * [p0, p1) of `perm`: writes the unnormalised force Σ count·q²·(y_i − y_cell) into neg (n×dims) and returns
   * the partial normaliser Σ count·q. A cell is summarised when its squared width < θ²·squared distance;
   * the point itself and exact duplicates are skipped (as scikit-learn's quadtree).
   */
  repulsion(Y: Float64Array, theta: number, neg: Float64Array, p0 = 0, p1 = this.perm.length): number {
    return kernels().repulsion(this.dims, Y, this.nf, this.ni, this.perm, this.stack, theta * theta, neg, p0, p1);
  }
}
