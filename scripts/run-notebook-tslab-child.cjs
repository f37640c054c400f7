// Child of scripts/run-notebooks-tslab.mjs: executes one notebook in this process on tslab's kernel handler. CommonJS,
// like tslab's own kernel entry point (tslab compiles cells and lib/ to CommonJS, which an ES-module main cannot host).
'use strict';
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { basename, join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');

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


runOne(process.argv[2], process.argv[3] || null);
