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
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function cellSource(cell) {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** Child mode: execute one notebook in this process, print a JSON result line. */
async function runOne(path, out) {
  process.chdir(ROOT);
  process.env.SYCO_ROOT = ROOT;
  // The command line the kernelspec starts (start-kernel.sh): code that asks whether it runs in a tslab kernel sees one.
  process.argv = [process.execPath, join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', '(in-process)'];
  const req = createRequire(join(ROOT, 'package.json'));
  const { JupyterHandlerImpl } = req('tslab/dist/jupyter.js');
  const { createExecutor } = req('tslab/dist/executor.js');
  const { createConverter } = req('tslab/dist/converter.js');
  let node;
  const convs = {
    get node() { return (node ??= createConverter({ isJS: false, isBrowser: false })); },
    get browser() { throw new Error('browser cells are not supported by the in-process runner'); },
    close() { node?.close(); },
  };
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const executor = createExecutor(ROOT, convs, { log: (...a) => console.log(...a), error: (...a) => console.error(...a) });
  const handler = new JupyterHandlerImpl(executor, false);
  const nb = JSON.parse(readFileSync(path, 'utf8'));
  let count = 0;
  let failed = null;
  for (const [index, cell] of nb.cells.entries()) {
    if (cell.cell_type !== 'code') continue;
    const outputs = [];
    const stream = (name, text) => {
      const last = outputs.at(-1);
      if (last && last.output_type === 'stream' && last.name === name) last.text += text;
      else outputs.push({ output_type: 'stream', name, text });
    };
    const display = (data, update) => outputs.push({ output_type: update ? 'update_display_data' : 'display_data', data: data.data ?? data, metadata: data.metadata ?? {} });
    let content;
    try {
      content = await handler.handleExecute({ code: cellSource(cell) }, stream, display);
    } finally {
      process.stdout.write = realOut;
      process.stderr.write = realErr;
    }
    cell.execution_count = ++count;
    cell.outputs = outputs;
    if (content.status !== 'ok') {
      const stderr = outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => o.text).join('');
      failed = { index, code: count, source: cellSource(cell), stderr };
      break;
    }
  }
  if (out) {
    mkdirSync(out, { recursive: true });
    const dest = join(out, basename(path));
    writeFileSync(`${dest}.tmp`, JSON.stringify(nb, null, 1) + '\n');
    renameSync(`${dest}.tmp`, dest);
  }
  executor.close();
  convs.close();
  realOut('\n@@RESULT ' + JSON.stringify({ path, failed }) + '\n');
  process.exit(0);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return runOne(args[1], args[2] || null);
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
      const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', resolve(f), out ?? ''], { stdio: ['ignore', 'pipe', 'pipe'] });
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
