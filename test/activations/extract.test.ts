// Extraction logic against a deterministic fake model: file layout and values, partial runs, crash + resume
// (byte-identical, nothing recomputed), refusal of mismatched runs, locking, input errors, numpy readability.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractActivations, manifestDifferences, type ExtractOptions } from '../../lib/activations/extract';
import { openActivationStore, type PairSide } from '../../lib/activations/store';
import { readNpy, readNpyHeader } from '../../lib/util/npy';
import type { HookName } from '../../lib/model/types';
import { FakeModel, fakePairs, fakeValue } from './fake-model';
import { numpyHeader, numpyWouldWrite } from '../npy-reference';
import { configureRuntime } from '../../lib/util/runtime';

const made: string[] = [];
const tmp = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `syco-act-${name}-`));
  made.push(d);
  return d;
};
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

function base(outDir: string, model = new FakeModel(), over: Partial<ExtractOptions> = {}): ExtractOptions {
  return { model, pairs: fakePairs(7), outDir, hooks: ['resid', 'mlp'], layers: 'all', position: -2, batchSize: 4, quiet: true, ...over };
}

/** Every file of a run folder except the manifest, as bytes. */
function arrays(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.npy')) out.set(f, readFileSync(join(dir, f)));
  return out;
}

/** The manifest without the fields that record when it was written. */
function stableManifest(dir: string): Record<string, unknown> {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  delete m.created;
  delete m.finished;
  return m;
}

test('rows land at pair offsets: pos = sycophantic, neg = non-sycophantic, float32 [pairs, hidden]', async () => {
  const dir = tmp('layout');
  const pairs = fakePairs(7);
  const s = await extractActivations(base(dir));
  assert.equal(s.complete, true);
  assert.equal(s.computed, 7);
  assert.deepEqual(s.layers, [0, 1, 2]);
  assert.equal(s.files.length, 2 * 3 * 2);
  for (const hook of ['resid', 'mlp'] as HookName[]) {
    for (const layer of [0, 1, 2]) {
      for (const side of ['pos', 'neg'] as PairSide[]) {
        const a = readNpy(join(dir, `${hook}.L${layer}.${side}.npy`));
        assert.equal(a.dtype, '<f4');
        assert.deepEqual(a.shape, [7, 5]);
        for (let i = 0; i < 7; i++) {
          const text = side === 'pos' ? pairs[i].sycophantic : pairs[i].non_sycophantic;
          for (let j = 0; j < 5; j++) assert.equal(a.data[i * 5 + j], fakeValue(text, hook, layer, -2, j), `${hook} L${layer} ${side} row ${i}`);
        }
      }
    }
  }
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.equal(m.complete, true);
  assert.deepEqual(m.counts, { pairs: 7, done: 7 });
  assert.deepEqual(m.dataset.pair_ids, pairs.map((p) => p.id));
  assert.equal(m.dataset.format, 'sentence');
  assert.deepEqual(m.dataset.subsets, ['fake']);
  assert.equal(m.model.sha256, 'f'.repeat(64));
  assert.equal(m.hidden_size, 5);
  assert.deepEqual(m.positions, [-2]);
  assert.match(m.code_version, /^0\.1\.0/);
  assert.ok(!existsSync(join(dir, '.extract.lock')), 'lock released');
});

