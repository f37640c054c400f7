// Length-aware batching: which items go through the model together. Items are sorted by token count inside
// fixed windows of the input order (so the work stays local and a partial run covers a known prefix), then packed
// greedily so that a batch's padded size (rows × longest text) stays within a token budget.

/** How items are grouped into forward passes. */
export interface BatchingOptions {
  /** Padded tokens per forward pass (rows × longest row); undefined = fixed batches of maxItems in input order. */
  batchTokens?: number;
  /** Most items per batch. */
  maxItems: number;
  /** Items per sorting window (default 256); windows start at multiples of it. */
  window?: number;
  /** Model rows per item (2 for a contrastive pair; 1 for an A/B prompt). */
  rowsPerItem?: number;
}

/** Default sorting window (items). */
export const DEFAULT_SORT_WINDOW = 256;

/**
 * Plan the batches over items [from, lengths.length): lists of item indices. Without batchTokens: consecutive
 * chunks of maxItems (today's order). With it: inside each window, items by descending length (ties by index),
 * packed while rowsPerItem × count × longest ≤ batchTokens (one item always fits) and count ≤ maxItems.
 * Deterministic in its inputs, so a resumed run replays the same batches.
 */
export function planBatches(lengths: ArrayLike<number>, opts: BatchingOptions, from = 0): number[][] {
  const N = lengths.length;
  const { batchTokens, maxItems } = opts;
  if (!Number.isInteger(maxItems) || maxItems < 1) throw new Error(`planBatches: maxItems must be a positive integer, got ${maxItems}`);
  const out: number[][] = [];
  if (batchTokens === undefined) {
    for (let s = from; s < N; s += maxItems) out.push(Array.from({ length: Math.min(maxItems, N - s) }, (_, k) => s + k));
    return out;
  }
  if (!Number.isInteger(batchTokens) || batchTokens < 1) throw new Error(`planBatches: batchTokens must be a positive integer, got ${batchTokens}`);
  const window = opts.window ?? DEFAULT_SORT_WINDOW;
  if (!Number.isInteger(window) || window < 1) throw new Error(`planBatches: window must be a positive integer, got ${window}`);
  const rows = opts.rowsPerItem ?? 1;
  for (let w = from; w < N; w = Math.min(N, (Math.floor(w / window) + 1) * window)) {
    const end = Math.min(N, (Math.floor(w / window) + 1) * window);
    const idx = Array.from({ length: end - w }, (_, k) => w + k).sort((a, b) => lengths[b] - lengths[a] || a - b);
    let cur: number[] = [];
    let longest = 0;
    for (const i of idx) {
      const l = Math.max(longest, lengths[i]);
      if (cur.length && (cur.length + 1 > maxItems || rows * (cur.length + 1) * l > batchTokens)) {
        out.push(cur);
        cur = [];
        longest = 0;
      }
      cur.push(i);
      longest = Math.max(longest, lengths[i]);
    }
    if (cur.length) out.push(cur);
  }
  return out;
}

/** Tracks which items are done and the longest fully-done prefix (what a partial run's readers may use). */
export class DonePrefix {
  private readonly mask: Uint8Array;
  done: number;

  constructor(n: number, done = 0) {
    this.mask = new Uint8Array(n);
    this.mask.fill(1, 0, done);
    this.done = done;
  }

  /** Mark items done; returns the new prefix length. */
  mark(items: Iterable<number>): number {
    for (const i of items) this.mask[i] = 1;
    while (this.done < this.mask.length && this.mask[this.done]) this.done++;
    return this.done;
  }
}
