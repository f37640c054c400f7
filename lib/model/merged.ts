import type { OnnxGraphEditor } from './onnx';

/** Graph input of Optimum's merged decoders choosing the with-past (true) or the no-past (false) branch. */
export const USE_CACHE_INPUT = 'use_cache_branch';

/**
 * Turn a merged decoder (Optimum `decoder_model_merged.onnx`: one `If` on `use_cache_branch` whose branches are
 * the no-past and the with-past graphs) into its with-past graph, in place: the with-past branch accepts an empty
 * past (past length 0), so it serves the prompt pass and every cached step. Returns false for other graphs.
 */
export function promoteWithPastBranch(g: OnnxGraphEditor, source = 'model'): boolean {
  const ifs = g.nodes.filter((n) => n.op_type === 'If' && !n.domain);
  const cond = g.inputs.find((i) => i.name === USE_CACHE_INPUT);
  const node = ifs.find((n) => n.input[0] === USE_CACHE_INPUT);
  if (!cond || !node) return false;
  const past = new Set(g.inputs.map((i) => i.name).filter((n) => n.startsWith('past_key_values') || n.startsWith('past.')));
  const usesPast = (attr: string): boolean => {
    const sub = node.attribute.find((a: any) => a.name === attr)?.g;
    return Boolean(sub && (sub.node ?? []).some((n: any) => (n.input ?? []).some((x: string) => past.has(x))));
  };
  const branch = ['then_branch', 'else_branch'].find(usesPast);
  if (!branch) throw new Error(`${source}: merged decoder ${node.name || 'If'}: neither branch reads the past_key_values inputs`);
  g.inlineSubgraph(node, branch);
  g.removeInput(USE_CACHE_INPUT);
  return true;
}
