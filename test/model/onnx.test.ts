// ONNX parse/serialise, the raw-splice editor, the structural residual-stream finder and the edited-graph cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedAsset } from '../helpers';
import { UnsupportedGraphError } from '../../lib/model/index';
import { decodeModel, encodeModel, OnnxGraphEditor, concatChunks, scanFields } from '../../lib/model/onnx';
import { findResidualStream } from '../../lib/model/structure';
import { addHooks, HOOK_EDIT_VERSION, steerInputName } from '../../lib/model/hooks';
import { prepareHookedGraph } from '../../lib/model/hooked';
import { onnxType } from '../../lib/util/onnx-schema';

const FILES = ['model.onnx', 'model_fused.onnx'];
const CONFIG = { num_hidden_layers: 5, hidden_size: 64, vocab_size: 512 };

for (const f of FILES) {
  test(`${f}: protobufjs decode + encode round-trips byte-identically`, (t) => {
    const p = sharedAsset(t, `models/stories260K-onnx/onnx/${f}`);
    if (!p) return;
    const bytes = readFileSync(p);
    const model = decodeModel(bytes);
    assert.ok(model.graph.node.length > 100);
    const out = encodeModel(model);
    assert.equal(out.length, bytes.length);
    assert.ok(Buffer.from(out).equals(bytes), 'bytes differ after round trip');
  });

  test(`${f}: the graph editor serialises an unedited model byte-identically`, (t) => {
    const p = sharedAsset(t, `models/stories260K-onnx/onnx/${f}`);
    if (!p) return;
    const bytes = readFileSync(p);
    const ed = new OnnxGraphEditor(bytes);
    assert.ok(Buffer.from(concatChunks(ed.serialize())).equals(bytes));
    // A node re-encoded from its decoded form gives the same bytes too (the schema knows every field).
    ed.markChanged(ed.nodes[7]);
    assert.ok(Buffer.from(concatChunks(ed.serialize())).equals(bytes));
  });
}

