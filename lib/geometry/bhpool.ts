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
}

/** One task for a force worker: tree positions [p0, p1) for repulsion, rows [r0, r1) for attraction. */
export interface ForceTask {
  dims: number;
  th2: number;
  exaggeration: number;
  computeError: boolean;
  p0: number;
  p1: number;
  r0: number;
  r1: number;
}

const WORKER_SOURCE = String.raw`
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
${KERNEL_SOURCE}
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
    } else if (op === 2) {
      const dims = par[0];
      const sq = repulsion(dims, B.Y, B.nf, B.ni, B.perm, stack, par[1], B.neg, par[4], par[5]);
      out[0] = 0; out[1] = 0;
      attraction(dims, B.Y, B.rowPtr, B.col, B.val, par[2], B.pos, par[6], par[7], par[3] !== 0, out);
      par[8] = sq; par[9] = out[0]; par[10] = out[1];
    }
  } catch (e) {
    Atomics.store(ctl, 2, 1);
  }
  Atomics.store(ctl, 1, cmd);
  Atomics.notify(ctl, 1);
}
`;

/**
 * A helper thread for the Barnes–Hut t-SNE gradient: the caller hands it half of the points each iteration and
 * waits synchronously (Atomics) for its partial sums, so the optimiser stays a plain synchronous loop.
 */
export class ForcePool {
  private worker: Worker;
  private port: MessagePort;
  private ctl: Int32Array;
  private par: Float64Array;
  private seq = 0;
  private closed = false;

  constructor() {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * 4));
    this.par = new Float64Array(new SharedArrayBuffer(16 * 8));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctl: this.ctl.buffer, par: this.par.buffer, port: port2 },
      transferList: [port2],
    });
    this.worker.unref();
  }

  private signal(op: number): void {
    this.ctl[3] = op;
    this.seq++;
    Atomics.store(this.ctl, 0, this.seq);
    Atomics.notify(this.ctl, 0);
  }

  private wait(): void {
    const deadline = Date.now() + 120_000;
    while (Atomics.load(this.ctl, 1) !== this.seq) {
      const cur = Atomics.load(this.ctl, 1);
      Atomics.wait(this.ctl, 1, cur, 1000);
      if (Date.now() > deadline) throw new Error('ForcePool: worker thread did not answer within 120 s');
    }
    if (Atomics.load(this.ctl, 2) !== 0) throw new Error('ForcePool: worker thread failed while computing t-SNE forces');
  }

  /** Hand the worker a new set of shared buffers (after any of them was reallocated). */
  setBuffers(b: ForceBuffers): void {
    this.port.postMessage(b);
    this.signal(1);
    this.wait();
  }

  /** Start a task on the worker; call finish() after doing the caller's share. */
  start(t: ForceTask): void {
    const p = this.par;
    p[0] = t.dims; p[1] = t.th2; p[2] = t.exaggeration; p[3] = t.computeError ? 1 : 0;
    p[4] = t.p0; p[5] = t.p1; p[6] = t.r0; p[7] = t.r1;
    this.signal(2);
  }

  /** Wait for the running task; returns its partial Σq, Σ p·log(p/q) and Σp. */
  finish(): { sumQ: number; C: number; S: number } {
    this.wait();
    return { sumQ: this.par[8], C: this.par[9], S: this.par[10] };
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
