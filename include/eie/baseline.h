// eie/baseline.h: the peers the engine is measured against, run in the same process on the same layer.
//
// DenseBaseline: the layer decompressed to a row-major fp32 matrix, multiplied with OpenBLAS (cblas_sgemv at
// batch 1, cblas_sgemm for a batch): what a user without a sparse runtime runs. CsrBaseline: the pruned layer
// with its codebook values substituted, in an Eigen row-major SparseMatrix<float> (CSR with fp32 values and
// 32-bit indices): the paper's MKL CSRMV role. Both compute y = W x + bias with no activation; both take a
// batch as inputs stored one after another (x: batch x cols) and write batch x rows.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "eie/core.h"

namespace eie {

// Threads for both libraries (OpenBLAS's pool and Eigen's OpenMP parallel SpMV/SpMM). Throws Error for < 1.
void set_baseline_threads(int threads);

// The kernels OpenBLAS runs (its core name, e.g. "Haswell", "SkylakeX", "Prescott"). OpenBLAS chooses them from the
// CPU's model when it is loaded; a version that does not know the model (Debian 12's 0.3.21 on Intel's Emerald
// Rapids, model 207) runs its generic SSE3 "Prescott" kernels (a GPT decode step's dense layers took 2x as long
// there as on its AVX-512 ones), and a dense baseline on them would flatter eie. OPENBLAS_CORETYPE, read when the
// library loads, overrides the choice.
std::string openblas_core();

// The OPENBLAS_CORETYPE that gives this CPU the OpenBLAS kernels its instructions allow ("SkylakeX" with AVX-512,
// "Haswell" with AVX2 and FMA), or nullptr when OpenBLAS chose such kernels itself, OPENBLAS_CORETYPE is already
// set, or the CPU has neither. The `eie` command restarts itself with it (tools/eie/main.cpp).
const char* openblas_core_this_cpu_needs();

class DenseBaseline {
 public:
  explicit DenseBaseline(const CompressedLayer& layer);
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  std::int64_t bytes() const { return static_cast<std::int64_t>(weights_.size() * sizeof(float)); }
  // Throws Error naming the argument when a size does not match.
  void run(std::span<const float> x, std::span<float> y) const;
  void run_batch(std::span<const float> x, std::span<float> y, std::int64_t batch) const;

 private:
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  std::vector<float> weights_;  // row-major rows x cols
  std::vector<float> bias_;
};

class CsrBaseline {
 public:
  explicit CsrBaseline(const CompressedLayer& layer);
  ~CsrBaseline();
  CsrBaseline(CsrBaseline&&) noexcept;
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  std::int64_t bytes() const;  // values + inner indices + outer pointers
  void run(std::span<const float> x, std::span<float> y) const;
  void run_batch(std::span<const float> x, std::span<float> y, std::int64_t batch) const;

 private:
  struct Matrix;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  std::unique_ptr<Matrix> matrix_;
  std::vector<float> bias_;
};

}  // namespace eie
