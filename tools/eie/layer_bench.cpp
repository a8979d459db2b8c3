#include "layer_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "eie/baseline.h"
#ifdef EIE_HAVE_ONEDNN
#include "eie/onednn_baseline.h"
#endif

namespace eie::cli {

namespace {

double median_of(std::vector<double> us) {
  std::nth_element(us.begin(), us.begin() + static_cast<std::ptrdiff_t>(us.size() / 2), us.end());
  return us[us.size() / 2];
}

// `us`: every timed run in order; `round_ends`: where each round's block ends in it.
Timing summarize(std::vector<double> us, const std::vector<std::size_t>& round_ends) {
  Timing t;
  std::size_t begin = 0;
  for (std::size_t end : round_ends) {
    t.round_median_us.push_back(median_of(std::vector<double>(us.begin() + static_cast<std::ptrdiff_t>(begin),
                                                              us.begin() + static_cast<std::ptrdiff_t>(end))));
    begin = end;
  }
  std::sort(us.begin(), us.end());
  t.runs = static_cast<int>(us.size());
  t.median_us = us[us.size() / 2];
  t.p99_us = us[std::min(us.size() - 1, static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(us.size()))) - 1)];
  return t;
}

Disagreement disagreement(const std::vector<float>& y, const std::vector<float>& y_dense) {
  Disagreement d;
  double scale = 1.0, largest = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double difference = std::fabs(static_cast<double>(y[i]) - y_dense[i]);
    d.relative = std::max(d.relative, difference / std::max(1.0, std::fabs(static_cast<double>(y_dense[i]))));
    scale = std::max(scale, std::fabs(static_cast<double>(y_dense[i])));
    largest = std::max(largest, difference);
  }
  d.of_scale = largest / scale;
  return d;
}

}  // namespace

void time_in_rounds(std::vector<TimedRun>& runs, double budget_seconds, int rounds) {
  using clock = std::chrono::steady_clock;
  const std::chrono::duration<double> block(budget_seconds / rounds);
  std::vector<std::vector<double>> us(runs.size());
  std::vector<std::vector<std::size_t>> round_ends(runs.size());
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      TimedRun& r = runs[i];
      if (r.prepare) r.prepare();
      const auto warm_start = clock::now();
      for (int k = 0; k < 3 || clock::now() - warm_start < block / 10; ++k) r.run();
      // This round's share of the least number of runs, so that the last round completes it, and at least one
      // run, so that every round has a median.
      const std::size_t least = std::max(us[i].size() + 1,
                                         static_cast<std::size_t>((r.min_runs * (round + 1) + rounds - 1) / rounds));
      const std::size_t most = 20000u * static_cast<std::size_t>(round + 1) / rounds;  // 20,000 runs in all
      const auto start = clock::now();
      while (us[i].size() < least || (clock::now() - start < block && us[i].size() < most)) {
        const auto t0 = clock::now();
        r.run();
        us[i].push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
      }
      round_ends[i].push_back(us[i].size());
    }
  }
  for (std::size_t i = 0; i < runs.size(); ++i) runs[i].timing = summarize(std::move(us[i]), round_ends[i]);
}

Timing time_runs(const std::function<void()>& run, double budget_seconds, int min_runs) {
  std::vector<TimedRun> runs{TimedRun(run, min_runs)};
  time_in_rounds(runs, budget_seconds, 1);
  return runs.front().timing;
}

std::int64_t paper_encoding_bytes(const CompressedLayer& layer) { return encoding_stats(encode_eie(layer, 64)).bytes; }

LayerComparison compare_layer(const CompressedLayer& layer, const std::function<std::vector<float>(std::int64_t)>& make_input,
                              std::int64_t batch, int threads, KernelIsa kernel, double budget_seconds,
                              bool skip_zero_activations, Precision precision, bool compact_codes,
                              [[maybe_unused]] bool with_onednn, Layout layout) {
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
                                       .max_batch = batch, .skip_zero_activations = skip_zero_activations,
                                       .precision = precision, .compact_codes = compact_codes, .layout = layout});
  c.plan = engine.plan_info().front();
  const DenseBaseline dense(layer);
  const CsrBaseline csr(layer);
  c.dense_bytes = dense.bytes();
  c.csr_bytes = csr.bytes();

  // Each baseline is timed at `threads` and at 1 thread and keeps the faster: on a loaded machine the libraries'
  // own barriers (OpenBLAS's pool, Eigen's OpenMP) can stall for a scheduler tick, and a user would pick the faster.
  std::vector<int> baseline_threads{threads};
  if (threads != 1) baseline_threads.push_back(1);
  std::vector<TimedRun> runs;
  for (int t : baseline_threads) {
    runs.emplace_back([&] { dense.run_batch(x, y_dense, batch); }, 10, [t] { set_baseline_threads(t); });
  }
  // oneDNN (at the same thread counts, the faster kept), its primitives created and its weights reordered here,
  // outside the timing; before CSR, so that its OpenMP workers have stopped spinning when eie runs.
#ifdef EIE_HAVE_ONEDNN
  std::vector<std::unique_ptr<OnednnBaseline>> onednn;  // fp32 then int8 at each of baseline_threads
  std::vector<float> y_onednn_fp32(y_eie.size()), y_onednn_int8(y_eie.size());
  const std::size_t first_onednn = runs.size();
  if (with_onednn) {
    for (OnednnPrecision p : {OnednnPrecision::fp32, OnednnPrecision::int8}) {
      std::vector<float>& y = p == OnednnPrecision::fp32 ? y_onednn_fp32 : y_onednn_int8;
      for (int t : baseline_threads) {
        onednn.push_back(std::make_unique<OnednnBaseline>(layer, p, batch, t));
        runs.emplace_back([&x, &y, &b = *onednn.back()] { b.run_batch(x, y); }, 10);
      }
    }
  }
#endif
  const std::size_t first_csr = runs.size();
  for (int t : baseline_threads) {
    runs.emplace_back([&] { csr.run_batch(x, y_csr, batch); }, 10, [t] { set_baseline_threads(t); });
  }
  // eie last in each round: it follows the single-threaded CSR block, so no library's idle workers are still
  // spinning on the cores its own workers need.
  runs.emplace_back([&] { engine.run_batch(x, y_eie, batch); }, 20);
  time_in_rounds(runs, budget_seconds, kCompareRounds);
  const auto fastest = [&](std::size_t first) {
    Timing best = runs[first].timing;
    for (std::size_t i = first + 1; i < first + baseline_threads.size(); ++i) {
      if (runs[i].timing.median_us < best.median_us) best = runs[i].timing;
    }
    return best;
  };
  c.dense = fastest(0);
  c.csr = fastest(first_csr);
  c.eie = runs.back().timing;
  const Disagreement eie = disagreement(y_eie, y_dense);
  c.max_error = eie.relative;
  c.max_error_of_scale = eie.of_scale;
#ifdef EIE_HAVE_ONEDNN
  if (!onednn.empty()) {
    const std::size_t first_int8 = first_onednn + baseline_threads.size();
    c.has_onednn = true;
    c.onednn_fp32 = {fastest(first_onednn), onednn.front()->bytes(), disagreement(y_onednn_fp32, y_dense)};
    c.onednn_int8 = {fastest(first_int8), onednn.back()->bytes(), disagreement(y_onednn_int8, y_dense)};
  }
#endif
  return c;
}

}  // namespace eie::cli
