#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default 600) on 1 core.
# Usage: fuzz/run.sh [SECONDS [TARGET...]] (targets: eie_reader safetensors_reader onnx_importer npy_reader
# idx_reader sim_config tensor_proto_reader; default all). Corpora and crash files go to build/fuzz/{corpus,crashes}/<target>.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-eie_reader safetensors_reader onnx_importer npy_reader idx_reader sim_config tensor_proto_reader}
cmake -S fuzz -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz --target make_fuzz_corpus $(for t in $targets; do echo fuzz_$t; done)
build/fuzz/make_fuzz_corpus build/fuzz/seeds
for target in $targets; do
  case $target in
    eie_reader) seeds=eie ;; safetensors_reader) seeds=safetensors ;; onnx_importer) seeds=onnx ;;
    npy_reader) seeds=npy ;; idx_reader) seeds=idx ;; sim_config) seeds=sim_config ;;
    tensor_proto_reader) seeds=pb ;;
    *) echo "fuzz/run.sh: unknown target $target" >&2; exit 1 ;;
  esac
  mkdir -p build/fuzz/corpus/$target build/fuzz/crashes/$target
  echo "== fuzz_$target for ${seconds}s"
  build/fuzz/fuzz_$target build/fuzz/corpus/$target build/fuzz/seeds/$seeds \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix=build/fuzz/crashes/$target/ 2>&1 | grep -E "^(stat::|==|SUMMARY|Done|INFO: seed)|ERROR|crash" || true
done
