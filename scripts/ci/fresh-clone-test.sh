#!/usr/bin/env bash
# The README's two commands on a bare machine: clone this checkout's HEAD into an empty temporary folder (no ../shared
# beside it), `npm ci`, then `npm test` with CI unset and Python, Chromium and Jupyter unreachable (a PATH without
# them, and every lookup the project makes pointed at missing paths). It must pass; the skipped tests are listed.
#   scripts/ci/fresh-clone-test.sh            (run by .ci/run; needs git and network or an npm cache for npm ci)
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d /tmp/syco-fresh-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-local "$src" "$tmp/repo"
# A PATH with every program of /usr/bin and /bin except Python, Jupyter and Chromium/Chrome.
mkdir -p "$tmp/bin"
for d in /usr/local/bin /usr/bin /bin; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n="$(basename "$f")"
    case "$n" in python*|pip*|jupyter*|ipython*|chromium*|chrome*|google-chrome*) continue ;; esac
    [ -e "$tmp/bin/$n" ] || ln -s "$f" "$tmp/bin/$n"
  done
done
ln -sf "$(command -v node)" "$tmp/bin/node"
cd "$tmp/repo"
echo "== fresh clone at $tmp/repo: npm ci"
npm ci --no-audit --no-fund --prefer-offline >/dev/null
echo "== npm test (CI unset; no Python, Chromium, Jupyter or ../shared)"
set +e
env -u CI PATH="$tmp/bin" HOME="$tmp/home" \
  SYCO_PYTHON=/nonexistent/python3 SYCO_JUPYTER_PYTHON=/nonexistent/python3 \
  SYCO_CHROMIUM=/nonexistent/chromium PLAYWRIGHT_BROWSERS_PATH=/nonexistent/ms-playwright \
  SYCO_SHARED=/nonexistent/shared \
  npm test > "$tmp/test.log" 2>&1
rc=$?
set -e
grep -E '^ℹ (tests|pass|fail|skipped)' "$tmp/test.log" || true
echo "== skipped, with the reason each gives:"
grep -E '^\s*﹣ .* # ' "$tmp/test.log" | sed -E 's/^\s*﹣ (.*) \([0-9.]+m?s\) # (.*)$/  \1 -- \2/' | sort | uniq || true
if [ "$rc" -ne 0 ]; then
  echo "fresh-clone test FAILED (npm test exit $rc); failures:"
  grep -E '^\s*✖' "$tmp/test.log" | head -40
  tail -60 "$tmp/test.log"
  exit 1
fi
echo "fresh-clone test passed"
