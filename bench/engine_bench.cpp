// Google Benchmark entries for the engine's kernels on the EIE paper's nine layers (warm caches): one
// benchmark per layer x kernel x batch x threads, with counters for stored entries per second and the planned
// layout's bytes. `eie bench --suite eie-paper` is the comparison against dense and CSR; this is for kernel work.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "eie/core.h"
#include "eie/engine.h"

namespace {

// tcsr_min_batch: EngineOptions::tcsr_min_batch (0: the planner's choice; 65536: sell16 for every batch).
// compact_codes: EngineOptions::compact_codes (int8).
void bm_layer(benchmark::State& state, const eie::PaperLayer* layer, eie::KernelIsa isa, std::int64_t tcsr_min_batch,
              eie::Precision precision, bool compact_codes) {
  const std::int64_t batch = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  if (!eie::kernel_isa_available(isa) || !eie::precision_available(precision)) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  const eie::CompressedLayer w = eie::paper_layer_weights(*layer);
  std::vector<float> x;
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::vector<float> xb = eie::paper_layer_input(*layer, 1 + static_cast<std::uint64_t>(b));
    x.insert(x.end(), xb.begin(), xb.end());
  }
  std::vector<float> y(static_cast<std::size_t>(w.rows * batch));
  eie::Engine engine({w}, eie::EngineOptions{.threads = threads, .kernel = isa,
                                             .output_activation = eie::Activation::none, .max_batch = batch,
                                             .tcsr_min_batch = tcsr_min_batch, .precision = precision,
                                             .compact_codes = compact_codes});
  for (auto _ : state) {
    engine.run_batch(x, y, batch);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["entries/s"] = benchmark::Counter(static_cast<double>(w.nnz() * batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = static_cast<double>(engine.resident_bytes());
}

const bool registered = [] {
  for (const eie::PaperLayer& layer : eie::paper_benchmark_layers()) {
    for (eie::KernelIsa isa : {eie::KernelIsa::scalar, eie::KernelIsa::avx2, eie::KernelIsa::avx512, eie::KernelIsa::neon}) {
      const std::string name = std::string(layer.name) + "/" + eie::kernel_isa_name(isa);
      benchmark::RegisterBenchmark(name.c_str(), bm_layer, &layer, isa, std::int64_t{0}, eie::Precision::fp32, false)
          ->ArgNames({"batch", "threads"})
          ->ArgsProduct({{1, 8, 16, 64}, {1, 2}})
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
    // EngineOptions::precision bf16: sell16x2 for every batch, and tcsrx2 from batch 2, side by side.
    for (std::int64_t from : {std::int64_t{2}, std::int64_t{65536}}) {
      const std::string name = std::string(layer.name) + (from == 2 ? "/avx512-bf16-tcsrx2" : "/avx512-bf16");
      benchmark::RegisterBenchmark(name.c_str(), bm_layer, &layer, eie::KernelIsa::avx512, from, eie::Precision::bf16, false)
          ->ArgNames({"batch", "threads"})
          ->ArgsProduct({{1, 8, 16, 32, 64}, {1, 2}})
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
    // EngineOptions::precision int8: sell16x4 for every batch, with the planner's codes and all compact.
    for (bool compact : {false, true}) {
      const std::string name = std::string(layer.name) + (compact ? "/avx512-int8-compact" : "/avx512-int8");
      benchmark::RegisterBenchmark(name.c_str(), bm_layer, &layer, eie::KernelIsa::avx512, std::int64_t{0},
                                   eie::Precision::int8, compact)
          ->ArgNames({"batch", "threads"})
          ->ArgsProduct({{1, 8, 16, 64}, {1, 2}})
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
    // The batch layouts side by side: tcsr from batch 2 against sell16 for every batch.
    for (std::int64_t from : {std::int64_t{2}, std::int64_t{65536}}) {
      const std::string name = std::string(layer.name) + (from == 2 ? "/avx512-tcsr" : "/avx512-sell16");
      benchmark::RegisterBenchmark(name.c_str(), bm_layer, &layer, eie::KernelIsa::avx512, from, eie::Precision::fp32, false)
          ->ArgNames({"batch", "threads"})
          ->ArgsProduct({{2, 4, 8, 16, 32, 64}, {1}})
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
