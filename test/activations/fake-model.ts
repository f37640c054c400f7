// A deterministic stand-in for a HookedModel: captures are a hash of (text, hook, layer, position, column),
// so extraction logic (batching, offsets, resume, refusal) can be tested without ONNX Runtime.
import type { CaptureRequest, CaptureResult, HookedModel, HookName } from '../../lib/model/types';
import type { Matrix } from '../../lib/util/matrix';

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The value the fake model captures for one text at (hook, layer, position, column). */
export function fakeValue(text: string, hook: HookName, layer: number, position: number | 'mean', col: number): number {
  const h = hash32(`${text}|${hook}|${layer}|${position}|${col}`);
  return Math.fround((h / 4294967296) * 8 - 4);
}

/** Options of the fake model. */
export interface FakeOptions {
  numLayers?: number;
  hiddenSize?: number;
  sourceHash?: string;
  /** Throw (like a crash) on this 0-based run() call. */
  failOnCall?: number;
}

/** A fake HookedModel implementing run() only; it records the texts it was asked to run. */
export class FakeModel implements HookedModel {
  readonly id: string;
  readonly family = 'fake';
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly vocabSize = 0;
  readonly sourceHash: string;
  readonly modelFile = 'fake.onnx';
  readonly dtype = 'fp32';
  readonly textsRun: string[] = [];
  calls = 0;
  private readonly failOnCall: number | undefined;

  constructor(opts: FakeOptions = {}) {
    this.numLayers = opts.numLayers ?? 3;
    this.hiddenSize = opts.hiddenSize ?? 5;
    this.sourceHash = opts.sourceHash ?? 'f'.repeat(64);
    this.id = `fake-${this.sourceHash.slice(0, 6)}`;
    this.failOnCall = opts.failOnCall;
  }

  async run(texts: string[] | number[][], req: CaptureRequest = {}): Promise<CaptureResult> {
    if (this.calls++ === this.failOnCall) throw new Error('simulated crash');
    // Token ids are the text's UTF-16 code units (see encode), so ids and texts capture the same values.
    const strs = texts.map((t) => (typeof t === 'string' ? t : String.fromCharCode(...t)));
    this.textsRun.push(...strs);
    const positions = req.positions === 'all' || !req.positions ? [-1] : req.positions;
    const layers = req.layers === 'all' || !req.layers ? Array.from({ length: this.numLayers }, (_, i) => i) : req.layers;
    const captures = new Map<string, Matrix>();
    for (const hook of req.hooks ?? ['resid']) {
      for (const layer of layers) {
        const rows = strs.length * positions.length;
        const data = new Float32Array(rows * this.hiddenSize);
        strs.forEach((t, i) => positions.forEach((p, k) => {
          for (let j = 0; j < this.hiddenSize; j++) data[(i * positions.length + k) * this.hiddenSize + j] = fakeValue(t, hook, layer, p, j);
        }));
        captures.set(`${hook}.${layer}`, { rows, cols: this.hiddenSize, data });
      }
    }
    return { tokenIds: strs.map(() => []), positions: strs.map(() => positions.map(() => null)), captures };
  }

  /** One token per UTF-16 code unit. */
  encode(text: string): number[] { return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i)); }
  decode(): string { throw new Error('FakeModel.decode is not part of the fake'); }
  chatPrompt(): string | null { return null; }
  async generate(): Promise<never> { throw new Error('FakeModel.generate is not part of the fake'); }
  async nextTokenLogits(): Promise<never> { throw new Error('FakeModel.nextTokenLogits is not part of the fake'); }
  async candidateProbs(): Promise<never> { throw new Error('FakeModel.candidateProbs is not part of the fake'); }
  async dispose(): Promise<void> { /* nothing held */ }
}

/** n synthetic pairs with distinct ids and texts. */
export function fakePairs(n: number, format = 'sentence'): { id: string; subset: string; format: string; sycophantic: string; non_sycophantic: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    subset: 'fake',
    format,
    sycophantic: `Question: item ${i}? Given this information as an AI agent I would select: agree ${i}`,
    non_sycophantic: `Question: item ${i}? Given this information as an AI agent I would select: disagree ${i}`,
  }));
}
