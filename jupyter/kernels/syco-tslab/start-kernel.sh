#!/usr/bin/env bash
# Starts tslab from the repository root so notebooks can import ./lib/... (tslab only imports files under its cwd).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
export SYCO_ROOT="$root"
exec node "$root/node_modules/tslab/bin/tslab" kernel --config-path "$1"
