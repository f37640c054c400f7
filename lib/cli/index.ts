import { UsageError } from './args';

/** A CLI command: a one-line summary and a runner over its own argv (it may return an exit code, e.g. EXIT_INCOMPLETE). */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<void | number>;
}

/** Every `syco` command, loaded lazily so that `syco data` never loads onnxruntime. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  data: { summary: 'build contrastive pairs from the sycophancy datasets', load: () => import('./data') },
  forward: { summary: 'run one text through a hooked model and save captures', load: () => import('./forward') },
  generate: { summary: 'generate text, optionally steered', load: () => import('./generate') },
  extract: { summary: 'extract activations for many pairs into a resumable store', load: () => import('./extract') },
  probe: { summary: 'train linear probes per layer on an activation store', load: () => import('./probe') },
  geometry: { summary: 'project activations per layer to 2-D/3-D', load: () => import('./geometry') },
  vectors: { summary: 'compute steering vectors from an activation store', load: () => import('./vectors') },
  steer: { summary: 'steered open-ended generation sweep', load: () => import('./steer') },
  'ab-eval': { summary: 'A/B behavioural evaluation of steering', load: () => import('./ab-eval') },
  judge: { summary: 'score steered answers with an LLM judge', load: () => import('./judge') },
  run: { summary: 'run the whole study end to end', load: () => import('./run') },
  formats: { summary: 'compare the A/B and sentence pair formats side by side', load: () => import('./formats') },
};

function usage(): string {
  const lines = ['usage: syco <command> [flags]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `syco <command> --help` for its flags.');
  return lines.join('\n');
}

/** Entry point of the `syco` CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`syco: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    const { command } = await entry.load();
    const code = await command.run(rest);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    const e = err as Error;
    process.stderr.write(`syco ${name}: ${e.message}\n`);
    if (process.env.SYCO_DEBUG) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
