#include "network_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>

#include <fmt/core.h>

#include "eie/baseline.h"
#ifdef EIE_HAVE_ONEDNN
#include "eie/onednn_baseline.h"
#endif

namespace eie::cli {

namespace {

#ifdef EIE_HAVE_ONEDNN
// Every dense product of a ModelEngine on oneDNN: one OnednnBaseline per number of rows the product is run with,
// created on its first run (the warm-up, outside the timing).
ModelEngineOptions onednn_options(OnednnPrecision precision, int threads, KernelIsa kernel) {
  ModelEngineOptions options{.threads = threads, .kernel = kernel};
  options.dense_products = [precision, threads](std::vector<float> weights, std::int64_t n, std::int64_t k,
                                                std::vector<float> bias) -> ModelEngineOptions::DenseProduct {
    struct State {
      std::vector<float> weights, bias;
      std::map<std::int64_t, OnednnBaseline> by_rows;
    };
    auto state = std::make_shared<State>(State{std::move(weights), std::move(bias), {}});
    return [state, precision, threads, n, k](const float* x, float* y, std::int64_t m) {
      auto it = state->by_rows.find(m);
      if (it == state->by_rows.end()) {
        it = state->by_rows.emplace(m, OnednnBaseline(state->weights, n, k, state->bias, precision, m, threads)).first;
      }
      it->second.run_batch(std::span(x, static_cast<std::size_t>(m * k)), std::span(y, static_cast<std::size_t>(m * n)));
    };
  };
  return options;
}
#endif

// max |a - b| / max(1, max |b|) over every output.
double difference_of_scale(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double scale = 1.0, largest = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      scale = std::max(scale, std::fabs(static_cast<double>(b[i][k])));
      largest = std::max(largest, std::fabs(static_cast<double>(a[i][k]) - b[i][k]));
    }
  }
  return largest / scale;
}

// Inputs for one run at `batch` (dimension 0 of every graph input): any other dynamic dimension is 1, a
// language model's sequence, so that a run is one decode step; float inputs seeded uniform in [0, 1), integer and
// boolean inputs (token ids, masks) 0, an index valid in any table.
std::pair<std::vector<Shape>, std::vector<Tensor>> synthetic_inputs(const Model& model, std::int64_t batch) {
  std::vector<Shape> shapes;
  std::vector<Tensor> inputs;
  Rng rng(static_cast<std::uint64_t>(batch));
  for (const ValueInfo& input : model.inputs) {
    Shape shape = input.shape;
    if (shape.empty()) throw Error(fmt::format("graph input '{}' has no declared shape to batch", input.name));
    shape[0] = batch;
    for (std::int64_t& d : shape) d = d < 0 ? 1 : d;
    Tensor t{shape, std::vector<float>(static_cast<std::size_t>(shape_numel(shape)))};
    if (input.type == "float") {
      for (float& v : t.data) v = static_cast<float>(rng.uniform());
    }
    shapes.push_back(shape);
    inputs.push_back(std::move(t));
  }
  return {std::move(shapes), std::move(inputs)};
}

}  // namespace

Model decompressed(const Model& model) {
  Model dense = model;
  for (const auto& [name, weight] : model.compressed) dense.initializers[name] = weight.to_tensor();
  dense.compressed.clear();
  return dense;
}

