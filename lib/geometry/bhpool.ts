import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { KERNEL_SOURCE } from './bhkernels';

/** Buffers a force worker reads and writes (all on SharedArrayBuffers). */
export interface ForceBuffers {
  Y: Float64Array;
  nf: Float64Array;
  ni: Int32Array;
  perm: Int32Array;
  neg: Float64Array;
  pos: Float64Array;
  rowPtr: Int32Array;
  col: Int32Array;
  val: Float64Array;
  /** Per-chunk partial sums: [Σq, Σ p·log(p/q), Σp] for each chunk. */
  partial: Float64Array;
}

/** Parameters of one gradient evaluation shared by all chunks. */
export interface ForceTask {
  dims: number;
  th2: number;
  exaggeration: number;
  computeError: boolean;
  n: number;
  chunk: number;
}

/**
 * Chunk loop shared by the worker and the caller: claim chunk indices with compare-and-swap on a counter that
 * carries the task sequence number in its high bits (so a late thread never claims a chunk of a newer task),
 * compute repulsion over tree positions and attraction over rows of the chunk, store the chunk's partial sums,
 * count it done.
 */
const CHUNK_LOOP_SOURCE = String.raw`
function runChunks(ctl, par, B, stack, out, seq) {
  var dims = par[0], th2 = par[1], ex = par[2], ce = par[3] !== 0, n = par[4], ch = par[5];
  var nChunks = Math.ceil(n / ch);
  var tag = (seq & 0x7fff) << 16;
  for (;;) {
    var v = Atomics.load(ctl, 4);
    if ((v & 0x7fff0000) !== tag) return;
    var c = v & 0xffff;
    if (c >= nChunks) return;
    if (Atomics.compareExchange(ctl, 4, v, v + 1) !== v) continue;
    var a = c * ch, b = Math.min(n, a + ch);
    var sq = repulsion(dims, B.Y, B.nf, B.ni, B.perm, stack, th2, B.neg, a, b);
    out[0] = 0; out[1] = 0;
    attraction(dims, B.Y, B.rowPtr, B.col, B.val, ex, B.pos, a, b, ce, out);
    B.partial[3 * c] = sq; B.partial[3 * c + 1] = out[0]; B.partial[3 * c + 2] = out[1];
    Atomics.add(ctl, 5, 1);
    Atomics.notify(ctl, 5);
  }
}
`;

const WORKER_SOURCE = String.raw`
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
${KERNEL_SOURCE}
${CHUNK_LOOP_SOURCE}
const ctl = new Int32Array(workerData.ctl);
const par = new Float64Array(workerData.par);
const port = workerData.port;
const stack = new Int32Array(1024);
const out = new Float64Array(2);
let B = null;
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  const cmd = Atomics.load(ctl, 0);
  seen = cmd;
  const op = ctl[3];
  if (op < 0) break;
  try {
    if (op === 1) {
      const m = receiveMessageOnPort(port);
      if (m) B = m.message;
      Atomics.store(ctl, 1, cmd);
      Atomics.notify(ctl, 1);
    } else if (op === 2) {
      runChunks(ctl, par, B, stack, out, cmd);
    }
  } catch (e) {
    Atomics.store(ctl, 2, 1);
    Atomics.notify(ctl, 5);
    Atomics.notify(ctl, 1);
  }
}
`;

let mainLoop: ((ctl: Int32Array, par: Float64Array, B: ForceBuffers, stack: Int32Array, out: Float64Array, seq: number) => void) | null = null;

/**
 * A helper thread for the Barnes–Hut t-SNE gradient. Both threads claim small chunks of points from a shared
 * counter (so a descheduled helper only costs the chunk it holds), each chunk's partial sums go to its own slot,
 * and the caller adds the slots in chunk order: results do not depend on which thread did what.
 */
export class ForcePool {
  private worker: Worker;
  private port: MessagePort;
  private ctl: Int32Array;
  private par: Float64Array;
  private seq = 0;
  private closed = false;
  private B: ForceBuffers | null = null;
  private stack = new Int32Array(1024);
  private out = new Float64Array(2);

  constructor() {
    // ctl: [0] task sequence, [1] buffer-load acknowledgement, [2] worker error, [3] op, [4] chunk counter, [5] chunks done
    this.ctl = new Int32Array(new SharedArrayBuffer(8 * 4));
    this.par = new Float64Array(new SharedArrayBuffer(8 * 8));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctl: this.ctl.buffer, par: this.par.buffer, port: port2 },
      transferList: [port2],
    });
    this.worker.unref();
    if (!mainLoop) {
      mainLoop = new Function(`${KERNEL_SOURCE}\n${CHUNK_LOOP_SOURCE}\nreturn runChunks;`)() as typeof mainLoop;
    }
  }

  private signal(op: number): void {
    this.ctl[3] = op;
    this.seq = (this.seq + 1) & 0x7fff;
    if (this.seq === 0) this.seq = 1;
    Atomics.store(this.ctl, 0, this.seq);
    Atomics.notify(this.ctl, 0);
  }

  private checkError(): void {
    if (Atomics.load(this.ctl, 2) !== 0) throw new Error('ForcePool: worker thread failed while computing t-SNE forces');
  }

  /** Hand the worker a new set of shared buffers (after any of them was reallocated). */
  setBuffers(b: ForceBuffers): void {
    this.B = b;
    this.port.postMessage(b);
    this.signal(1);
    const deadline = Date.now() + 120_000;
    while (Atomics.load(this.ctl, 1) !== this.seq) {
      Atomics.wait(this.ctl, 1, Atomics.load(this.ctl, 1), 1000);
      this.checkError();
      if (Date.now() > deadline) throw new Error('ForcePool: worker thread did not answer within 120 s');
    }
  }

  /**
   * Compute repulsion and attraction for all n points with the helper (chunks of `chunk` points); returns the
   * totals Σq, Σ p·log(p/q), Σp summed in chunk order.
   */
  run(t: ForceTask): { sumQ: number; C: number; S: number } {
    if (!this.B) throw new Error('ForcePool: setBuffers() must be called first');
    const p = this.par;
    p[0] = t.dims; p[1] = t.th2; p[2] = t.exaggeration; p[3] = t.computeError ? 1 : 0; p[4] = t.n; p[5] = t.chunk;
    const nChunks = Math.ceil(t.n / t.chunk);
    if (nChunks > 0xffff) throw new Error(`ForcePool: too many chunks (${nChunks})`);
    Atomics.store(this.ctl, 5, 0);
    const next = (this.seq + 1) & 0x7fff || 1;
    Atomics.store(this.ctl, 4, next << 16);
    this.signal(2);
    mainLoop!(this.ctl, this.par, this.B, this.stack, this.out, this.seq);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const done = Atomics.load(this.ctl, 5);
      if (done >= nChunks) break;
      this.checkError();
      Atomics.wait(this.ctl, 5, done, 1000);
      if (Date.now() > deadline) throw new Error('ForcePool: worker thread did not answer within 120 s');
    }
    this.checkError();
    let sumQ = 0, C = 0, S = 0;
    const part = this.B.partial;
    for (let c = 0; c < nChunks; c++) {
      sumQ += part[3 * c];
      C += part[3 * c + 1];
      S += part[3 * c + 2];
    }
    return { sumQ, C, S };
  }

  /** Stop the worker thread. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal(-1);
    void this.worker.terminate();
    this.port.close();
  }
}
