// Ctrl-C during a long command: say how to resume instead of dying silently mid-stage.

/** A shell-safe rendering of one argument (quoted when it holds anything but plain path characters). */
export function shellArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The arguments of a command with `--out <dir>` set to `dir` (replacing any --out given). */
export function withOut(argv: readonly string[], dir: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') { i++; continue; }
    if (argv[i].startsWith('--out=')) continue;
    out.push(argv[i]);
  }
  return [...out, '--out', dir];
}

/** On SIGINT/SIGTERM print `message` on stderr and exit 130; returns a function that removes the handler. */
export function onInterrupt(message: string): () => void {
  const handler = () => {
    process.stderr.write(`\n${message}\n`);
    process.exit(130);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
