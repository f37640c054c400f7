// Process-wide defaults of the leaf modules: whether progress and notes are printed, how many threads the numeric
// kernels use, whether ONNX Runtime's threads spin, and whether figures/tables display as text. This is the one place
// that reads them from the environment (once, when first loaded); the leaves read runtime(), options passed to a
// function win over it, and the CLI sets it from its flags with configureRuntime (never by writing process.env).

/** The process-wide defaults. */
export interface Runtime {
  /** No progress bars, resume notes or text fallbacks of figures (SYCO_QUIET=1, --quiet). */
  quiet: boolean;
  /** Threads of ONNX Runtime's linear algebra and the t-SNE gradient when a call does not say (SYCO_THREADS); undefined = automatic. */
  threads?: number;
  /** Let ONNX Runtime's intra-op threads spin-wait (SYCO_ORT_SPIN=1). */
  ortSpin: boolean;
  /** Show figures and tables as text even inside a notebook kernel (SYCO_DISPLAY=text). */
  textDisplay: boolean;
}

/** The defaults a process environment gives (SYCO_QUIET=1, SYCO_THREADS=n ≥ 1, SYCO_ORT_SPIN=1, SYCO_DISPLAY=text). */
export function runtimeFromEnv(env: Record<string, string | undefined>): Runtime {
  const t = Number(env.SYCO_THREADS);
  return {
    quiet: env.SYCO_QUIET === '1',
    ...(Number.isInteger(t) && t > 0 ? { threads: t } : {}),
    ortSpin: env.SYCO_ORT_SPIN === '1',
    textDisplay: env.SYCO_DISPLAY === 'text',
  };
}

const current: Runtime = runtimeFromEnv(process.env);

/** The current defaults (read-only view). */
export function runtime(): Readonly<Runtime> {
  return current;
}

/** Change some defaults (the CLI after reading its flags; tests); returns the previous values to restore. */
export function configureRuntime(values: Partial<Runtime>): Runtime {
  const before: Runtime = { ...current, threads: current.threads };
  Object.assign(current, values);
  return before;
}