std::vector<NetworkComparison> compare_network(const Model& model, const std::vector<std::int64_t>& batches,
                                               int threads, KernelIsa kernel, double budget_seconds,
                                               Precision precision, bool compact_codes,
                                               [[maybe_unused]] bool with_onednn, Layout layout) {
  if (model.compressed.empty()) throw Error(fmt::format("model '{}' has no compressed weight to time", model.name));
  const Model dense_model = decompressed(model);
  set_baseline_threads(threads);
  std::vector<NetworkComparison> result;
  for (const std::int64_t batch : batches) {
    const auto [shapes, inputs] = synthetic_inputs(model, batch);
    ModelEngine eie(model, shapes, ModelEngineOptions{.threads = threads, .kernel = kernel, .precision = precision,
                                                                 .compact_codes = compact_codes, .layout = layout});
    ModelEngine dense(dense_model, shapes, ModelEngineOptions{.threads = threads, .kernel = kernel});
    std::vector<std::span<const float>> in;
    for (const Tensor& t : inputs) in.emplace_back(t.data);
    // Outputs of eie, dense, oneDNN fp32 and oneDNN int8, in that order.
    std::vector<std::vector<float>> y[4];
    std::vector<std::span<float>> out[4];
    for (int impl = 0; impl < 4; ++impl) {
      for (const Shape& s : eie.output_shapes()) y[impl].emplace_back(static_cast<std::size_t>(shape_numel(s)));
      for (std::vector<float>& v : y[impl]) out[impl].emplace_back(v);
    }
    std::vector<std::vector<float>>& y_eie = y[0];
    std::vector<std::vector<float>>& y_dense = y[1];
    NetworkComparison c;
    c.batch = batch;
    c.threads = threads;
    // eie first and dense last in each round: eie then follows OpenBLAS, as before oneDNN was added, not
    // oneDNN's OpenMP workers, which spin a while after each run.
    std::vector<TimedRun> runs;
    runs.emplace_back([&] { eie.run(in, out[0]); }, 20);
#ifdef EIE_HAVE_ONEDNN
    std::optional<ModelEngine> onednn_fp32, onednn_int8;
    if (with_onednn) {
      onednn_fp32.emplace(dense_model, shapes, onednn_options(OnednnPrecision::fp32, threads, kernel));
      onednn_int8.emplace(dense_model, shapes, onednn_options(OnednnPrecision::int8, threads, kernel));
      runs.emplace_back([&] { onednn_fp32->run(in, out[2]); }, 10);
      runs.emplace_back([&] { onednn_int8->run(in, out[3]); }, 10);
    }
#endif
    runs.emplace_back([&] { dense.run(in, out[1]); }, 10);
    time_in_rounds(runs, budget_seconds, kCompareRounds);
    c.eie = runs.front().timing;
    c.dense = runs.back().timing;
    if (runs.size() == 4) {
      c.has_onednn = true;
      c.onednn_fp32 = runs[1].timing;
      c.onednn_int8 = runs[2].timing;
      c.onednn_fp32_error = difference_of_scale(y[2], y_dense);
      c.onednn_int8_error = difference_of_scale(y[3], y_dense);
    }
    for (std::size_t i = 0; i < y_eie.size(); ++i) {
      for (std::size_t k = 0; k < y_eie[i].size(); ++k) {
        c.max_error = std::max(c.max_error, std::fabs(static_cast<double>(y_eie[i][k]) - y_dense[i][k]) /
                                                std::max(1.0, std::fabs(static_cast<double>(y_dense[i][k]))));
      }
    }
    result.push_back(c);
  }
  return result;
}

std::vector<ProfileRow> profile_network(const Model& model, std::int64_t batch, int threads, KernelIsa kernel,
                                        double budget_seconds, Precision precision, bool compact_codes, Layout layout) {
  const auto [shapes, inputs] = synthetic_inputs(model, batch);
  set_baseline_threads(threads);
  ModelEngine eie(model, shapes, ModelEngineOptions{.threads = threads, .kernel = kernel, .precision = precision,
                                                    .compact_codes = compact_codes, .layout = layout, .profile = true});
  ModelEngine dense(decompressed(model), shapes, ModelEngineOptions{.threads = threads, .kernel = kernel,
                                                                    .profile = true});
  std::vector<std::span<const float>> in;
  for (const Tensor& t : inputs) in.emplace_back(t.data);
  std::vector<std::vector<float>> y;
  std::vector<std::span<float>> out;
  for (const Shape& s : eie.output_shapes()) y.emplace_back(static_cast<std::size_t>(shape_numel(s)));
  for (std::vector<float>& v : y) out.emplace_back(v);
  // Taking turns, as compare_network's rounds do: each network runs after the other has used the caches.
  const auto start = std::chrono::steady_clock::now();
  do {
    eie.run(in, out);
    dense.run(in, out);
  } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < budget_seconds);
  std::map<std::string, ProfileRow> rows;
  const auto add = [&](const std::vector<NodePlanInfo>& info, bool is_eie) {
    for (const NodePlanInfo& node : info) {
      // Products over a constant weight are told apart from the same operator on run-time inputs (attention's),
      // and nodes whose work another step does from those that run.
      const std::string what = node.weight_bytes > 0                    ? node.op_type + " (weight)"
                               : node.path.starts_with("fused into ") ? node.op_type + " (fused)"
                                                                       : node.op_type;
      ProfileRow& row = rows[what];
      row.what = what;
      if (is_eie) ++row.nodes;
      (is_eie ? row.eie_us : row.dense_us) += node.runs ? 1e6 * node.seconds / static_cast<double>(node.runs) : 0.0;
    }
  };
  add(eie.plan_info(), true);
  add(dense.plan_info(), false);
  std::vector<ProfileRow> result;
  for (auto& [what, row] : rows) result.push_back(row);
  std::sort(result.begin(), result.end(), [](const ProfileRow& a, const ProfileRow& b) { return a.eie_us > b.eie_us; });
  return result;
}

nlohmann::json network_bench_json(const Model& model, const std::vector<std::int64_t>& batches, int threads,
                                  KernelIsa kernel, double budget_seconds) {
  nlohmann::json out = {{"model", model.name}, {"threads", threads}, {"runs", nlohmann::json::array()}};
  for (const NetworkComparison& c : compare_network(model, batches, threads, kernel, budget_seconds)) {
    out["runs"].push_back({{"batch", c.batch},
                           {"eie_median_us", c.eie.median_us},
                           {"eie_runs", c.eie.runs},
                           {"dense_openblas_median_us", c.dense.median_us},
                           {"dense_runs", c.dense.runs},
                           {"speedup_vs_dense", c.dense.median_us / c.eie.median_us},
                           {"max_error_vs_dense", c.max_error}});
  }
  return out;
}

}  // namespace eie::cli
