#!/usr/bin/env bash
# Register the repository's tslab kernel ("TypeScript (syco, tslab)") with your Jupyter, so `jupyter lab` /
# `jupyter notebook` started anywhere can run notebooks/*.ipynb. The registered kernel calls this checkout's
# jupyter/kernels/syco-tslab/start-kernel.sh by absolute path, which starts tslab from the repository root (so
# notebooks import ./lib/...). Re-run it after moving the checkout.
#
#   scripts/setup-jupyter.sh            # per-user install (~/.local/share/jupyter/kernels/syco-tslab)
#   scripts/setup-jupyter.sh --sys-prefix | --prefix DIR    # passed on to `jupyter kernelspec install`
#
# Alternative without installing anything: JUPYTER_PATH="$PWD/jupyter" jupyter lab
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start="$root/jupyter/kernels/syco-tslab/start-kernel.sh"
[ -f "$start" ] || { echo "setup-jupyter: $start is missing" >&2; exit 1; }
[ -f "$root/node_modules/tslab/bin/tslab" ] || { echo "setup-jupyter: tslab is not installed; run npm ci in $root first" >&2; exit 1; }
if command -v jupyter >/dev/null 2>&1; then
  jup=(jupyter)
elif /usr/bin/python3 -c 'import jupyter_client' 2>/dev/null; then
  jup=(/usr/bin/python3 -m jupyter_client.kernelspecapp)
else
  echo "setup-jupyter: Jupyter not found; install it (Debian: apt-get install jupyter-client jupyter-nbconvert python3-ipykernel)" >&2
  exit 1
fi
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--user)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/syco-tslab"
cp "$root"/jupyter/kernels/syco-tslab/logo-* "$tmp/syco-tslab/" 2>/dev/null || true
/usr/bin/env node -e '
  const [start, out] = process.argv.slice(1);
  const spec = { argv: ["bash", start, "{connection_file}"], display_name: "TypeScript (syco, tslab)", language: "typescript" };
  require("fs").writeFileSync(out, JSON.stringify(spec, null, 2) + "\n");
' "$start" "$tmp/syco-tslab/kernel.json"
if [ "${jup[0]}" = jupyter ]; then
  jupyter kernelspec install "${args[@]}" --name syco-tslab --replace "$tmp/syco-tslab"
else
  "${jup[@]}" install "${args[@]}" --name syco-tslab --replace "$tmp/syco-tslab"
fi
echo "registered kernel syco-tslab -> $start"
