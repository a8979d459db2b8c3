// The engine's GPU kernels (kernels.cu) behind plain host launchers, so that the C++ side needs no CUDA
// compiler. Each launcher enqueues on `stream` and returns cudaGetLastError() for the caller to check().
// The layouts the kernels read are built by layout.cpp; docs/engine.md ("GPU") describes both.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace eie::cuda {

// Batch elements per M x M block (two per lane of a warp), and columns per panel of the M x M layout.
inline constexpr int kBatchTile = 64;
inline constexpr int kPanelCols = 128;
// Rows per M x M block: 8 warps of 4 rows each.
inline constexpr int kRowsPerWarp = 4;
inline constexpr int kWarpsPerBlock = 8;
inline constexpr int kRowsPerBlock = kRowsPerWarp * kWarpsPerBlock;
// Codebook table entries in shared memory (codes are 8 bits; unused entries are zero).
inline constexpr int kTableSize = 256;

// One non-zero activation of a batch-1 input: its column and value (EIE's activation queue entry).
struct ActivationEntry {
  std::int32_t column;
  float value;
};

// Device pointers of one planned layer.
struct DeviceLayer {
  int rows = 0;
  int cols = 0;
  int panels = 0;                                   // ceil(cols / kPanelCols)
  const std::uint32_t* col_ptr = nullptr;           // batch 1: cols + 1 offsets into csc
  const std::uint32_t* csc = nullptr;               // batch 1: row << 8 | code, column by column
  const std::uint32_t* panel_ptr = nullptr;         // batch > 1: rows * panels + 1 offsets into panel_entries
  const std::uint16_t* panel_entries = nullptr;     // batch > 1: (column % kPanelCols) << 8 | code, row by row
  const float* table = nullptr;                     // kTableSize floats
  const float* bias = nullptr;                      // rows floats, or null
};

// Batch 1, step 1: lists the non-zero entries of x (n_in floats; ReLU applied first when relu_in) into
// `list`, counting them in *count (which must be zero before), and sets y (n_out floats) to the bias (or 0).
cudaError_t launch_list_activations(const float* x, int n_in, bool relu_in, ActivationEntry* list,
                                    unsigned* count, float* y, const float* bias, int n_out, cudaStream_t stream);
// Batch 1, step 2: y[row] += table[code] * value for every entry of every listed column. `blocks` warps
// of 8 share out the list.
cudaError_t launch_scatter_columns(const DeviceLayer& layer, const ActivationEntry* list, const unsigned* count,
                                   float* y, int blocks, cudaStream_t stream);
// y[i] = max(y[i], 0) for i < n, NaN kept.
cudaError_t launch_relu(float* y, int n, cudaStream_t stream);

// Batch > 1: yT = act(W xT + bias) in feature-major form (element [feature][b] at feature * ld + b), for the
// batch elements of the tiles below *batch (tiles of kBatchTile; grid sized for `tiles`).
cudaError_t launch_spmm_panels(const DeviceLayer& layer, const float* xT, float* yT, int ld, int tiles,
                               const int* batch, bool relu, cudaStream_t stream);
// Batch-major x (*batch rows of n floats) to feature-major xT (n rows of ld floats), and back. Grids are
// sized for max_batch; blocks beyond *batch return at once.
cudaError_t launch_to_feature_major(const float* x, float* xT, int n, int ld, int max_batch, const int* batch,
                                    cudaStream_t stream);
cudaError_t launch_to_batch_major(const float* yT, float* y, int n, int ld, int max_batch, const int* batch,
                                  cudaStream_t stream);

// fp32 to fp16 (round to nearest even), n elements; `out` points to n __half.
cudaError_t launch_to_half(const float* in, void* out, std::size_t n, cudaStream_t stream);

// One thread spins ~`cycles` SM cycles; out[0] = clock64() cycles elapsed, out[1] = %globaltimer ns elapsed.
cudaError_t launch_clock_probe(long long* out, long long cycles, cudaStream_t stream);

}  // namespace eie::cuda
