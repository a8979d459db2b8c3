#!/usr/bin/env bash
# EIE_WERROR in the environment decides -Werror at every configure, also on a tree configured before without
# it (CI exports EIE_WERROR=ON and runs `make test`, which configures an existing tree again). Configures a
# minimal scratch tree (no tests, benchmarks, libtorch or CUDA): about ten seconds, nothing is built.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tree="$(mktemp -d)"
trap 'rm -rf "$tree" "$tree.log"' EXIT
configure() {
  env EIE_WERROR="$1" cmake -S "$root" -B "$tree" -G Ninja -DEIE_BUILD_TESTS=OFF -DEIE_BUILD_BENCH=OFF \
    -DEIE_WITH_TORCH=OFF -DEIE_WITH_CUDA=OFF > "$tree.log" 2>&1 || { cat "$tree.log"; exit 1; }
  grep -q "^EIE_WERROR:BOOL=$2\$" "$tree/CMakeCache.txt" ||
    { echo "FAIL: EIE_WERROR=$1 gave $(grep '^EIE_WERROR:' "$tree/CMakeCache.txt")"; exit 1; }
  if [ "$2" = ON ]; then grep -q -- "-Werror" "$tree/build.ninja" || { echo "FAIL: no -Werror in build.ninja"; exit 1; }
  else ! grep -q -- "-Werror" "$tree/build.ninja" || { echo "FAIL: -Werror with EIE_WERROR=$1"; exit 1; }; fi
}
configure OFF OFF
configure ON ON     # the same tree, configured again: the environment wins over the cache
configure OFF OFF
echo "ok: the environment's EIE_WERROR takes effect on a configured tree"
