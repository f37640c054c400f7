// Exact duplicates: rows whose question repeats an earlier row's are dropped (and counted), and pairs that share a
// text or a source row form one group, so that no split puts the same text on both sides.
import type { SycophancyRow } from './types';

/** A dropped row and the earlier row it repeats (1-based lines). */
export interface DuplicateRow {
  file: string;
  line: number;
  subset: string;
  /** The first row with the same question. */
  first: { file: string; line: number };
}

/** Rows with every exact repeat of an earlier row's question dropped (across files), and what was dropped. */
export function dropDuplicateQuestions(rows: SycophancyRow[]): { rows: SycophancyRow[]; duplicates: DuplicateRow[] } {
  const seen = new Map<string, SycophancyRow>();
  const kept: SycophancyRow[] = [];
  const duplicates: DuplicateRow[] = [];
  for (const r of rows) {
    const first = seen.get(r.question);
    if (first) {
      duplicates.push({ file: r.file, line: r.source_row + 1, subset: r.subset, first: { file: first.file, line: first.source_row + 1 } });
      continue;
    }
    seen.set(r.question, r);
    kept.push(r);
  }
  return { rows: kept, duplicates };
}

/** The fields pairGroups looks at. */
export interface GroupablePair {
  sycophantic?: string;
  non_sycophantic?: string;
  subset?: string;
  source_row?: number;
}

/**
 * One group index per pair (the index of the group's first pair): pairs built from one source row, or sharing any
 * identical text, are in one group (transitively). Splits move whole groups.
 */
export function pairGroups(pairs: GroupablePair[]): Int32Array {
  const parent = Int32Array.from(pairs, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const owner = new Map<string, number>();
  const join = (key: string, i: number): void => {
    const j = owner.get(key);
    if (j === undefined) { owner.set(key, i); return; }
    const a = find(i), b = find(j);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  };
  pairs.forEach((p, i) => {
    if (p.source_row !== undefined) join(`row\u0000${p.subset ?? ''}\u0000${p.source_row}`, i);
    if (typeof p.sycophantic === 'string') join(`text\u0000${p.sycophantic}`, i);
    if (typeof p.non_sycophantic === 'string') join(`text\u0000${p.non_sycophantic}`, i);
  });
  return Int32Array.from(pairs, (_, i) => find(i));
}

/** The groups of more than one pair, as lists of pair indices (what a manifest records; empty when none). */
export function sharedGroups(groups: Int32Array): number[][] {
  const by = new Map<number, number[]>();
  groups.forEach((g, i) => { if (!by.has(g)) by.set(g, []); by.get(g)!.push(i); });
  return [...by.values()].filter((m) => m.length > 1);
}
