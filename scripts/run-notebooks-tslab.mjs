#!/usr/bin/env node
// Execute notebooks without Jupyter: each notebook runs in a fresh Node process on tslab's own kernel handler
// (tslab/dist/jupyter.js JupyterHandlerImpl + its executor and TypeScript converter — the code the Jupyter kernel runs
// behind its ZeroMQ sockets), from the repository root as jupyter/kernels/syco-tslab/start-kernel.sh starts it.
// Stream and display outputs are collected per cell as Jupyter would store them.
//
//   node scripts/run-notebooks-tslab.mjs notebooks/*.ipynb [--output-dir DIR] [--timeout SECONDS]
//
// Prints "N of M notebooks passed"; on a failing cell prints the notebook, the cell number, its source and its stderr,
// and exits 1. Executed copies (with outputs) go to --output-dir, never into notebooks/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function main() {
  const args = process.argv.slice(2);
  const files = [];
  let out = null;
  let timeout = 600;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--output-dir') out = resolve(args[++i]);
    else if (args[i] === '--timeout') timeout = Number(args[++i]);
    else files.push(args[i]);
  }
  if (!files.length) {
    console.error('usage: run-notebooks-tslab.mjs <notebook.ipynb>... [--output-dir DIR] [--timeout SECONDS]');
    process.exit(2);
  }
  if (out && resolve(out) === resolve(ROOT, 'notebooks')) {
    console.error('run-notebooks-tslab: --output-dir would overwrite source notebooks');
    process.exit(2);
  }
  let passed = 0;
  for (const f of files) {
    if (!existsSync(f)) {
      console.error(`no such notebook: ${f}`);
      process.exit(2);
    }
    const t0 = Date.now();
    const res = await new Promise((ok) => {
      const p = spawn(process.execPath, [join(ROOT, 'scripts', 'run-notebook-tslab-child.cjs'), resolve(f), out ?? ''], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => p.kill('SIGKILL'), timeout * 1000);
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => {
        clearTimeout(timer);
        const line = stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
        ok(line ? JSON.parse(line.slice(9)) : { path: f, failed: { index: null, stderr: `runner exited with ${code}${code === null ? ` (timeout ${timeout}s)` : ''}\n${stderr.slice(-4000)}` } });
      });
    });
    if (res.failed) {
      const c = res.failed;
      console.error(c.index === null ? `FAILED ${f}: ${c.stderr}` : `FAILED ${f}: cell ${c.index} (code cell ${c.code})\n----- cell source -----\n${c.source}\n----- cell stderr -----\n${c.stderr}`);
    } else {
      passed++;
      console.log(`ok ${f} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  console.log(`${passed} of ${files.length} notebooks passed`);
  process.exit(passed === files.length ? 0 : 1);
}

main();
