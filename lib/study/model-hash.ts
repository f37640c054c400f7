// The sha256 of the ONNX graph a run's settings select, found without loading the model (the same file and hash the
// hooked model and the activation manifest report), so a run folder can be checked before anything is computed.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StudyConfig } from './settings';

/** SHA-256 of the model's source ONNX file for these settings (cached by path, size and mtime). */
export async function modelSha256(cfg: Pick<StudyConfig, 'model' | 'dtype' | 'modelFile'>): Promise<string> {
  const { isLocalModel, onnxFileName, pretrainedId, pretrainedOptions, resolveModelFile, resolveOnnxFile, transformersModule } = await import('../model/resolve');
  const { cachedFileSha256, defaultCacheDir } = await import('../model/hooked');
  const local = isLocalModel(cfg.model);
  if (local) {
    const dir = resolve(cfg.model);
    if (!existsSync(dir)) throw new Error(`model folder not found: ${dir}`);
    if (!existsSync(join(dir, 'config.json'))) throw new Error(`${dir}: config.json not found (not a transformers.js model folder)`);
  }
  onnxFileName(cfg.dtype, cfg.modelFile); // validates the dtype name
  const { AutoConfig } = await transformersModule();
  let config: unknown;
  try {
    config = await AutoConfig.from_pretrained(pretrainedId(cfg.model), pretrainedOptions(cfg.model));
  } catch (err) {
    throw new Error(`${cfg.model}: cannot load config.json: ${(err as Error).message}`);
  }
  const file = await resolveOnnxFile(cfg.model, config, cfg.dtype, cfg.modelFile);
  const source = await resolveModelFile(cfg.model, file, { localOnly: local });
  return cachedFileSha256(source, defaultCacheDir());
}
