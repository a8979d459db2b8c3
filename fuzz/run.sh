#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default 600) on 1 core.
# Usage: fuzz/run.sh [SECONDS]. Corpora and crash files go to build/fuzz/{corpus,crashes}/<target>.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-600}
cmake -S fuzz -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz --target fuzz_eie_reader fuzz_safetensors_reader fuzz_onnx_importer make_fuzz_corpus
build/fuzz/make_fuzz_corpus build/fuzz/seeds
for t in eie_reader:eie safetensors_reader:safetensors onnx_importer:onnx; do
  target=${t%%:*}
  seeds=${t##*:}
  mkdir -p build/fuzz/corpus/$target build/fuzz/crashes/$target
  echo "== fuzz_$target for ${seconds}s"
  build/fuzz/fuzz_$target build/fuzz/corpus/$target build/fuzz/seeds/$seeds \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix=build/fuzz/crashes/$target/ 2>&1 | grep -E "^(stat::|==|SUMMARY|Done|INFO: seed)|ERROR|crash" || true
done