test('store readers: read, readRows, diff and labelled agree with the raw files', async () => {
  const dir = tmp('reader');
  await extractActivations(base(dir));
  const store = openActivationStore(dir);
  assert.equal(store.pairs, 7);
  assert.equal(store.complete, true);
  assert.deepEqual(store.pairIds, fakePairs(7).map((p) => p.id));
  const pos = readNpy(join(dir, 'mlp.L1.pos.npy')).data as Float32Array;
  const neg = readNpy(join(dir, 'mlp.L1.neg.npy')).data as Float32Array;
  assert.deepEqual(store.read('mlp', 1, 'pos').data, pos);
  assert.deepEqual(store.readRows('mlp', 1, 'neg', 2, 3).data, neg.subarray(10, 25));
  const d = store.diff('mlp', 1);
  assert.equal(d.rows, 7);
  for (let k = 0; k < pos.length; k++) assert.equal(d.data[k], Math.fround(pos[k] - neg[k]));
  assert.deepEqual(store.diff('mlp', 1, { blockRows: 3 }).data, d.data, 'streamed in blocks of 3 rows');
  const l = store.labelled('mlp', 1);
  assert.equal(l.X.rows, 14);
  assert.deepEqual(l.X.data.subarray(0, 35), pos);
  assert.deepEqual(l.X.data.subarray(35), neg);
  assert.deepEqual(Array.from(l.y), [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(l.pair), [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6]);
  assert.throws(() => store.readRows('mlp', 1, 'pos', 5, 3), /out of range: 7 pairs written/);
  assert.throws(() => store.read('attn', 0, 'pos'), /hook "attn" not captured/);
});

test('a crash mid-run leaves a readable partial run; resume computes only the rest and matches an uninterrupted run byte for byte', async () => {
  const ref = tmp('ref');
  await extractActivations(base(ref));

  const dir = tmp('crash');
  // 7 pairs, 2 per batch: calls 0 and 1 commit pairs 0-3, call 2 "crashes".
  await assert.rejects(extractActivations(base(dir, new FakeModel({ failOnCall: 2 }))), /forward pass failed for pairs 4-5 \(p4, p5\) of in-memory: simulated crash/);
  const partial = openActivationStore(dir);
  assert.equal(partial.complete, false);
  assert.equal(partial.pairs, 4);
  assert.equal(partial.read('resid', 2, 'pos').rows, 4);
  assert.deepEqual(partial.diff('resid', 0).data, openActivationStore(ref).readRows('resid', 0, 'pos', 0, 4).data.map((v, k) =>
    Math.fround(v - openActivationStore(ref).readRows('resid', 0, 'neg', 0, 4).data[k])));
  assert.equal(partial.labelled('mlp', 0).X.rows, 8);
  assert.deepEqual(partial.pairIds, ['p0', 'p1', 'p2', 'p3']);

  // A torn write: garbage in rows past the committed count, as a kill during writeRows would leave.
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.npy'))) {
    const fd = openSync(join(dir, f), 'r+');
    const off = readNpyHeader(join(dir, f)).offset + 4 * 5 * 4;
    writeSync(fd, Buffer.alloc(5 * 4 * 2, 0xab), 0, 5 * 4 * 2, off);
    closeSync(fd);
  }
  // A kill between the temporary manifest's write and its rename leaves a stray temporary file.
  writeFileSync(join(dir, 'manifest.json.tmp-99999-deadbeef'), '{"truncated');

  const resumer = new FakeModel();
  const s = await extractActivations(base(dir, resumer));
  assert.equal(s.resumed, true);
  assert.equal(s.skipped, 4);
  assert.equal(s.computed, 3);
  const p = fakePairs(7);
  assert.deepEqual(resumer.textsRun.sort(), [4, 5, 6].flatMap((i) => [p[i].sycophantic, p[i].non_sycophantic]).sort(), 'only pairs 4-6 recomputed');
  assert.deepEqual(arrays(dir), arrays(ref));
  assert.deepEqual(stableManifest(dir), stableManifest(ref));
  assert.deepEqual(readdirSync(dir).filter((f) => !f.endsWith('.npy')), ['manifest.json'], 'stray temporary file and lock removed');

  // Re-running a complete run computes nothing and changes nothing.
  const again = new FakeModel();
  const s2 = await extractActivations(base(dir, again));
  assert.equal(s2.computed, 0);
  assert.equal(again.calls, 0);
  assert.deepEqual(arrays(dir), arrays(ref));
});

test('a crash in the very first batch restarts cleanly and still matches', async () => {
  const ref = tmp('ref0');
  await extractActivations(base(ref, undefined, { limit: 5 }));
  const dir = tmp('crash0');
  await assert.rejects(extractActivations(base(dir, new FakeModel({ failOnCall: 0 }), { limit: 5 })), /simulated crash/);
  assert.equal(openActivationStore(dir).pairs, 0);
  const s = await extractActivations(base(dir, new FakeModel(), { limit: 5 }));
  assert.equal(s.computed, 5);
  assert.deepEqual(arrays(dir), arrays(ref));
});

test('a run whose manifest disagrees with the request is refused, naming what differs, and left untouched', async () => {
  const dir = tmp('mismatch');
  await assert.rejects(extractActivations(base(dir, new FakeModel({ failOnCall: 1 }))), /simulated crash/);
  const before = arrays(dir);
  const manifestBefore = readFileSync(join(dir, 'manifest.json'), 'utf8');
  const cases: [string, ExtractOptions, RegExp][] = [
    ['model', base(dir, new FakeModel({ sourceHash: 'a'.repeat(64) })), /model sha256: store has f{64} \(fake-ffffff\), request has a{64}/],
    ['layers', base(dir, undefined, { layers: [0, 1] }), /layers: store has 0,1,2, request has 0,1/],
    ['hooks', base(dir, undefined, { hooks: ['resid'] }), /hooks: store has resid,mlp, request has resid/],
    ['position', base(dir, undefined, { position: 'mean' }), /position: store has -2, request has mean/],
    ['limit', base(dir, undefined, { limit: 6 }), /pair ids: the store has 7 pairs, the request 6/],
    ['ids', base(dir, undefined, { pairs: fakePairs(7).map((p, i) => (i === 3 ? { ...p, id: 'other' } : p)) }), /pair ids: pair 3 is "p3" in the store, "other" in the request/],
    ['texts', base(dir, undefined, { pairs: fakePairs(7).map((p, i) => (i === 5 ? { ...p, sycophantic: p.sycophantic + '!' } : p)) }), /pair texts: same ids but different texts/],
    ['format', base(dir, undefined, { pairs: fakePairs(7, 'ab') }), /dataset format: store has sentence, request has ab/],
    ['hidden', base(dir, new FakeModel({ hiddenSize: 6 })), /hidden size: store has 5, request has 6/],
  ];
  for (const [what, opts, re] of cases) {
    await assert.rejects(extractActivations(opts), (err: Error) => {
      assert.match(err.message, /refusing to mix them/, what);
      assert.match(err.message, re, what);
      return true;
    });
  }
  assert.deepEqual(arrays(dir), before);
  assert.equal(readFileSync(join(dir, 'manifest.json'), 'utf8'), manifestBefore);
  // Hook order in the request does not matter.
  const s = await extractActivations(base(dir, undefined, { hooks: ['mlp', 'resid'] }));
  assert.equal(s.complete, true);
});

