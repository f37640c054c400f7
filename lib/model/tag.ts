// The model's short name in file names: one rule for the study's run folders and figures and `syco steer`'s result files.

/** A short name for the model in file names (folder basename or hub id's last part, filesystem-safe: other characters become '-'). */
export function modelTag(model: string): string {
  const base = model.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? model;
  return base.replace(/[^A-Za-z0-9._-]+/g, '-') || 'model';
}
