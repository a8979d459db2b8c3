#include "network_bench.h"

#include <cmath>

#include <fmt/core.h>

#include "eie/baseline.h"

namespace eie::cli {

Model decompressed(const Model& model) {
  Model dense = model;
  for (const auto& [name, weight] : model.compressed) dense.initializers[name] = weight.to_tensor();
  dense.compressed.clear();
  return dense;
}

std::vector<NetworkComparison> compare_network(const Model& model, const std::vector<std::int64_t>& batches,
                                               int threads, KernelIsa kernel, double budget_seconds,
                                               Precision precision, bool compact_codes) {
  if (model.compressed.empty()) throw Error(fmt::format("model '{}' has no compressed weight to time", model.name));
  const Model dense_model = decompressed(model);
  set_baseline_threads(threads);
  std::vector<NetworkComparison> result;
  for (const std::int64_t batch : batches) {
    std::vector<Shape> shapes;
    std::vector<Tensor> inputs;
    Rng rng(static_cast<std::uint64_t>(batch));
    for (const ValueInfo& input : model.inputs) {
      Shape shape = input.shape;
      if (shape.empty()) throw Error(fmt::format("graph input '{}' has no declared shape to batch", input.name));
      shape[0] = batch;
      for (const std::int64_t d : shape) {
        if (d < 0) throw Error(fmt::format("graph input '{}' has a dynamic dimension besides the batch: {}", input.name, shape_string(input.shape)));
      }
      Tensor t{shape, std::vector<float>(static_cast<std::size_t>(shape_numel(shape)))};
      for (float& v : t.data) v = static_cast<float>(rng.uniform());
      shapes.push_back(shape);
      inputs.push_back(std::move(t));
    }
    ModelEngine eie(model, shapes, ModelEngineOptions{.threads = threads, .kernel = kernel, .precision = precision,
                                                                 .compact_codes = compact_codes});
    ModelEngine dense(dense_model, shapes, ModelEngineOptions{.threads = threads, .kernel = kernel});
    std::vector<std::span<const float>> in;
    for (const Tensor& t : inputs) in.emplace_back(t.data);
    std::vector<std::vector<float>> y_eie, y_dense;
    std::vector<std::span<float>> out_eie, out_dense;
    for (const Shape& s : eie.output_shapes()) {
      y_eie.emplace_back(static_cast<std::size_t>(shape_numel(s)));
      y_dense.emplace_back(static_cast<std::size_t>(shape_numel(s)));
    }
    for (std::size_t i = 0; i < y_eie.size(); ++i) {
      out_eie.emplace_back(y_eie[i]);
      out_dense.emplace_back(y_dense[i]);
    }
    NetworkComparison c;
    c.batch = batch;
    c.threads = threads;
    c.eie = time_runs([&] { eie.run(in, out_eie); }, budget_seconds, 20);
    c.dense = time_runs([&] { dense.run(in, out_dense); }, budget_seconds, 10);
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