test('manifestDifferences is empty for identical requests', async () => {
  const dir = tmp('same');
  await extractActivations(base(dir));
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifestDifferences(m, structuredClone(m)), []);
});

test('refuses a non-run folder, a live lock and bad input; takes over a stale lock', async () => {
  const foreign = tmp('foreign');
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  await assert.rejects(extractActivations(base(foreign)), /not an activation run \(no manifest.json; holds notes.txt\)/);

  const locked = tmp('locked');
  await assert.rejects(extractActivations(base(locked, new FakeModel({ failOnCall: 1 }))), /simulated crash/);
  writeFileSync(join(locked, '.extract.lock'), String(process.ppid));
  await assert.rejects(extractActivations(base(locked)), new RegExp(`another extraction \\(pid ${process.ppid}\\)`));
  // A pid that cannot be alive (beyond pid_max) is a stale lock left by a killed run.
  writeFileSync(join(locked, '.extract.lock'), '2147483646');
  assert.equal((await extractActivations(base(locked))).complete, true);

  const fresh = (): string => join(tmp('bad'), 'run');
  const dup = fakePairs(3).map((p) => ({ ...p, id: 'same' }));
  await assert.rejects(extractActivations(base(fresh(), undefined, { pairs: dup, source: 'x.jsonl' })), /x.jsonl: pair 1 \(id "same"\): duplicate id \(also pair 0\)/);
  const empty = fakePairs(3).map((p, i) => (i === 2 ? { ...p, non_sycophantic: '' } : p));
  await assert.rejects(extractActivations(base(fresh(), undefined, { pairs: empty })), /pair 2 \(id "p2"\): field "non_sycophantic" must be a non-empty string/);
  await assert.rejects(extractActivations(base(fresh(), undefined, { layers: [0, 3] })), /layer 3 out of range: fake-ffffff has layers 0-2/);
  await assert.rejects(extractActivations(base(fresh(), undefined, { hooks: ['attn_out' as HookName] })), /unknown hook "attn_out"/);
  await assert.rejects(extractActivations(base(fresh(), undefined, { batchSize: 1 })), /batchSize must be an integer ≥ 2/);
  await assert.rejects(extractActivations(base(fresh(), undefined, { pairs: [] })), /no pairs to extract/);
});

test('progress: onProgress reports committed pairs with rate and ETA', async (t) => {
  const dir = tmp('progress');
  const seen: number[] = [];
  const lines: string[] = [];
  const before = configureRuntime({ quiet: false });
  t.after(() => { configureRuntime(before); });
  await extractActivations(base(dir, undefined, {
    quiet: false,
    progressStream: { write: (s: string) => lines.push(s), isTTY: false },
    onProgress: (p) => {
      assert.equal(p.total, 7);
      assert.ok(p.pairsPerSec >= 0 && p.etaSec >= 0);
      seen.push(p.done);
    },
  }));
  assert.deepEqual(seen, [2, 4, 6, 7]);
  assert.match(lines.at(-1)!, /^extract .* 7\/7 100% /);
});

test('the arrays are what numpy.save writes: header bytes, dtype <f4, C order, shape, values', async () => {
  const dir = tmp('numpy');
  await extractActivations(base(dir));
  const store = openActivationStore(dir);
  for (const [f, hook, layer, side] of [['resid.L0.pos.npy', 'resid', 0, 'pos'], ['mlp.L2.neg.npy', 'mlp', 2, 'neg']] as const) {
    assert.equal(numpyWouldWrite(join(dir, f), '<f4', [7, 5]), null);
    const m = store.read(hook, layer, side);
    const raw = readFileSync(join(dir, f));
    const head = numpyHeader('<f4', [7, 5]).length;
    assert.deepEqual(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset + head, raw.byteOffset + raw.length))), Array.from(m.data), `${f}: C-order float32 data`);
  }
});

test('resuming with another batch size continues the run and says that low bits may differ', async (t) => {
  const dir = tmp('rebatch');
  await assert.rejects(extractActivations(base(dir, new FakeModel({ failOnCall: 1 }))), /simulated crash/);
  const before = configureRuntime({ quiet: false });
  t.after(() => { configureRuntime(before); });
  const lines: string[] = [];
  const s = await extractActivations(base(dir, undefined, { batchSize: 6, quiet: false, progressStream: { write: (x: string) => lines.push(x) } }));
  assert.equal(s.skipped, 2);
  assert.equal(s.computed, 5);
  assert.match(lines.join(''), /resuming with batch size 6, the run started with 4/);
  const ref = tmp('rebatch-ref');
  await extractActivations(base(ref));
  assert.deepEqual(arrays(dir), arrays(ref), 'the fake model is batch-independent, so the files still match');
});
