// The contract between the engine's plan and its kernels: one row block of one column panel, batch-interleaved
// activations (x[col * batch + b], y[row * batch + b]), codes decoded through a zero-padded table. Kernels are
// named what__where (spmv_csr16__avx512): a sparse M x V / M x M over 16-bit column indices, for one ISA.
// Every kernel computes, for each row r of the block and each b < batch,
//   y[r][b] = (first ? 0 : y[r][b]) + sum_k table[codes[k]] * x[cols[k]][b]   (fp32, fused multiply-add)
// and, when `last`, adds bias[r] and applies the activation.
#pragma once

#include <cstdint>

#include "eie/engine.h"

namespace eie::engine {

struct SpmvArgs {
  const std::uint32_t* row_ptr = nullptr;  // rows + 1 offsets into cols / codes
  const std::uint16_t* cols = nullptr;     // column within the panel
  const std::uint8_t* codes = nullptr;     // codebook code
  std::int64_t rows = 0;
  const float* table = nullptr;            // table_size floats, 64-byte aligned; codes < table_size
  int table_size = 16;                     // 16, 32 or 256
  const float* x = nullptr;                // the panel's first column
  std::int64_t batch = 1;
  float* y = nullptr;                      // the block's first row
  const float* bias = nullptr;             // the block's first row's bias, or nullptr
  bool first = true;                       // overwrite y (else accumulate into it)
  bool last = true;                        // add bias and apply the activation
  Activation activation = Activation::none;
};

using SpmvKernel = void (*)(const SpmvArgs&);

// The sell16 layout of one row block (layer_plan.h): for each batch element b and each slice of 16 rows,
//   y[b][r] = sum over its layers of table[slot & 15] * x[b][16 * panel + (slot >> 4)] (masked lanes add nothing),
// then bias and activation. One pass covers every column. Activations are batch-major (x[b * x_stride + col],
// y[b * y_stride + row]); x rows should start on 64-byte boundaries (x_stride a multiple of 16) for speed.
struct SellArgs {
  const std::uint32_t* layer_ptr = nullptr;
  const std::uint8_t* slots = nullptr;
  const std::uint16_t* masks = nullptr;
  const std::uint16_t* panels = nullptr;
  const std::uint16_t* code_planes = nullptr;  // code_plane_count per layer (codebooks of 17-64 entries)
  int code_plane_count = 0;                // 0, 1 or 2
  std::int64_t rows = 0;                   // of the block; the last slice may be partial
  const float* table = nullptr;            // 16 << code_plane_count floats, 64-byte aligned
  const float* x = nullptr;                // the layer's input
  std::uint16_t x_tail_mask = 0xffff;      // lanes of the last panel inside the input
  float* y = nullptr;                      // the block's first row
  const float* bias = nullptr;             // the block's first row's bias, or nullptr
  Activation activation = Activation::none;
  std::int64_t batch = 1;
  std::int64_t x_stride = 0;               // floats between batch elements of x (batch > 1)
  std::int64_t y_stride = 0;               // floats between batch elements of y (batch > 1)
};

void spmv_sell16__avx512(const SellArgs& args);

void spmv_csr16__scalar(const SpmvArgs& args);
void spmv_csr16__avx2(const SpmvArgs& args);
void spmv_csr16__avx512(const SpmvArgs& args);

// The kernel of `isa` (not automatic). The caller has checked kernel_isa_available(isa).
SpmvKernel spmv_kernel(KernelIsa isa);

// Shared epilogue of the kernels: bias and activation on one finished value.
inline float finish(float value, const SpmvArgs& args, std::int64_t row) {
  if (args.bias != nullptr) value += args.bias[row];
  if (args.activation == Activation::relu) value = value > 0.0f ? value : (value == value ? 0.0f : value);
  return value;
}

}  // namespace eie::engine
