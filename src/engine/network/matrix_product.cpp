#include "engine/network/matrix_product.h"

#include <cblas.h>

#include <algorithm>
#include <map>

#include <fmt/core.h>

namespace eie::network {

MatrixProduct::MatrixProduct(CompressedLayer layer, const ModelEngineOptions& options,
                             std::shared_ptr<WorkerThreads> workers, std::int64_t max_rows)
    : n_(layer.rows), k_(layer.cols) {
  chunk_ = std::clamp<std::int64_t>(max_rows, 1, 1024);
  EngineOptions engine_options;
  engine_options.threads = options.threads;
  engine_options.kernel = options.kernel;
  engine_options.hidden_activation = Activation::none;
  engine_options.output_activation = Activation::none;
  engine_options.max_batch = chunk_;
  engine_options.skip_zero_activations = options.skip_zero_activations;
  engine_options.precision = options.precision;
  engine_options.compact_codes = options.compact_codes;
  engine_options.layout = options.layout;
  engine_options.workers = std::move(workers);
  engine_ = std::make_unique<Engine>(std::vector<CompressedLayer>{std::move(layer)}, engine_options);
}

MatrixProduct::MatrixProduct(std::vector<float> weights, std::int64_t n, std::int64_t k, std::vector<float> bias)
    : n_(n), k_(k), weights_(std::move(weights)), bias_(std::move(bias)) {}

MatrixProduct::MatrixProduct(ModelEngineOptions::DenseProduct product, std::int64_t n, std::int64_t k)
    : n_(n), k_(k), dense_product_(std::move(product)) {}

MatrixProduct MatrixProduct::dense(const ModelEngineOptions& options, std::vector<float> weights, std::int64_t n,
                                   std::int64_t k, std::vector<float> bias) {
  if (options.dense_products) return MatrixProduct(options.dense_products(std::move(weights), n, k, std::move(bias)), n, k);
  return MatrixProduct(std::move(weights), n, k, std::move(bias));
}

void MatrixProduct::run(const float* x, float* y, std::int64_t m) {
  if (m == 0 || n_ == 0) return;
  if (dense_product_) return dense_product_(x, y, m);
  if (engine_) {
    for (std::int64_t row = 0; row < m; row += chunk_) {
      const std::int64_t rows = std::min(chunk_, m - row);
      engine_->run_batch(std::span(x + row * k_, static_cast<std::size_t>(rows * k_)),
                         std::span(y + row * n_, static_cast<std::size_t>(rows * n_)), rows);
    }
    return;
  }
  float beta = 0.0f;
  if (!bias_.empty()) {
    for (std::int64_t r = 0; r < m; ++r) std::copy(bias_.begin(), bias_.end(), y + r * n_);
    beta = 1.0f;
  }
  if (k_ == 0) {
    if (bias_.empty()) std::fill(y, y + m * n_, 0.0f);
    return;
  }
  if (m == 1) {  // one row: the matrix-vector product (what OpenBLAS does best for it)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n_), static_cast<int>(k_), 1.0f, weights_.data(),
                static_cast<int>(k_), x, 1, beta, y, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n_), static_cast<int>(k_),
              1.0f, x, static_cast<int>(k_), weights_.data(), static_cast<int>(k_), beta, y, static_cast<int>(n_));
}

std::string MatrixProduct::path() const {
  if (dense_product_) return fmt::format("dense {} x {} (ModelEngineOptions::dense_products)", n_, k_);
  if (!engine_) return fmt::format("dense OpenBLAS {} x {}", n_, k_);
  const LayerPlanInfo info = engine_->plan_info().front();
  return fmt::format("compressed {} x {}, {} entries, {}", n_, k_, info.entries, info.kernel);
}

std::string MatrixProduct::kernel() const {
  if (dense_product_) return "dense_products";
  if (!engine_) return "OpenBLAS";
  return engine_->plan_info().front().kernel_for(chunk_);
}

