#!/usr/bin/env bash
# tests/browser/run.sh — the browser tests (ctest "browser"): checks that the
# committed test avatar is what scripts/make_test_avatar.mjs generates, starts
# `animasync serve` on a free port with a scratch preset file, runs
# tests/browser/test_pages.mjs in headless Chromium, then stops the server
# with SIGTERM and requires a clean exit (status 0; under ASan, leak-free).
#
# usage: bash tests/browser/run.sh path/to/animasync
# Needs Debian's chromium, Node.js and `npm ci` in web/ (scripts/test.sh does
# both); exits 77 (ctest: skipped) when they are missing.
set -euo pipefail
cli=${1:?usage: run.sh path/to/animasync}
root=$(cd "$(dirname "$0")/../.." && pwd)

skip() { echo "browser tests skipped: $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed (bash scripts/deps.sh browser)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "chromium is not installed (bash scripts/deps.sh browser)"
[ -f "$root/web/node_modules/playwright-core/package.json" ] || skip "web/node_modules is missing (cd web && npm ci)"
[ -f "$root/web/node_modules/three/build/three.module.js" ] || skip "three.js is missing (cd web && npm ci)"

work=$(mktemp -d "${TMPDIR:-/tmp}/animasync-browser-XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

node "$root/scripts/make_test_avatar.mjs" "$work/test-avatar.gltf" >/dev/null
if ! cmp -s "$work/test-avatar.gltf" "$root/web/assets/test-avatar.gltf"; then
  echo "FAIL: web/assets/test-avatar.gltf differs from what scripts/make_test_avatar.mjs generates;"
  echo "      run: node scripts/make_test_avatar.mjs web/assets/test-avatar.gltf"
  exit 1
fi

# created here: the background child opens its redirections only when it
# runs, and on a loaded machine the polling below could read before that
: >"$work/serve.out"
: >"$work/serve.err"
"$cli" serve --port 0 --presets "$work/presets.json" --web "$root/web" >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(sed -n 's|^listening on \(http://[^ ]*\)/$|\1|p' "$work/serve.out")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "FAIL: animasync serve did not start"; cat "$work/serve.err"; exit 1
fi
echo "server at $url"

status=0
node "$root/tests/browser/test_pages.mjs" "$url" "$work" || status=1

kill -TERM "$pid"
server_status=0
wait "$pid" || server_status=$?
pid=""
if [ "$server_status" -ne 0 ]; then
  echo "FAIL: animasync serve exited with status $server_status after SIGTERM"
  tail -n 40 "$work/serve.err"
  status=1
fi
requests=$(grep -c ' ms$' "$work/serve.err" || true)
echo "server answered $requests requests; $(grep -c '/api/' "$work/serve.err" || true) API calls"
exit $status
