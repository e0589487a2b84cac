#!/usr/bin/env bash
# scripts/demo.sh — builds animasync and runs its main job on the built-in
# defaults. Installs missing Debian packages first. This is the README's
# first quick-start command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$(nproc 2>/dev/null || echo 2)" --target animasync_cli >/dev/null
cli=build/release/animasync
for emo in neutral joy sadness anger surprise; do
  echo "== $emo (level 3) =="
  "$cli" compile --emotion "$emo" --level 3 --format csv
done
echo "== quality contract =="
"$cli" check
