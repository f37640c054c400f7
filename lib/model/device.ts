// Where ONNX Runtime runs a model: the execution provider chosen by --device / SYCO_DEVICE, checked against what
// the installed onnxruntime-node offers before any model is loaded, with install instructions when it is missing.
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { projectRoot } from '../util/fs';

/** Devices a model can run on (ONNX Runtime execution providers). */
export const DEVICES = ['cpu', 'cuda', 'webgpu', 'coreml', 'dml'] as const;
export type Device = (typeof DEVICES)[number];

/** The device to use: the explicit value, else $SYCO_DEVICE, else cpu; an unknown name is an error listing the choices. */
export function resolveDevice(device?: string): Device {
  const d = (device ?? process.env.SYCO_DEVICE ?? 'cpu').trim().toLowerCase();
  if (!(DEVICES as readonly string[]).includes(d)) {
    const from = device !== undefined ? '--device' : 'SYCO_DEVICE';
    throw new Error(`${from} "${device ?? process.env.SYCO_DEVICE}" is not a device (choose one of ${DEVICES.join(', ')})`);
  }
  return d as Device;
}

const HOW_TO: Record<Device, string> = {
  cpu: 'the CPU provider is always bundled',
  cuda: 'on Linux x64 with an NVIDIA driver, CUDA 12 and cuDNN 9: `ONNXRUNTIME_NODE_INSTALL_CUDA=v12 node node_modules/onnxruntime-node/script/install.js` ' +
    '(downloads libonnxruntime_providers_cuda.so next to the binding; see the README, "GPUs")',
  webgpu: 'onnxruntime-node bundles WebGPU on Windows, macOS and Linux x64 from 1.22 on; upgrade onnxruntime-node',
  coreml: 'CoreML is bundled on macOS only (arm64/x64)',
  dml: 'DirectML is bundled on Windows x64 only',
};

/** Folder of the native onnxruntime-node binding (where provider libraries are installed). */
function bindingDir(): string | null {
  try {
    const root = dirname(createRequire(join(projectRoot(), 'package.json')).resolve('onnxruntime-node/package.json'));
    const dir = join(root, 'bin', `napi-v${readdirSync(join(root, 'bin')).map((f) => f.replace(/^napi-v/, '')).sort().pop()}`, process.platform, process.arch);
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * Check that the installed onnxruntime-node can run on `device`; throws one error naming the provider, what was
 * found and how to install it otherwise.
 */
export function checkDevice(device: Device): void {
  if (device === 'cpu') return;
  const backends = ort.listSupportedBackends();
  const entry = backends.find((b) => b.name === device);
  const have = backends.map((b) => b.name).join(', ');
  if (!entry) {
    throw new Error(`--device ${device}: the installed onnxruntime-node has no ${device} execution provider on ${process.platform}/${process.arch} ` +
      `(it offers: ${have}). ${HOW_TO[device]}.`);
  }
  if (!entry.bundled) {
    const dir = bindingDir();
    const lib = process.platform === 'win32' ? `onnxruntime_providers_${device}.dll` : `libonnxruntime_providers_${device}.so`;
    if (!dir || !existsSync(join(dir, lib))) {
      throw new Error(`--device ${device}: onnxruntime-node supports ${device} here but its provider library ${lib} is not installed ` +
        `(looked in ${dir ?? 'the onnxruntime-node package'}). To install it: ${HOW_TO[device]}.`);
    }
  }
}

/**
 * Execution providers for a device, in preference order; the CPU provider always comes last so that ops a GPU
 * provider lacks still run.
 */
export function executionProviders(device: Device): ort.InferenceSession.ExecutionProviderConfig[] {
  switch (device) {
    case 'cpu': return ['cpu'];
    case 'cuda': return [{ name: 'cuda', deviceId: Number(process.env.SYCO_CUDA_DEVICE ?? 0) }, 'cpu'];
    case 'webgpu': return ['webgpu', 'cpu'];
    case 'coreml': return ['coreml', 'cpu'];
    case 'dml': return ['dml', 'cpu'];
  }
}
