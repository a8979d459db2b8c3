// The contract between the engine's plan and its kernels, one layout at a time: one row block (of one column
// panel), codes decoded through a zero-padded table. Kernels are named what__where (spmv_csr16__avx512): a
// sparse M x V (spmv, batch 1 or any batch) or M x M (spmm, batches) over one layout, for one ISA.
// csr16 (batch 1) computes, for each row r of the block,
//   y[r] = (first ? 0 : y[r]) + sum_k table[codes[k]] * x[cols[k]]   (fp32, fused multiply-add)
// and, when `last`, adds bias[r] and applies the activation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "eie/engine.h"

// The kernel files this build compiles (cmake/EieModule.cmake picks them by the target's processor).
#if defined(__x86_64__)
#define EIE_X86_KERNELS 1
#else
#define EIE_X86_KERNELS 0
#endif
#if defined(__aarch64__)
#define EIE_NEON_KERNELS 1
#else
#define EIE_NEON_KERNELS 0
#endif

namespace eie::engine {

struct SpmvArgs {
  const std::uint32_t* row_ptr = nullptr;  // rows + 1 offsets into cols / codes
  const std::uint16_t* cols = nullptr;     // column within the panel
  const std::uint8_t* codes = nullptr;     // codebook code
  std::int64_t rows = 0;
  const float* table = nullptr;            // table_size floats, 64-byte aligned; codes < table_size
  int table_size = 16;                     // 16, 32 or 256
  const float* x = nullptr;                // the panel's first column
  float* y = nullptr;                      // the block's first row
  const float* bias = nullptr;             // the block's first row's bias, or nullptr
  bool first = true;                       // overwrite y (else accumulate into it)
  bool last = true;                        // add bias and apply the activation
  Activation activation = Activation::none;
};

using SpmvKernel = void (*)(const SpmvArgs&);

// The sell16 layout of one row block (layer_plan.h): for each batch element b and each slice of 16 rows,
//   y[b][r] = sum over its tiers of table[slot & 15] * x[b][(window << window_shift) + (slot >> 4)] (masked lanes
//   add nothing),
// then bias and activation. Without masks (nullptr: a 16-entry table whose entry 0 is 0 and never stored) a
// lane is masked exactly when its slot's code is 0. One pass covers every column. Activations are batch-major (x[b * x_stride + col],
// y[b * y_stride + row]).
struct SellArgs {
  const std::uint32_t* layer_ptr = nullptr;
  const std::uint8_t* slots = nullptr;
  const std::uint16_t* masks = nullptr;        // nullptr: code 0 marks the lanes without an entry
  const std::uint16_t* windows = nullptr;      // per tier: its window's first column >> window_shift
  int window_shift = 0;                        // 0, or 4 for inputs over 65,551 columns
  const std::uint16_t* code_planes = nullptr;  // code_plane_count per tier (codebooks of 17-64 entries)
  int code_plane_count = 0;                // 0, 1 or 2
  std::int64_t rows = 0;                   // of the block; the last slice may be partial
  const float* table = nullptr;            // 16 << code_plane_count floats, 64-byte aligned
  const float* x = nullptr;                // the layer's input
  std::int64_t cols = 0;                   // of the input
  float* y = nullptr;                      // the block's first row
  const float* bias = nullptr;             // the block's first row's bias, or nullptr
  Activation activation = Activation::none;
  std::int64_t batch = 1;
  std::int64_t x_stride = 0;               // floats between batch elements of x (batch > 1)
  std::int64_t y_stride = 0;               // floats between batch elements of y (batch > 1)
  // sell16x2 only: the code of the padding slots (its table value is 0), and the caller's buffer of
  // min(batch, kSell16x2Chunk) * sell16x2_input_words(cols) 16-bit words, 64-byte aligned, for the inputs of a
  // chunk of the batch rounded to bf16.
  int pad_code = 0;
  std::uint16_t* x_bf16 = nullptr;
  // sell16x4 only: the tiers' codes (SellBlock::slot_codes: nibbles, or bytes where code_plane_count > 0), the
  // codebook in 8 bits (64 bytes, a 16-entry one four times over) and its scale, the block's rows' sums of 8-bit
  // weights, and the caller's buffer of min(batch, kSell16x4Chunk) * sell16x4_input_bytes(cols) bytes, 64-byte
  // aligned, for a chunk of quantized inputs.
  const std::uint8_t* slot_codes = nullptr;
  const std::int8_t* int8_table = nullptr;
  float weight_scale = 1.0f;
  const std::int32_t* row_weight_sums = nullptr;
  std::uint8_t* x_u8 = nullptr;
  // sell16x4c (LayoutId::sell16x4c): slots hold bits 0-1 of the code in bits 6-7, slot_codes 64 bytes per
  // group of four tiers of a slice with bits 2-3 (layer_plan.h).
  bool compact_codes = false;
};

using SellKernel = void (*)(const SellArgs&);
// The arguments of `a` for one of its inputs, x (and its output y): how an int8 kernel hands an input holding NaN
// or Inf to its fp32 counterpart.
inline SellArgs one_input_of(const SellArgs& a, const float* x, float* y) {
  SellArgs one = a;
  one.batch = 1;
  one.x = x;
  one.y = y;
  return one;
}

void spmv_sell16__avx512(const SellArgs& args);
void spmv_sell16__avx2(const SellArgs& args);  // codebooks of at most 16 entries
void spmv_sell16__neon(const SellArgs& args);
// Every ISA, codebooks of at most 64 entries: where an ISA has no sell16 kernel of its own and the layout is forced.
void spmv_sell16__scalar(const SellArgs& args);

// The sell16x2 layout (layer_plan.h), EngineOptions::precision bf16: each tier has 32 slots, lanes 2l and 2l + 1
// two entries of the slice's row l within the tier's window, no masks (the padding code decodes to 0), and for
// 32- or 64-entry tables code_plane_count 32-bit planes (two 16-bit words each, low first) with bit 4 (and 5) of
// each lane's code. For each batch element, the input and the table are rounded to bf16 (nearest even; denormals
// read as 0) and
//   y[b][r] = sum over its tiers of bf16(table[code]) * bf16(x[b][window + (slot >> 4)])   (both lanes),
// the products exact and summed in fp32 (vdpbf16ps), then bias and activation in fp32. NaN and Inf inputs
// propagate: the padding lanes never read an activation when the input is not finite.
void spmv_sell16x2__avx512bf16(const SellArgs& args);
// Every CPU (the scalar kernels, EngineOptions::kernel scalar): the same products, each activation rounded where
// it is read (x_bf16 unused).
void spmv_sell16x2__scalar(const SellArgs& args);
// The words of SellArgs::x_bf16 per input of `cols` columns: windows read up to 15 words past the last column, and
// the conversion writes whole vectors of 32 (so every input of a chunk starts on a cache line).
inline std::int64_t sell16x2_input_words(std::int64_t cols) { return (cols + 16 + 31) / 32 * 32; }
// The batch elements whose bf16 inputs the kernel holds at once, reading each slice's tiers once for all of them.
constexpr std::int64_t kSell16x2Chunk = 8;

// The sell16x4 layout (layer_plan.h), EngineOptions::precision int8, any batch: each tier has 64 byte slots,
// bytes 4l..4l+3 four entries of the slice's row l within the tier's window of kSell16x4Window columns. For each
// batch element the input is quantized, x ~ sx * (q - offset) with q in 0..255: offset 0 and sx = max / 255 when
// no value is negative, else offset 128 and sx = max |x| / 127; the table is w ~ sw * t with t in -127..127
// (SellArgs::weight_scale). Then
//   y[b][r] = sw * sx * (sum over its slots of t[code] * q[window + slot] - offset * row_weight_sums[r])
// exact in int32 before the one fp32 multiply, then bias and activation in fp32. An input holding NaN or Inf runs
// in fp32 over the same slots (as the reference, so they propagate).
void spmv_sell16x4__avx512vnni(const SellArgs& args);
constexpr int kSell16x4Window = 63;
constexpr std::uint8_t kSell16x4Pad = 63;  // the slot of padding: the window's 64th byte, which the kernel zeroes
// The bytes of SellArgs::x_u8 per input of `cols` columns: a window reads 64 bytes from any column, and every input of
// a chunk starts on a cache line.
inline std::int64_t sell16x4_input_bytes(std::int64_t cols) { return (cols + 64 + 63) / 64 * 64; }
// The batch elements whose quantized inputs the kernel holds at once: each tier is decoded once for all of them.
constexpr std::int64_t kSell16x4Chunk = 8;

// The sell16 layout in 8-bit arithmetic (AVX2), EngineOptions::precision int8 where the kernels are AVX2's, codebooks
// of at most 16 entries, inputs of at most 65,536 columns: the input quantized and the table in 8 bits exactly as
// for sell16x4 (SellArgs::int8_table's first 16 bytes, weight_scale, row_weight_sums), then
//   y[b][r] = sw * sx * (sum over its tiers of t[slot & 15] * q[window + (slot >> 4)] - offset * row_weight_sums[r])
// over the lanes that hold an entry, exact in int32 before the one fp32 multiply, then bias and activation in fp32.
// An input holding NaN or Inf runs on spmv_sell16__avx2 (fp32). x_u8: the caller's buffer of
// min(batch, kSell16i8Chunk) * sell16i8_input_bytes(cols) bytes for a chunk of quantized inputs.
void spmv_sell16i8__avx2(const SellArgs& args);
// Every CPU (EngineOptions::kernel scalar): the same quantization and exact int32 sums, so the same outputs.
void spmv_sell16i8__scalar(const SellArgs& args);
// A window reads 16 bytes from any column of the input; the quantization writes whole vectors of 32.
inline std::int64_t sell16i8_input_bytes(std::int64_t cols) { return (cols + 16 + 63) / 64 * 64; }
// The batch elements whose quantized inputs the kernel holds at once, decoding each pair of tiers once for them
// (more would spill its 16 ymm registers).
constexpr std::int64_t kSell16i8Chunk = 2;
// Whether this CPU runs the AVX-512 int8 kernel (sell16x4: AVX-512 VNNI and VBMI beside the avx512 kernels' features).
bool avx512_int8_available();

// The csc layout (layer_plan.h) of one row block, for batch 1: column-major, each entry one 16-bit word
// (row within the block << 4 | code: blocks of at most 4096 rows, codebooks of at most 16 entries) or one 32-bit
// word (row << 8 | code). Only the non-zero activations are visited, as on the EIE chip:
//   y[r] = sum over columns j with x[j] != 0 of table[code] * x[j] for the entries (r, code) of column j,
// then bias and activation. NaN and Inf activations are not zero, so they are visited and propagate.
struct CscArgs {
  const std::uint32_t* col_ptr = nullptr;   // cols + 1 offsets into the entries
  const std::uint16_t* entries16 = nullptr;  // one of the two is set
  const std::uint32_t* entries32 = nullptr;
  std::int64_t rows = 0;                     // of the block
  std::int64_t cols = 0;
  const float* table = nullptr;
  const float* x = nullptr;
  float* y = nullptr;                        // the block's first row
  const float* bias = nullptr;               // the block's first row's bias, or nullptr
  Activation activation = Activation::none;
};

// Plain C++ with no instruction-set flags: one scalar read-modify-write of the output per visited entry.
void spmv_csc__scalar(const CscArgs& args);
using CscKernel = void (*)(const CscArgs&);

// The tcsr layout (layer_plan.h) of one row block in one panel of at most 256 columns, for batches: activations
// column-major (x[col * batch + b], y[row * batch + b]), each entry one 16-bit word (code << 8 | column within
// the panel). For each row r and each b < batch,
//   y[r][b] = (first ? 0 : y[r][b]) + sum_k table[entries[k] >> 8] * x[entries[k] & 255][b]
// and, when `last`, bias and activation. A panel's activations (256 columns x up to 64 batch elements, 64 KB)
// stay in L1/L2 while the block's rows stream past them: one decoded weight, broadcast, meets 16 batch
// elements per FMA with no permute and no padding.
struct TcsrArgs {
  const std::uint32_t* row_ptr = nullptr;  // rows + 1 offsets into entries
  const std::uint16_t* entries = nullptr;  // code << 8 | column within the panel
  std::int64_t rows = 0;
  const float* table = nullptr;            // the codebook (codes < its size)
  const float* x = nullptr;                // the panel's first column
  std::int64_t batch = 2;
  float* y = nullptr;                      // the block's first row
  const float* bias = nullptr;             // the block's first row's bias, or nullptr
  bool first = true;
  bool last = true;
  Activation activation = Activation::none;
  // tcsrx2 (precision bf16) only: each row's entries in pairs instead of `entries`, row_ptr counting pairs.
  const std::uint32_t* pairs = nullptr;       // column1 | column2 << 8 | (code1 * table_entries + code2) << 16
  const std::uint32_t* pair_table = nullptr;  // per code pair: bf16(table[code1]) | bf16(table[code2]) << 16
  int table_entries = 16;                     // 16, 32 or 64
  int pad_code = 0;                           // code2 of a row's odd last entry (decodes to 0)
  std::int64_t cols = 0;                      // of the panel
  std::uint16_t* x_bf16 = nullptr;            // kTcsrx2Words words, 64-byte aligned: a chunk of the panel's input
};

using TcsrKernel = void (*)(const TcsrArgs&);

// The tcsrx2 layout (layer_plan.h), precision bf16: tcsr with a row's entries taken two at a time (a row's odd
// last entry paired with the padding code). Per chunk of up to 64 batch elements the panel's activations are
// rounded to bf16, and each pair's two columns are interleaved (vpunpcklwd / vpunpckhwd) so that one vdpbf16ps
// adds both entries' products for 16 batch elements:
//   y[r][b] = (first ? 0 : y[r][b]) + sum over pairs of bf16(w1) * bf16(x[c1][b]) + bf16(w2) * bf16(x[c2][b]),
// then bias and activation in fp32. NaN and Inf propagate as in the reference (a chunk holding one runs a scalar
// loop that skips the padding).
void spmm_tcsrx2__avx512bf16(const TcsrArgs& args);
void spmm_tcsrx2__scalar(const TcsrArgs& args);  // every CPU, as spmv_sell16x2__scalar
// The words of TcsrArgs::x_bf16: 256 columns x 64 batch elements.
constexpr std::int64_t kTcsrx2Words = 256 * 64;

void spmm_tcsr__scalar(const TcsrArgs& args);
void spmm_tcsr__avx2(const TcsrArgs& args);
void spmm_tcsr__avx512(const TcsrArgs& args);
void spmm_tcsr__neon(const TcsrArgs& args);

// out[c * out_stride + r] = in[r * in_stride + c] for r < rows, c < cols: activations between the batch-major
// form of the caller and sell16 and the column-major form of tcsr (AVX-512 moves 16 x 16 blocks in registers).
void transpose__scalar(const float* in, std::int64_t in_stride, float* out, std::int64_t out_stride,
                       std::int64_t rows, std::int64_t cols);
void transpose__avx512(const float* in, std::int64_t in_stride, float* out, std::int64_t out_stride,
                       std::int64_t rows, std::int64_t cols);
using TransposeKernel = void (*)(const float*, std::int64_t, float*, std::int64_t, std::int64_t, std::int64_t);
TransposeKernel transpose_kernel(KernelIsa isa);

void spmv_csr16__scalar(const SpmvArgs& args);
void spmv_csr16__avx2(const SpmvArgs& args);
void spmv_csr16__avx512(const SpmvArgs& args);

// The stored layouts, one row each of the layout table (engine/layouts.h); sell16x4c is sell16x4 with compact codes.
enum class LayoutId { csr16, sell16, sell16i8, sell16x2, sell16x4, sell16x4c, tcsr, tcsrx2, csc };

// One kernel of the list in dispatch.cpp (in the style of XNNPACK's kernel lists): the function that runs a layout
// on one ISA, for codebooks of at most max_codebook entries. Exactly one of the four pointers is set, the one of
// its layout's arguments. Its name in plans is the layout's stem, the codebook's table and `file`, the suffix of
// the file that defines it (spmv_sell16x4_cb16__avx512vnni).
struct KernelEntry {
  LayoutId layout = LayoutId::csr16;
  KernelIsa isa = KernelIsa::scalar;  // the EngineOptions::kernel it serves
  const char* file = "scalar";
  int max_codebook = 256;
  SpmvKernel spmv = nullptr;
  SellKernel sell = nullptr;
  TcsrKernel tcsr = nullptr;
  CscKernel csc = nullptr;
};

// The kernel of `layout` that `isa` itself has for a codebook of `codebook` entries, or nullptr where this binary
// has none (the scalar kernels are the scalar ISA's own).
const KernelEntry* own_kernel(LayoutId layout, KernelIsa isa, std::size_t codebook);
// own_kernel, else the portable (scalar) one, else nullptr: what a layout runs on an ISA without a kernel of its own.
const KernelEntry* kernel_or_portable(LayoutId layout, KernelIsa isa, std::size_t codebook);

// Shared epilogue of the kernels: bias and activation on one finished value.
template <class Args>
inline float finish(float value, const Args& args, std::int64_t row) {
  if (args.bias != nullptr) value += args.bias[row];
  if (args.activation == Activation::relu) value = value > 0.0f ? value : (value == value ? 0.0f : value);
  return value;
}

}  // namespace eie::engine
