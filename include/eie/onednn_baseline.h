// eie/onednn_baseline.h: oneDNN's dense matmul as the baseline a user reaches for to speed up a layer on a CPU
// without a sparse runtime, in fp32 and in int8. Built only where CMake found oneDNN (libdnnl-dev); the build
// then defines EIE_HAVE_ONEDNN, and without it nothing here is compiled.
//
// OnednnBaseline: the layer decompressed to a dense matrix and run by one oneDNN matmul primitive, created once
// for one batch size and one thread count (oneDNN's OpenMP threads), with the weights reordered once into the
// layout the primitive chose (format_tag::any), as a user of oneDNN does. y = W x + bias, x: batch x cols,
// y: batch x rows, fp32 in and out.
// - fp32: f32 x f32 -> f32.
// - int8: the inputs and weights quantized as eie's int8 precision does (docs/engine.md, "int8 precision"),
//   with one scale for the whole batch (per-tensor) instead of eie's one per input: inputs without negative
//   values to u8 0..255 with step max / 255, else to s8 -127..127 with step max |x| / 127; the weights to s8
//   -127..127 with step max |w| / 127 (eie takes the codebook's largest), all rounded to nearest. On a CPU without
//   VNNI the weights take 7 bits instead, -63..63 (onednn_int8_weight_levels), as oneDNN advises: its kernels
//   there add pairs of u8 x s8 products in int16 (vpmaddubsw), which saturates unless 2 x 255 x |w| <= 32,767. Each run finds the inputs' range, quantizes them
//   with a oneDNN reorder and runs the u8 (or s8) x s8 -> s32 matmul (VNNI where the CPU has it), scaled back to
//   fp32 by the product of the two steps (a runtime output scale). An input with NaN or Inf has no scale: run
//   throws Error.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "eie/core.h"

namespace eie {

enum class OnednnPrecision { fp32, int8 };

// "onednn-fp32" or "onednn-int8": the implementation's name in `eie bench`'s JSON.
const char* onednn_impl_name(OnednnPrecision precision);

// The largest weight level of the int8 baseline: 127 where oneDNN runs VNNI (vpdpbusd: exact int32 sums),
// else 63.
int onednn_int8_weight_levels();

// Sets oneDNN's threads (its OpenMP runtime's) for the primitives executed from now on in this thread.
// Throws Error for < 1.
void set_onednn_threads(int threads);

class OnednnBaseline {
 public:
  // Creates the primitives for `batch` inputs at `threads` threads and reorders the weights. Throws Error for a
  // batch or thread count < 1.
  OnednnBaseline(const CompressedLayer& layer, OnednnPrecision precision, std::int64_t batch, int threads);
  // The same for a dense rows x cols matrix, rows first (bias: empty or rows values).
  OnednnBaseline(std::span<const float> weights, std::int64_t rows, std::int64_t cols, std::vector<float> bias,
                 OnednnPrecision precision, std::int64_t batch, int threads);
  ~OnednnBaseline();
  OnednnBaseline(OnednnBaseline&&) noexcept;
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  std::int64_t batch() const { return batch_; }
  int threads() const { return threads_; }
  std::int64_t bytes() const;  // the reordered weights
  // Sets this baseline's thread count (set_onednn_threads), then runs. Throws Error naming the argument when a
  // size does not match the batch it was created for, and (int8) when an input holds NaN or Inf.
  void run_batch(std::span<const float> x, std::span<float> y) const;

 private:
  struct Primitives;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  std::int64_t batch_ = 1;
  int threads_ = 1;
  std::unique_ptr<Primitives> p_;
};

}  // namespace eie
