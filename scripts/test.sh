#!/usr/bin/env bash
# scripts/test.sh — builds animasync and runs every test, twice: a normal
# build with -Wall -Wextra -Werror, then an AddressSanitizer +
# UndefinedBehaviorSanitizer build. Installs missing Debian packages first.
# This is the README's test command and what CI (.ci/run) runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh browser
# three.js and playwright-core for the browser tests (web/package-lock.json), when missing or out of date
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
jobs=$(nproc 2>/dev/null || echo 2)

echo "== release build (-Werror) =="
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DAS_WERROR=ON >/dev/null
cmake --build build/release -j"$jobs"
ctest --test-dir build/release --output-on-failure -j"$jobs"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAS_WERROR=ON -DAS_SANITIZE=ON -DAS_BUILD_BENCH=OFF >/dev/null
cmake --build build/asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j"$jobs"
