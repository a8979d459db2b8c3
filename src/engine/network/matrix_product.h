// The one matrix product every weighted node of a network reduces to: Y (m x n) = X (m x k) W^T + bias, W the
// node's constant weight as a rows-first n x k matrix. A compressed weight runs through an Engine (one layer,
// no activation, m split into batches of at most max_batch, on the network's shared worker threads); a dense one
// through OpenBLAS's sgemm.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eie/engine.h"

namespace eie::network {

class MatrixProduct {
 public:
  // `workers`: the threads every compressed product of the network shares (null for one thread).
  MatrixProduct(CompressedLayer layer, const ModelEngineOptions& options, std::shared_ptr<WorkerThreads> workers,
                std::int64_t max_rows);
  MatrixProduct(std::vector<float> weights, std::int64_t n, std::int64_t k, std::vector<float> bias);
  // A dense product run by ModelEngineOptions::dense_products.
  MatrixProduct(ModelEngineOptions::DenseProduct product, std::int64_t n, std::int64_t k);
  // A dense weight's product: through options.dense_products when set, else OpenBLAS.
  static MatrixProduct dense(const ModelEngineOptions& options, std::vector<float> weights, std::int64_t n,
                             std::int64_t k, std::vector<float> bias);
  std::int64_t n() const { return n_; }
  std::int64_t k() const { return k_; }
  void run(const float* x, float* y, std::int64_t m);
  std::string path() const;
  std::string kernel() const;        // NodePlanInfo::kernel
  std::int64_t weight_bytes() const;  // NodePlanInfo::weight_bytes

 private:
  std::int64_t n_ = 0, k_ = 0;
  std::unique_ptr<Engine> engine_;
  std::int64_t chunk_ = 1;
  std::vector<float> weights_, bias_;
  ModelEngineOptions::DenseProduct dense_product_;
};

// Rows [begin, end) of a layer (a group of a grouped convolution, a direction of an LSTM).
CompressedLayer slice_rows(const CompressedLayer& layer, std::int64_t begin, std::int64_t end);
// [a b]: the columns of b after those of a, one codebook holding both (nullopt when the union needs more than
// 256 entries). Used to run an LSTM step as one product over [x, h].
std::optional<CompressedLayer> concat_columns(const CompressedLayer& a, const CompressedLayer& b);

}  // namespace eie::network
