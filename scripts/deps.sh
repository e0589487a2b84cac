#!/usr/bin/env bash
# scripts/deps.sh — installs the Debian 12 packages animasync needs, only
# those missing. Called by scripts/demo.sh and scripts/test.sh; safe to rerun.
# Pass "browser" to also get what the browser tests need (chromium, node, npm).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcjson-dev libsndfile1-dev libespeak-ng-dev espeak-ng-data
      flite1-dev libfftw3-dev libopenblas-dev libmicrohttpd-dev libsoxr-dev)
if [ "${1:-}" = "browser" ]; then
  pkgs+=(chromium)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "animasync: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
