// The hub path, served from a loopback HTTP server shaped like the Hugging Face hub (no outside network):
// transformers.js fetches config and tokenizer, the ONNX file lands in transformers.js' cache folder, and a second
// load works offline from that cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadHookedModel } from '../../lib/model/index';
import { sharedAsset } from '../helpers';
import { golden } from './_golden';

test('a hub id loads through transformers.js file resolution from a (loopback) hub, then offline from the cache', async (t) => {
  const dir = sharedAsset(t, 'models/stories260K-onnx');
  const g = golden(t, 'p2');
  if (!dir || !g) return;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '');
    requests.push(url);
    const m = /^\/test-org\/stories260K\/resolve\/main\/(.+)$/.exec(url);
    const file = m ? join(dir, m[1]) : '';
    if (!m || m[1].includes('..') || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const { env } = await import('@huggingface/transformers');
  const saved = { remoteHost: env.remoteHost, cacheDir: env.cacheDir, allowRemoteModels: env.allowRemoteModels };
  const tmp = mkdtempSync(join(tmpdir(), 'syco-hub-'));
  try {
    env.remoteHost = `http://127.0.0.1:${port}/`;
    env.cacheDir = join(tmp, 'hf');
    env.allowRemoteModels = true;
    const m = await loadHookedModel('test-org/stories260K', { cacheDir: join(tmp, 'hooked'), threads: 1 });
    assert.equal(m.id, 'test-org/stories260K');
    assert.ok(m.modelFile.startsWith(join(tmp, 'hf')), `model file ${m.modelFile} is not in the transformers.js cache`);
    assert.ok(requests.includes('/test-org/stories260K/resolve/main/onnx/model.onnx'));
    assert.ok(requests.includes('/test-org/stories260K/resolve/main/config.json'));
    const gen = await m.generate(g.text, { maxNewTokens: 20 });
    assert.deepEqual(gen.ids, g.greedy.ids);
    await m.dispose();
    await new Promise<void>((r) => server.close(() => r()));
    const before = requests.length;
    const offline = await loadHookedModel('test-org/stories260K', { cacheDir: join(tmp, 'hooked'), threads: 1, localOnly: true });
    assert.equal(requests.length, before);
    const r = await offline.nextTokenLogits([g.text]);
    const S = g.seq_len;
    let d = 0;
    for (let i = 0; i < 512; i++) d = Math.max(d, Math.abs(r.data[i] - g.logits.data[(S - 1) * 512 + i]));
    assert.ok(d < 1e-4, `offline logits differ by ${d}`);
    await offline.dispose();
  } finally {
    Object.assign(env, saved);
    server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
