#include "layer_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "eie/baseline.h"

namespace eie::cli {

Timing time_runs(const std::function<void()>& run, double budget_seconds, int min_runs) {
  using clock = std::chrono::steady_clock;
  const auto warm_start = clock::now();
  for (int i = 0; i < 3 || clock::now() - warm_start < std::chrono::duration<double>(budget_seconds / 10); ++i) run();
  std::vector<double> us;
  const auto start = clock::now();
  while (static_cast<int>(us.size()) < min_runs ||
         (clock::now() - start < std::chrono::duration<double>(budget_seconds) && us.size() < 20000)) {
    const auto t0 = clock::now();
    run();
    us.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  Timing t;
  t.runs = static_cast<int>(us.size());
  t.median_us = us[us.size() / 2];
  t.p99_us = us[std::min(us.size() - 1, static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(us.size()))) - 1)];
  return t;
}

LayerComparison compare_layer(const CompressedLayer& layer, const std::function<std::vector<float>(std::int64_t)>& make_input,
                              std::int64_t batch, int threads, KernelIsa kernel, double budget_seconds) {
  LayerComparison c;
  c.name = layer.name;
  c.batch = batch;
  c.threads = threads;
  std::vector<float> x;
  std::int64_t nonzero = 0;
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::vector<float> xb = make_input(b);
    nonzero += std::count_if(xb.begin(), xb.end(), [](float v) { return v != 0.0f; });
    x.insert(x.end(), xb.begin(), xb.end());
  }
  c.activation_density = static_cast<double>(nonzero) / static_cast<double>(x.size());
  std::vector<float> y_eie(static_cast<std::size_t>(layer.rows * batch));
  std::vector<float> y_dense(y_eie.size()), y_csr(y_eie.size());

  Engine engine({layer}, EngineOptions{.threads = threads, .kernel = kernel, .output_activation = Activation::none,
                                       .max_batch = batch});
  c.plan = engine.plan_info().front();
  c.eie = time_runs([&] { engine.run_batch(x, y_eie, batch); }, budget_seconds, 20);

  // Each baseline gets its best of 1 thread and `threads` threads: on a loaded machine the libraries' own
  // barriers (OpenBLAS's pool, Eigen's OpenMP) can stall for a scheduler tick, and a user would pick the faster.
  const auto time_baseline = [&](const auto& baseline, std::vector<float>& y) {
    Timing fastest;
    for (int t : {threads, 1}) {
      set_baseline_threads(t);
      const Timing timing = time_runs([&] { baseline.run_batch(x, y, batch); }, budget_seconds, 10);
      if (t == threads || timing.median_us < fastest.median_us) fastest = timing;
      if (threads == 1) break;
    }
    return fastest;
  };
  {
    const DenseBaseline dense(layer);
    c.dense_bytes = dense.bytes();
    c.dense = time_baseline(dense, y_dense);
  }
  {
    const CsrBaseline csr(layer);
    c.csr_bytes = csr.bytes();
    c.csr = time_baseline(csr, y_csr);
  }
  for (std::size_t i = 0; i < y_eie.size(); ++i) {
    c.max_error = std::max(c.max_error, std::fabs(static_cast<double>(y_eie[i]) - y_dense[i]) /
                                            std::max(1.0, std::fabs(static_cast<double>(y_dense[i]))));
  }
  return c;
}

}  // namespace eie::cli
