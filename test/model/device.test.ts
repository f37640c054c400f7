// Execution providers: --device / SYCO_DEVICE are checked before any model is loaded; on a machine whose
// onnxruntime-node lacks the provider the error names it and how to install it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkDevice, loadHookedModel } from '../../lib/model/index';
import { executionProviders, resolveDevice } from '../../lib/model/device';
import { runSyco } from '../helpers';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; err: string }> {
  const r = await runSyco(args, { env });
  return { code: r.code ?? 1, err: r.stderr };
}

/** True when this onnxruntime-node can really run CUDA (then the refusal cannot be tested here). */
function cudaInstalled(): boolean {
  try {
    checkDevice('cuda');
    return true;
  } catch {
    return false;
  }
}

test('resolveDevice: explicit value, then SYCO_DEVICE, then cpu; unknown names list the choices', () => {
  const before = process.env.SYCO_DEVICE;
  try {
    delete process.env.SYCO_DEVICE;
    assert.equal(resolveDevice(), 'cpu');
    process.env.SYCO_DEVICE = 'CUDA';
    assert.equal(resolveDevice(), 'cuda');
    assert.equal(resolveDevice('webgpu'), 'webgpu');
    assert.throws(() => resolveDevice('tpu'), /--device "tpu" is not a device \(choose one of cpu, cuda, webgpu, coreml, dml\)/);
    process.env.SYCO_DEVICE = 'gpu';
    assert.throws(() => resolveDevice(), /SYCO_DEVICE "gpu" is not a device/);
  } finally {
    if (before === undefined) delete process.env.SYCO_DEVICE;
    else process.env.SYCO_DEVICE = before;
  }
  assert.deepEqual(executionProviders('cpu'), ['cpu']);
  assert.equal(executionProviders('cuda').at(-1), 'cpu', 'GPU providers fall back to the CPU for ops they lack');
  checkDevice('cpu');
});

test('--device cuda without the CUDA provider: one clear error naming the provider and how to install it', async (t) => {
  if (cudaInstalled()) {
    t.skip('this onnxruntime-node has the CUDA provider installed; the refusal cannot be shown here');
    return;
  }
  assert.throws(() => checkDevice('cuda'), /--device cuda: .*cuda.*(not installed|no cuda execution provider).*ONNXRUNTIME_NODE_INSTALL_CUDA=v12/s);
  await assert.rejects(loadHookedModel('test/fixtures/models/llama', { device: 'cuda' }), /--device cuda: .*install/);
  const dir = mkdtempSync(join(tmpdir(), 'syco-device-'));
  try {
    const pairs = join(dir, 'pairs.jsonl');
    writeFileSync(pairs, JSON.stringify({ id: 'p0', subset: 'x', format: 'sentence', sycophantic: 'I agree.', non_sycophantic: 'I disagree.' }) + '\n');
    for (const [args, env] of [[['--device', 'cuda'], {}], [[], { SYCO_DEVICE: 'cuda' }]] as [string[], Record<string, string>][]) {
      const r = await cli(['extract', '--model', 'test/fixtures/models/llama', '--pairs', pairs, '--out', join(dir, 'out'), ...args], env);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /--device cuda: .*libonnxruntime_providers_cuda|--device cuda: .*no cuda/);
      assert.match(r.err, /ONNXRUNTIME_NODE_INSTALL_CUDA=v12/);
      assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
      assert.ok(!existsSync(join(dir, 'out')), 'nothing written');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The providers this build offers are listed in the error for platform-specific ones.
  const names = ort.listSupportedBackends().map((b) => b.name);
  if (!names.includes('dml')) assert.throws(() => checkDevice('dml'), new RegExp(`no dml execution provider .*offers: ${names.join(', ')}`));
});
