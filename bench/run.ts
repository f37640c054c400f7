// Runs the benchmarks: `npm run bench [-- name ...]`. Each bench/<name>.ts exports `run(): Promise<void>`
// and prints its ratios against the stated anchors (measured side by side in the same run).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = join(process.cwd(), 'bench');
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : available;
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`bench: unknown benchmark "${name}" (have: ${available.join(', ')})`);
    process.exit(2);
  }
}
for (const name of names) {
  console.log(`\n=== bench ${name} ===`);
  const mod = await import(pathToFileURL(join(dir, `${name}.ts`)).href);
  if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts does not export run()`);
  await mod.run();
}
