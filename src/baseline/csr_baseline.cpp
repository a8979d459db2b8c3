#include <cblas.h>

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <string>
#include <vector>

#include "baseline/check_sizes.h"
#include "eie/baseline.h"

namespace eie {

struct CsrBaseline::Matrix {
  Eigen::SparseMatrix<float, Eigen::RowMajor, int> w;
};

void set_baseline_threads(int threads) {
  if (threads < 1) throw Error("baseline: threads = " + std::to_string(threads) + " must be at least 1");
  openblas_set_num_threads(threads);
  Eigen::setNbThreads(threads);
}

CsrBaseline::CsrBaseline(const CompressedLayer& layer)
    : rows_(layer.rows), cols_(layer.cols), matrix_(std::make_unique<Matrix>()), bias_(layer.bias) {
  std::vector<Eigen::Triplet<float, int>> triplets;
  triplets.reserve(layer.row_idx.size());
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    for (std::uint32_t k = layer.col_ptr[static_cast<std::size_t>(j)];
         k < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
      triplets.emplace_back(static_cast<int>(layer.row_idx[k]), static_cast<int>(j),
                            layer.codebook[layer.codes[k]]);
    }
  }
  matrix_->w.resize(static_cast<Eigen::Index>(rows_), static_cast<Eigen::Index>(cols_));
  matrix_->w.setFromTriplets(triplets.begin(), triplets.end());
  matrix_->w.makeCompressed();
}

CsrBaseline::~CsrBaseline() = default;
CsrBaseline::CsrBaseline(CsrBaseline&&) noexcept = default;

std::int64_t CsrBaseline::bytes() const {
  const auto nnz = static_cast<std::int64_t>(matrix_->w.nonZeros());
  return nnz * static_cast<std::int64_t>(sizeof(float) + sizeof(int)) + (rows_ + 1) * static_cast<std::int64_t>(sizeof(int));
}

void CsrBaseline::run(std::span<const float> x, std::span<float> y) const { run_batch(x, y, 1); }

void CsrBaseline::run_batch(std::span<const float> x, std::span<float> y, std::int64_t batch) const {
  baseline::check_sizes("CSR baseline", x, y, rows_, cols_, batch);
  const Eigen::Map<const Eigen::MatrixXf> in(x.data(), static_cast<Eigen::Index>(cols_),
                                             static_cast<Eigen::Index>(batch));
  Eigen::Map<Eigen::MatrixXf> out(y.data(), static_cast<Eigen::Index>(rows_), static_cast<Eigen::Index>(batch));
  out.noalias() = matrix_->w * in;
  if (!bias_.empty()) {
    const Eigen::Map<const Eigen::VectorXf> bias(bias_.data(), static_cast<Eigen::Index>(rows_));
    out.colwise() += bias;
  }
}

}  // namespace eie
