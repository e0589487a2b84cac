#!/usr/bin/env bash
# tests/install/run.sh BUILD_DIR — installs the build into a temporary prefix
# with `cmake --install`, then builds tests/install/example.c against it
# through pkg-config, shared and static, and runs both.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
prefix=$(mktemp -d /tmp/animasync-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name animasync.pc | head -1)")
export PKG_CONFIG_PATH=$pcdir
test -x "$prefix/bin/animasync"
test -f "$prefix/include/animasync/animasync.h"
test -f "$prefix/share/animasync/presets.json"
test -f "$prefix/share/animasync/web/player.html"
cc -std=c11 "$here/example.c" -o "$prefix/example_shared" $(pkg-config --cflags --libs animasync)
LD_LIBRARY_PATH=$(pkg-config --variable=libdir animasync) "$prefix/example_shared"
cc -std=c11 "$here/example.c" -o "$prefix/example_static" $(pkg-config --cflags animasync) \
   "$(pkg-config --variable=libdir animasync)/libanimasync.a" $(pkg-config --libs-only-l --static animasync | sed 's/-lanimasync//')
"$prefix/example_static"
"$prefix/bin/animasync" --version
echo "install test: 1 passed, 0 failed"
