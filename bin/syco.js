#!/usr/bin/env node
// Entry point of the `syco` CLI: registers the TypeScript loader, then hands over to lib/cli.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.env.SYCO_ROOT ??= root;
register();
const { main } = await import(pathToFileURL(join(root, 'lib', 'cli', 'index.ts')).href);
process.exitCode = await main(process.argv.slice(2));
