import { existsSync, mkdirSync, readFileSync, statSync, createWriteStream, renameSync } from 'node:fs';
import { isAbsolute, join, resolve, dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readJsonFile } from '../util/fs';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** ONNX file suffix per transformers.js dtype (transformers.js DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const DTYPE_SUFFIX: Record<string, string> = {
  fp32: '', fp16: '_fp16', int8: '_int8', uint8: '_uint8', q8: '_quantized', q4: '_q4', q2: '_q2', q1: '_q1',
  q4f16: '_q4f16', q2f16: '_q2f16', q1f16: '_q1f16', bnb4: '_bnb4',
};

/** ONNX file name inside onnx/ for a dtype or an explicit file name ('model_fused' or 'model_fused.onnx'). */
export function onnxFileName(dtype = 'fp32', modelFileName?: string): string {
  if (modelFileName) return modelFileName.endsWith('.onnx') ? modelFileName : `${modelFileName}.onnx`;
  const suffix = DTYPE_SUFFIX[dtype];
  if (suffix === undefined) throw new Error(`unknown dtype "${dtype}" (known: ${Object.keys(DTYPE_SUFFIX).join(', ')})`);
  return `model${suffix}.onnx`;
}

/** True when idOrPath names an existing local folder (absolute, ./ ../ relative, or present relative to cwd). */
export function isLocalModel(idOrPath: string): boolean {
  if (isAbsolute(idOrPath) || idOrPath.startsWith('.')) return true;
  return existsSync(resolve(idOrPath)) && statSync(resolve(idOrPath)).isDirectory();
}

let transformers: any = null;

/** The @huggingface/transformers module (loaded lazily: it is large). */
export async function transformersModule(): Promise<any> {
  if (!transformers) {
    transformers = await import('@huggingface/transformers');
    // HF_ENDPOINT (the Hugging Face variable for a mirror or a local hub) replaces the default host.
    if (process.env.HF_ENDPOINT) transformers.env.remoteHost = process.env.HF_ENDPOINT.replace(/\/?$/, '/');
  }
  return transformers;
}

/**
 * Local path of a file of a model: inside the folder for local models; for hub ids, the file in transformers.js'
 * file cache (env.cacheDir/<id>/<file>), downloaded from env.remoteHost when missing (never for localOnly).
 */
export async function resolveModelFile(idOrPath: string, file: string, opts: { localOnly?: boolean; revision?: string } = {}): Promise<string> {
  if (isLocalModel(idOrPath)) {
    const p = join(resolve(idOrPath), file);
    if (!existsSync(p)) throw new Error(`${resolve(idOrPath)}: model file ${file} not found`);
    return p;
  }
  const { env } = await transformersModule();
  const revision = opts.revision ?? 'main';
  const cacheDir: string = env.cacheDir ?? join(process.cwd(), '.cache', 'transformers');
  const cached = revision === 'main' ? join(cacheDir, idOrPath, file) : join(cacheDir, idOrPath, revision, file);
  if (existsSync(cached)) return cached;
  if (opts.localOnly || env.allowRemoteModels === false) {
    throw new Error(`${idOrPath}: ${file} is not in the local cache (${cached}) and remote loading is disabled`);
  }
  const template: string = env.remotePathTemplate ?? '{model}/resolve/{revision}/';
  const url = String(env.remoteHost ?? 'https://huggingface.co/').replace(/\/?$/, '/') +
    template.replaceAll('{model}', idOrPath).replaceAll('{revision}', encodeURIComponent(revision)).replace(/\/?$/, '/') + file;
  const headers: Record<string, string> = {};
  const token = process.env.HF_TOKEN ?? process.env.HF_ACCESS_TOKEN;
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(url, { headers });
  if (!res.ok || !res.body) throw new Error(`${idOrPath}: download of ${file} failed (${res.status} ${res.statusText})`);
  mkdirSync(dirname(cached), { recursive: true });
  const tmp = `${cached}.part-${process.pid}`;
  await pipeline(Readable.fromWeb(res.body as any), createWriteStream(tmp));
  renameSync(tmp, cached);
  return cached;
}

/**
 * The ONNX file of a model for a dtype (or explicit file name) the way transformers.js resolves it
 * (ModelRegistry.get_model_files: dtype suffixes, per-file dtype maps, transformers.js_config); falls back to the
 * plain suffix table when the registry cannot answer. Returns the path inside the repo, e.g. 'onnx/model_q4.onnx'.
 */
export async function resolveOnnxFile(idOrPath: string, config: any, dtype = 'fp32', modelFileName?: string): Promise<string> {
  const fallback = `onnx/${onnxFileName(dtype, modelFileName)}`;
  try {
    const { ModelRegistry } = await transformersModule();
    const files: string[] = await ModelRegistry.get_model_files(pretrainedId(idOrPath), {
      config, dtype, ...(modelFileName ? { model_file_name: modelFileName.replace(/\.onnx$/, '') } : {}),
    });
    const onnx = files.filter((f) => f.startsWith('onnx/') && f.endsWith('.onnx'));
    return onnx.length === 1 ? onnx[0] : fallback;
  } catch {
    return fallback;
  }
}

/** Options passed to transformers.js from_pretrained for a model (local folders load with remote loading off). */
export function pretrainedOptions(idOrPath: string, localOnly?: boolean): Record<string, unknown> {
  return isLocalModel(idOrPath) || localOnly ? { local_files_only: true } : {};
}

/** transformers.js model id or absolute folder for a model. */
export function pretrainedId(idOrPath: string): string {
  return isLocalModel(idOrPath) ? resolve(idOrPath) : idOrPath;
}

/** Load config (AutoConfig) and tokenizer (AutoTokenizer) with transformers.js, with clear errors. */
export async function loadConfigAndTokenizer(idOrPath: string, localOnly?: boolean): Promise<{ config: any; tokenizer: any; generationConfig: any }> {
  const { AutoConfig, AutoTokenizer } = await transformersModule();
  const id = pretrainedId(idOrPath);
  const o = pretrainedOptions(idOrPath, localOnly);
  if (isLocalModel(idOrPath)) {
    if (!existsSync(id)) throw new Error(`model folder not found: ${id}`);
    if (!existsSync(join(id, 'config.json'))) throw new Error(`${id}: config.json not found (not a transformers.js model folder)`);
    if (!existsSync(join(id, 'tokenizer.json')) && !existsSync(join(id, 'tokenizer_config.json'))) {
      throw new Error(`${id}: no tokenizer (tokenizer.json / tokenizer_config.json missing)`);
    }
  }
  let config: any;
  let tokenizer: any;
  try {
    config = await AutoConfig.from_pretrained(id, o);
  } catch (err) {
    throw new Error(`${idOrPath}: cannot load config.json: ${(err as Error).message}`);
  }
  try {
    tokenizer = await AutoTokenizer.from_pretrained(id, o);
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.includes('tokenizer_class')) {
      throw new Error(`${idOrPath}: tokenizer files not found (tokenizer_config.json / tokenizer.json); ` +
        `check the model id or folder${isLocalModel(idOrPath) ? '' : ' and network access'}`);
    }
    throw new Error(`${idOrPath}: cannot load tokenizer: ${msg}`);
  }
  let generationConfig: any = {};
  if (isLocalModel(idOrPath)) {
    const p = join(id, 'generation_config.json');
    if (existsSync(p)) generationConfig = readJsonFile(p);
  } else {
    try {
      generationConfig = JSON.parse(readFileSync(await resolveModelFile(idOrPath, 'generation_config.json', { localOnly }), 'utf8'));
    } catch { /* optional */ }
  }
  return { config, tokenizer, generationConfig };
}