std::int64_t MatrixProduct::weight_bytes() const {
  if (dense_product_) return n_ * k_ * static_cast<std::int64_t>(sizeof(float));
  if (!engine_) return static_cast<std::int64_t>((weights_.size() + bias_.size()) * sizeof(float));
  return engine_->resident_bytes();
}

CompressedLayer slice_rows(const CompressedLayer& layer, std::int64_t begin, std::int64_t end) {
  CompressedLayer out;
  out.name = layer.name;
  out.rows = end - begin;
  out.cols = layer.cols;
  out.codebook = layer.codebook;
  out.provenance = layer.provenance;
  out.col_ptr.push_back(0);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    for (auto p = layer.col_ptr[static_cast<std::size_t>(j)]; p < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++p) {
      const std::int64_t r = layer.row_idx[p];
      if (r < begin || r >= end) continue;
      out.row_idx.push_back(static_cast<std::uint32_t>(r - begin));
      out.codes.push_back(layer.codes[p]);
    }
    out.col_ptr.push_back(static_cast<std::uint32_t>(out.row_idx.size()));
  }
  if (!layer.bias.empty()) out.bias.assign(layer.bias.begin() + begin, layer.bias.begin() + end);
  return out;
}

std::optional<CompressedLayer> concat_columns(const CompressedLayer& a, const CompressedLayer& b) {
  const bool zero = a.codebook.zero_reserved() && b.codebook.zero_reserved();
  std::vector<float> values;
  if (zero) values.push_back(0.0f);
  std::map<float, std::uint8_t> code_of;
  const auto remap = [&](const Codebook& codebook) {
    std::vector<std::uint8_t> map(codebook.size(), 0);
    for (std::size_t c = zero ? 1 : 0; c < codebook.size(); ++c) {
      const auto [it, added] = code_of.emplace(codebook[c], static_cast<std::uint8_t>(values.size()));
      if (added) values.push_back(codebook[c]);
      map[c] = it->second;
    }
    return map;
  };
  const std::vector<std::uint8_t> map_a = remap(a.codebook), map_b = remap(b.codebook);
  if (values.size() > 256) return std::nullopt;
  int bits = 1;
  while ((std::size_t{1} << bits) < values.size()) ++bits;
  CompressedLayer out;
  out.name = a.name + "+" + b.name;
  out.rows = a.rows;
  out.cols = a.cols + b.cols;
  out.codebook = Codebook(values, bits, zero);
  out.provenance = a.provenance;
  out.col_ptr = a.col_ptr;
  out.row_idx = a.row_idx;
  for (const std::uint8_t c : a.codes) out.codes.push_back(map_a[c]);
  for (std::size_t j = 1; j < b.col_ptr.size(); ++j) out.col_ptr.push_back(static_cast<std::uint32_t>(a.nnz()) + b.col_ptr[j]);
  out.row_idx.insert(out.row_idx.end(), b.row_idx.begin(), b.row_idx.end());
  for (const std::uint8_t c : b.codes) out.codes.push_back(map_b[c]);
  return out;
}

}  // namespace eie::network

#include "engine/network/step.h"

namespace eie::network {

MatrixProduct make_product(const StepContext& context, const std::string& name, WeightLayout layout,
                           std::int64_t row_begin, std::int64_t n, std::int64_t k, std::vector<float> bias,
                           std::int64_t max_rows) {
  const auto it = context.model.compressed.find(name);
  if (it != context.model.compressed.end() && it->second.layout == layout && it->second.layer.cols == k &&
      it->second.layer.rows >= row_begin + n) {
    CompressedLayer layer = row_begin == 0 && it->second.layer.rows == n ? it->second.layer
                                                                        : slice_rows(it->second.layer, row_begin, row_begin + n);
    layer.bias = std::move(bias);
    return MatrixProduct(std::move(layer), context.options, context.workers, max_rows);
  }
  const Tensor tensor = *context.model.constant(name);
  std::vector<float> matrix = weight_matrix(tensor, layout);
  const auto first = matrix.begin() + row_begin * k;
  return MatrixProduct::dense(context.options, std::vector<float>(first, first + n * k), n, k, std::move(bias));
}

}  // namespace eie::network