test('an editor opened on a file path reads only the graph and writes the same bytes as one opened on a buffer', (t) => {
  const dir = sharedAsset(t, 'models/stories260K-onnx/onnx');
  if (!dir) return;
  const tmp = mkdtempSync(join(tmpdir(), 'syco-editor-'));
  try {
    for (const f of FILES) {
      const bytes = readFileSync(join(dir, f));
      const fromFile = new OnnxGraphEditor(join(dir, f));
      fromFile.writeTo(join(tmp, 'same.onnx'));
      assert.ok(readFileSync(join(tmp, 'same.onnx')).equals(bytes), `${f}: unedited file-backed write differs`);
      const fromBuf = new OnnxGraphEditor(bytes);
      addHooks(fromFile, findResidualStream(fromFile, CONFIG));
      addHooks(fromBuf, findResidualStream(fromBuf, CONFIG));
      fromFile.writeTo(join(tmp, 'a.onnx'));
      fromBuf.writeTo(join(tmp, 'b.onnx'));
      fromFile.close();
      assert.ok(readFileSync(join(tmp, 'a.onnx')).equals(readFileSync(join(tmp, 'b.onnx'))), `${f}: hooked output differs`);
      assert.ok(Buffer.from(concatChunks(fromBuf.serialize())).equals(readFileSync(join(tmp, 'b.onnx'))));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('residual stream found by structure matches the exporter names (plain and fused)', (t) => {
  const dir = sharedAsset(t, 'models/stories260K-onnx/onnx');
  if (!dir) return;
  const plain = findResidualStream(new OnnxGraphEditor(readFileSync(join(dir, 'model.onnx'))), CONFIG);
  assert.equal(plain.sites.length, 10);
  assert.equal(plain.parallel, false);
  assert.equal(plain.embeds, '/model/embed_tokens/Gather_output_0');
  plain.layers.forEach((l, i) => {
    assert.equal(l.attn!.output, `/model/layers.${i}/Add_output_0`);
    assert.equal(l.out.output, `/model/layers.${i}/Add_1_output_0`);
    assert.equal(l.mlp!.branch, `/model/layers.${i}/mlp/down_proj/MatMul_output_0`);
    assert.equal(l.attn!.branch, `/model/layers.${i}/self_attn/o_proj/MatMul_output_0`);
  });
  assert.equal(plain.finalNorm, '/model/norm/Mul_1_output_0');
  assert.equal(plain.hiddenSize, 64);
  assert.equal(plain.vocabSize, 512);

  const fused = findResidualStream(new OnnxGraphEditor(readFileSync(join(dir, 'model_fused.onnx'))), CONFIG);
  assert.equal(fused.sites.length, 10);
  assert.ok(fused.sites.every((s) => s.kind === 'skipnorm'));
  assert.equal(fused.usesGqa, true);
  for (let i = 0; i < 4; i++) assert.equal(fused.layers[i].out.output, `/model/layers.${i + 1}/input_layernorm/output_3`);
  assert.equal(fused.layers[4].out.output, '', 'the final fused norm has no output #3 before hooking');
  assert.equal(fused.finalNorm, '/model/layers.5/final_norm_layernorm/output_0');
});

test('the layer count is cross-checked against the config', (t) => {
  const p = sharedAsset(t, 'models/stories260K-onnx/onnx/model.onnx');
  if (!p) return;
  const ed = new OnnxGraphEditor(readFileSync(p));
  assert.throws(() => findResidualStream(ed, { ...CONFIG, num_hidden_layers: 4 }, 'x.onnx'),
    /x\.onnx: found 10 residual sites after the embedding, but the config says 4 layers/);
  // GPT-2 / MPT key names are understood.
  assert.equal(findResidualStream(ed, { n_layer: 5, n_embd: 64 }).layers.length, 5);
  assert.equal(findResidualStream(ed, { n_layers: 5, d_model: 64 }).layers.length, 5);
});

test('hooking keeps every weight byte and adds capture outputs, steering inputs and a fused output #3', (t) => {
  const dir = sharedAsset(t, 'models/stories260K-onnx/onnx');
  if (!dir) return;
  for (const f of FILES) {
    const bytes = readFileSync(join(dir, f));
    const ed = new OnnxGraphEditor(bytes);
    const info = addHooks(ed, findResidualStream(ed, CONFIG));
    const out = decodeModel(concatChunks(ed.serialize()));
    const orig = decodeModel(bytes);
    const origInits = new Map<string, Uint8Array>(orig.graph.initializer.map((i: any) => [i.name, i.raw_data]));
    for (const [name, raw] of origInits) {
      const now = out.graph.initializer.find((i: any) => i.name === name);
      assert.ok(now && Buffer.from(now.raw_data).equals(Buffer.from(raw)), `${f}: initializer ${name} changed`);
    }
    const outputs = out.graph.output.map((o: any) => o.name);
    for (const k of ['embeds', 'final_norm', 'resid.0', 'mlp.4', 'attn.2']) {
      assert.ok(outputs.includes(`hook.${k}`) && outputs.includes(`hook.${k}.mean`), `${f}: missing capture ${k}`);
    }
    const inputs = out.graph.input.map((i: any) => i.name);
    for (let l = 0; l < 5; l++) assert.ok(inputs.includes(steerInputName(l)));
    assert.equal(info.numLayers, 5);
    assert.equal(info.captures.length, 1 + 5 * 3 + 1);
    if (f === 'model_fused.onnx') {
      const last = out.graph.node.find((n: any) => n.output[0] === '/model/layers.5/final_norm_layernorm/output_0');
      assert.equal(last.output.length, 4);
      assert.equal(last.output[3], 'hook.stream.final');
    }
    // Every node input is produced before it is consumed (the editor keeps the node list topological).
    const avail = new Set<string>([...out.graph.input.map((i: any) => i.name), ...out.graph.initializer.map((i: any) => i.name), '']);
    for (const n of out.graph.node) {
      for (const i of n.input) assert.ok(avail.has(i), `${f}: ${n.name} uses ${i} before it is produced`);
      for (const o of n.output) avail.add(o);
    }
  }
});

test('edited graphs are cached by the source hash and reused on the next load', async (t) => {
  const p = sharedAsset(t, 'models/stories260K-onnx/onnx/model.onnx');
  if (!p) return;
  const cacheDir = mkdtempSync(join(tmpdir(), 'syco-hooked-'));
  try {
    const a = await prepareHookedGraph(p, CONFIG, cacheDir);
    assert.equal(a.cached, false);
    assert.equal(a.sourceHash, '6b431f10db27465bb591df26137c798e0623c4b8230446147d2b4318a40d969c');
    assert.equal(a.path, join(cacheDir, `${a.sourceHash}-v${HOOK_EDIT_VERSION}`, 'model.onnx'));
    const mtime = statSync(a.path).mtimeMs;
    const b = await prepareHookedGraph(p, CONFIG, cacheDir);
    assert.equal(b.cached, true);
    assert.equal(b.path, a.path);
    assert.equal(statSync(b.path).mtimeMs, mtime, 'the cached graph was rewritten');
    assert.deepEqual(b.info, a.info);
    const index = JSON.parse(readFileSync(join(cacheDir, 'sha-index.json'), 'utf8'));
    assert.equal(Object.values(index).length, 1);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

/** A tiny hand-built model: input_ids -> Gather(embedding) -> MatMul -> logits (no residual stream). */
function noResidualModel(): Uint8Array {
  const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).fill(0.5).buffer);
  const vi = (name: string, elem: number, dims: (number | string)[]): any => ({
    name, type: { tensor_type: { elem_type: elem, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  });
  const M = onnxType('ModelProto');
  return M.encode(M.fromObject({
    ir_version: 7, opset_import: [{ domain: '', version: 14 }],
    graph: {
      name: 'g',
      node: [
        { op_type: 'Gather', input: ['emb', 'input_ids'], output: ['e'], name: 'gather' },
        { op_type: 'MatMul', input: ['e', 'w'], output: ['logits'], name: 'head' },
      ],
      initializer: [
        { name: 'emb', dims: [8, 4], data_type: 1, raw_data: f32(32) },
        { name: 'w', dims: [4, 8], data_type: 1, raw_data: f32(32) },
      ],
      input: [vi('input_ids', 7, ['b', 's'])],
      output: [vi('logits', 1, ['b', 's', 8])],
    },
  })).finish();
}

test('a graph without a residual stream gives a clear error, never numbers', () => {
  const bytes = noResidualModel();
  assert.equal(scanFields(bytes).length, 3);
  const ed = new OnnxGraphEditor(bytes);
  assert.throws(() => findResidualStream(ed, { num_hidden_layers: 1, hidden_size: 4 }, 'tiny.onnx'),
    (err: Error) => err instanceof UnsupportedGraphError && /tiny\.onnx: no residual Add \/ SkipLayerNormalization consumes the embedding output e/.test(err.message));
  const noIds = new OnnxGraphEditor(bytes);
  noIds.inputs[0].name = 'tokens';
  assert.throws(() => findResidualStream(noIds, {}, 'tiny.onnx'), /no graph input named input_ids/);
});

/** A one-block toy LM: embed → x + MatMul(x, Wa) → x2 + MatMul(x2, Wm) → norm (Mul by a constant) → the given head. */
function toyModel(head: 'matmul' | 'q8' | 'gemm' | 'parallel' | 'parallel-softmax' | 'scaled' | 'layernorm' | 'reshaped-ids'): Uint8Array {
  const f32 = (n: number, v = 0.25): Uint8Array => new Uint8Array(new Float32Array(n).fill(v).buffer);
  const vi = (name: string, elem: number, dims: (number | string)[]): any => ({
    name, type: { tensor_type: { elem_type: elem, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  });
  const nodes: any[] = [
    { op_type: 'Gather', input: ['emb', 'input_ids'], output: ['e'] },
    { op_type: 'MatMul', input: ['e', 'wa'], output: ['attn'] },
    { op_type: 'Add', input: ['e', 'attn'], output: ['x1'] },
    { op_type: 'MatMul', input: ['x1', 'wm'], output: ['mlp'] },
    { op_type: 'Add', input: ['x1', 'mlp'], output: ['x2'] },
    { op_type: 'Mul', input: ['x2', 'gamma'], output: ['normed'] },
  ];
  const inits: any[] = [
    { name: 'emb', dims: [8, 4], data_type: 1, raw_data: f32(32) },
    { name: 'wa', dims: [4, 4], data_type: 1, raw_data: f32(16) },
    { name: 'wm', dims: [4, 4], data_type: 1, raw_data: f32(16) },
    { name: 'gamma', dims: [4], data_type: 1, raw_data: f32(4, 2) },
    { name: 'head', dims: [4, 8], data_type: 1, raw_data: f32(32) },
  ];
  if (head === 'parallel') {
    // One parallel block: x + (attn(x) + mlp(x)).
    nodes.splice(1, nodes.length - 1,
      { op_type: 'MatMul', input: ['e', 'wa'], output: ['attn'] },
      { op_type: 'MatMul', input: ['e', 'wm'], output: ['mlp'] },
      { op_type: 'Add', input: ['attn', 'mlp'], output: ['branch'] },
      { op_type: 'Add', input: ['e', 'branch'], output: ['x2'] },
      { op_type: 'Mul', input: ['x2', 'gamma'], output: ['normed'] });
  }
  if (head === 'parallel-softmax') {
    // As 'parallel', with a Softmax inside the attention branch (what tells it from the MLP).
    nodes.splice(1, nodes.length - 1,
      { op_type: 'MatMul', input: ['e', 'wa'], output: ['scores'] },
      { op_type: 'Softmax', input: ['scores'], output: ['attn'] },
      { op_type: 'MatMul', input: ['e', 'wm'], output: ['mlp'] },
      { op_type: 'Add', input: ['mlp', 'attn'], output: ['branch'] },
      { op_type: 'Add', input: ['branch', 'e'], output: ['x2'] },
      { op_type: 'Mul', input: ['x2', 'gamma'], output: ['normed'] });
  }
  if (head === 'scaled' || head === 'layernorm' || head === 'reshaped-ids') {
    // Stream-independent work before block 0: Gemma's × √hidden, Bloom's embedding LayerNorm, GPT-2's Reshape(input_ids).
    const pre: any[] = head === 'scaled'
      ? [{ op_type: 'Mul', input: ['e0', 'gamma'], output: ['e'] }]
      : head === 'layernorm'
        ? [{ op_type: 'LayerNormalization', input: ['e0', 'gamma', 'beta'], output: ['e'], attribute: [{ name: 'axis', type: 2, i: -1 }] }]
        : [{ op_type: 'Reshape', input: ['input_ids', 'ids_shape2'], output: ['ids2'] }, { op_type: 'Gather', input: ['emb', 'ids2'], output: ['e'] }];
    inits.push({ name: 'beta', dims: [4], data_type: 1, raw_data: f32(4, 0.1) });
    inits.push({ name: 'ids_shape2', dims: [2], data_type: 7, raw_data: new Uint8Array(BigInt64Array.from([1n, -1n]).buffer) });
    if (head === 'reshaped-ids') nodes.splice(0, 1, ...pre);
    else nodes.splice(0, 1, { op_type: 'Gather', input: ['emb', 'input_ids'], output: ['e0'] }, ...pre);
    nodes.push({ op_type: 'MatMul', input: ['normed', 'head'], output: ['logits'] });
  }
  if (head === 'matmul' || head === 'parallel' || head === 'parallel-softmax') nodes.push({ op_type: 'MatMul', input: ['normed', 'head'], output: ['logits'] });
  if (head === 'gemm') {
    inits.push({ name: 'flat', dims: [2], data_type: 7, raw_data: new Uint8Array(BigInt64Array.from([-1n, 4n]).buffer) });
    nodes.push({ op_type: 'Reshape', input: ['normed', 'flat'], output: ['normed2d'] });
    nodes.push({ op_type: 'Gemm', input: ['normed2d', 'head'], output: ['logits2d'] });
    nodes.push({ op_type: 'Reshape', input: ['logits2d', 'shape3'], output: ['logits'] });
    nodes.push({ op_type: 'Shape', input: ['input_ids'], output: ['ids_shape'] });
    inits.push({ name: 'vocab', dims: [1], data_type: 7, raw_data: new Uint8Array(BigInt64Array.from([8n]).buffer) });
    nodes.push({ op_type: 'Concat', input: ['ids_shape', 'vocab'], output: ['shape3'], attribute: [{ name: 'axis', type: 2, i: 0 }] });
  }
  if (head === 'q8') {
    inits.push({ name: 'head_q', dims: [4, 8], data_type: 2, raw_data: new Uint8Array(32).fill(130) });
    inits.push({ name: 'head_zp', dims: [], data_type: 2, raw_data: new Uint8Array([128]) });
    inits.push({ name: 'head_scale', dims: [], data_type: 1, raw_data: f32(1, 0.1) });
    nodes.push({ op_type: 'DynamicQuantizeLinear', input: ['normed'], output: ['xq', 'xs', 'xzp'] });
    nodes.push({ op_type: 'MatMulInteger', input: ['xq', 'head_q', 'xzp', 'head_zp'], output: ['acc'] });
    nodes.push({ op_type: 'Cast', input: ['acc'], output: ['accf'], attribute: [{ name: 'to', type: 2, i: 1 }] });
    nodes.push({ op_type: 'Mul', input: ['xs', 'head_scale'], output: ['scale'] });
    nodes.push({ op_type: 'Mul', input: ['accf', 'scale'], output: ['logits'] });
  }
  const M = onnxType('ModelProto');
  return M.encode(M.fromObject({
    ir_version: 7, opset_import: [{ domain: '', version: 14 }],
    graph: { name: 'toy', node: nodes, initializer: inits, input: [vi('input_ids', 7, ['b', 's'])], output: [vi('logits', 1, ['b', 's', 8])] },
  })).finish();
}

test('the LM-head input is found behind MatMul, Reshape+Gemm and dynamically quantised (q8) heads', () => {
  for (const head of ['matmul', 'gemm', 'q8'] as const) {
    const s = findResidualStream(new OnnxGraphEditor(toyModel(head)), { num_hidden_layers: 1, hidden_size: 4, vocab_size: 8 }, head);
    assert.equal(s.sites.length, 2, head);
    assert.equal(s.layers[0].attn!.branch, 'attn');
    assert.equal(s.layers[0].mlp!.branch, 'mlp');
    assert.equal(s.layers[0].out.output, 'x2');
    assert.equal(s.finalNorm, head === 'gemm' ? 'normed2d' : 'normed', head);
  }
});

test('stream-independent work before block 0 (scale Mul, LayerNorm) and a Reshape on input_ids belong to the embedding', () => {
  for (const [kind, embeds] of [['scaled', 'e'], ['layernorm', 'e'], ['reshaped-ids', 'e']] as const) {
    const s = findResidualStream(new OnnxGraphEditor(toyModel(kind)), { num_hidden_layers: 1, hidden_size: 4, vocab_size: 8 }, kind);
    assert.equal(s.embeds, embeds, kind);
    assert.equal(s.embedNode.output[0], kind === 'reshaped-ids' ? 'e' : 'e0', kind);
    assert.equal(s.sites.length, 2, kind);
    assert.equal(s.layers[0].attn!.branch, 'attn', kind);
    assert.equal(s.layers[0].out.output, 'x2', kind);
  }
});

test('unsupported graphs fail with one error naming the node where the search stopped', () => {
  const ed = new OnnxGraphEditor(toyModel('matmul'));
  // input_ids feeds no embedding Gather.
  ed.nodes[0].op_type = 'Cast';
  assert.throws(() => findResidualStream(ed, { num_hidden_layers: 1, hidden_size: 4 }, 'toy.onnx'),
    (err: Error) => err instanceof UnsupportedGraphError && /toy\.onnx: expected one embedding Gather .* found 0; the search stopped at the consumers of input_ids: Cast -> e/.test(err.message));
  // The embedding reaches the head without a residual Add.
  assert.throws(() => findResidualStream(new OnnxGraphEditor(noResidualModel()), { num_hidden_layers: 1, hidden_size: 4 }, 'tiny.onnx'),
    (err: Error) => /the search stopped at its consumers: head/.test(err.message));
  // A parallel family whose graph has serial blocks.
  assert.throws(() => findResidualStream(new OnnxGraphEditor(toyModel('matmul')), { model_type: 'phi', num_hidden_layers: 1, hidden_size: 4 }, 'toy.onnx'),
    (err: Error) => /found 2 residual sites after the embedding, but the config says 1 layers and phi blocks are parallel .*the search stopped after Add -> x2/.test(err.message));
});

test('a parallel block with a Softmax in one branch exposes that branch as attn and the other as mlp', () => {
  const ed = new OnnxGraphEditor(toyModel('parallel-softmax'));
  const s = findResidualStream(ed, { num_hidden_layers: 1, hidden_size: 4, vocab_size: 8 }, 'parallel');
  assert.equal(s.parallel, true);
  assert.equal(s.layers[0].out.output, 'x2');
  assert.equal(s.layers[0].attn!.branch, 'attn');
  assert.equal(s.layers[0].mlp!.branch, 'mlp');
  const info = addHooks(ed, s);
  assert.deepEqual(info.captures, ['embeds', 'resid.0', 'attn.0', 'mlp.0', 'final_norm']);
  assert.deepEqual([info.tensors['attn.0'], info.tensors['mlp.0']], ['attn', 'mlp']);
});

test('a parallel block (x + (attn + mlp)) whose branches cannot be told apart is one site per layer with only the resid hook', () => {
  const ed = new OnnxGraphEditor(toyModel('parallel'));
  const s = findResidualStream(ed, { num_hidden_layers: 1, hidden_size: 4, vocab_size: 8 }, 'parallel');
  assert.equal(s.parallel, true);
  assert.equal(s.sites.length, 1);
  assert.equal(s.layers[0].out.branch, 'branch');
  assert.equal(s.layers[0].mlp, undefined);
  const info = addHooks(ed, s);
  assert.deepEqual(info.captures, ['embeds', 'resid.0', 'final_norm']);
  assert.equal(info.parallel, true);
});
