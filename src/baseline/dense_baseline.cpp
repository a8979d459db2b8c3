#include <cblas.h>

#include <string>

#include "baseline/check_sizes.h"
#include "eie/baseline.h"

namespace eie {


DenseBaseline::DenseBaseline(const CompressedLayer& layer)
    : rows_(layer.rows), cols_(layer.cols), weights_(layer.to_dense()), bias_(layer.bias) {}

void DenseBaseline::run(std::span<const float> x, std::span<float> y) const {
  baseline::check_sizes("dense baseline", x, y, rows_, cols_, 1);
  if (bias_.empty()) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(rows_), static_cast<int>(cols_), 1.0f,
                weights_.data(), static_cast<int>(cols_), x.data(), 1, 0.0f, y.data(), 1);
  } else {
    std::copy(bias_.begin(), bias_.end(), y.begin());
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(rows_), static_cast<int>(cols_), 1.0f,
                weights_.data(), static_cast<int>(cols_), x.data(), 1, 1.0f, y.data(), 1);
  }
}

void DenseBaseline::run_batch(std::span<const float> x, std::span<float> y, std::int64_t batch) const {
  if (batch == 1) return run(x, y);
  baseline::check_sizes("dense baseline", x, y, rows_, cols_, batch);
  float beta = 0.0f;
  if (!bias_.empty()) {
    for (std::int64_t b = 0; b < batch; ++b) std::copy(bias_.begin(), bias_.end(), y.begin() + b * rows_);
    beta = 1.0f;
  }
  // Y (batch x rows) = X (batch x cols) * W^T.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(batch), static_cast<int>(rows_),
              static_cast<int>(cols_), 1.0f, x.data(), static_cast<int>(cols_), weights_.data(),
              static_cast<int>(cols_), beta, y.data(), static_cast<int>(rows_));
}

}  // namespace eie
