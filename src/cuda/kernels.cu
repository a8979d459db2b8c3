// The GPU engine's kernels. Two ideas from EIE carried to a GPU, one per batch regime:
//
// Batch 1 (M x V): the cost should follow the non-zero activations, as in the chip. list_activations is the
// leading-non-zero detection: each warp ballots 32 activations and appends the non-zero ones (column, value)
// to a list with one atomic per warp; it also sets the output to the bias. scatter_columns then gives each
// listed column to one warp, whose lanes walk the column's entries (row << 8 | code, 4 bytes) and add
// table[code] * value into y[row] with a global atomic add (RED, resolved in L2). The rows of one column are
// distinct, so a warp's 32 adds never collide; different columns may hit one row, which the atomics serialise.
// Columns of zero activations are never read. The atomics make the summation order vary between runs; the
// result stays within the engine's error bound (docs/engine.md), which holds for any order.
//
// Batch > 1 (M x M): a block owns 32 rows and 64 batch elements. The weights are row-major and cut into
// panels of 128 columns (16 bits per entry: column in panel << 8 | code). For each panel the block stages the
// 128 x 64 activations in shared memory (feature-major, so one column's 64 values are 64 consecutive floats),
// then each warp walks its rows' entries of that panel: 32 entries loaded at once, broadcast with a shuffle,
// decoded once from the shared table and applied to 64 batch elements (two per lane, conflict-free shared
// reads). A panel whose 128 x 64 activations are all zero is skipped. Bias and activation are applied in the
// epilogue, where every row of the block is final.
#include <cuda_fp16.h>

#include "cuda/kernels.h"

namespace eie::cuda {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kThreads = 256;
static_assert(kThreads == 32 * kWarpsPerBlock, "the M x M kernel is written for 8 warps per block");
static_assert(kBatchTile == 64, "the M x M kernel gives each lane two batch elements");

// ReLU that keeps NaN (NaN < 0 is false), as the CPU engine does.
__device__ __forceinline__ float relu(float v) { return v < 0.0f ? 0.0f : v; }

__global__ void __launch_bounds__(kThreads)
list_activations_kernel(const float* __restrict__ x, int n_in, bool relu_in, ActivationEntry* __restrict__ list,
                        unsigned* __restrict__ count, float* __restrict__ y, const float* __restrict__ bias,
                        int n_out) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const unsigned lane = threadIdx.x & 31u;
  float v = 0.0f;
  if (i < n_in) {
    v = x[i];
    if (relu_in) v = relu(v);
  }
  const bool nonzero = i < n_in && v != 0.0f;  // NaN != 0: a NaN activation is listed and propagates
  const unsigned mask = __ballot_sync(kFullMask, nonzero);
  unsigned base = 0;
  if (lane == 0 && mask != 0) base = atomicAdd(count, static_cast<unsigned>(__popc(mask)));
  base = __shfl_sync(kFullMask, base, 0);
  if (nonzero) list[base + static_cast<unsigned>(__popc(mask & ((1u << lane) - 1u)))] = ActivationEntry{i, v};
  if (i < n_out) y[i] = bias != nullptr ? bias[i] : 0.0f;
}

__global__ void __launch_bounds__(kThreads)
scatter_columns_kernel(DeviceLayer layer, const ActivationEntry* __restrict__ list,
                       const unsigned* __restrict__ count, float* __restrict__ y) {
  __shared__ float table[kTableSize];
  for (int k = static_cast<int>(threadIdx.x); k < kTableSize; k += kThreads) table[k] = layer.table[k];
  __syncthreads();
  const unsigned n = *count;
  const unsigned lane = threadIdx.x & 31u;
  const unsigned warps = gridDim.x * kWarpsPerBlock;
  for (unsigned k = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32u; k < n; k += warps) {
    const ActivationEntry a = list[k];
    const unsigned end = layer.col_ptr[a.column + 1];
    for (unsigned e = layer.col_ptr[a.column] + lane; e < end; e += 32u) {
      const unsigned packed = layer.csc[e];
      atomicAdd(&y[packed >> 8], table[packed & 0xffu] * a.value);  // result unused: compiles to RED
    }
  }
}

__global__ void relu_kernel(float* __restrict__ y, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) y[i] = relu(y[i]);
}

__global__ void __launch_bounds__(kThreads)
spmm_panels_kernel(DeviceLayer layer, const float* __restrict__ xT, float* __restrict__ yT, int ld,
                   const int* __restrict__ batch, bool relu_out) {
  __shared__ float table[kTableSize];
  __shared__ __align__(16) float xs[kPanelCols * kBatchTile];
  const int tile0 = static_cast<int>(blockIdx.y) * kBatchTile;
  if (tile0 >= *batch) return;  // the whole block: a tile beyond this run's batch
  for (int k = static_cast<int>(threadIdx.x); k < kTableSize; k += kThreads) table[k] = layer.table[k];
  const int lane = static_cast<int>(threadIdx.x & 31u);
  const int first_row = static_cast<int>(blockIdx.x) * kRowsPerBlock + static_cast<int>(threadIdx.x / 32u) * kRowsPerWarp;
  float acc[kRowsPerWarp][2];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) acc[i][0] = acc[i][1] = 0.0f;

  // Each thread stages kLoads float4 of a panel. The next panel's loads are issued before the current panel's
  // arithmetic and land in registers meanwhile (software pipelining), so their L2 latency is hidden.
  constexpr int kVectorsPerColumn = kBatchTile / 4;
  constexpr int kLoads = kPanelCols * kVectorsPerColumn / kThreads;
  static_assert(kLoads * kThreads == kPanelCols * kVectorsPerColumn, "a panel is a whole number of loads per thread");
  float4 staged[kLoads];
  const auto load_panel = [&](int p) {
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const int k = static_cast<int>(threadIdx.x) + u * kThreads;
      const int col = p * kPanelCols + k / kVectorsPerColumn;
      staged[u] = col < layer.cols
                      ? reinterpret_cast<const float4*>(xT + static_cast<size_t>(col) * ld + tile0)[k % kVectorsPerColumn]
                      : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    }
  };
  load_panel(0);
  for (int p = 0; p < layer.panels; ++p) {
    __syncthreads();  // every warp is done reading the previous panel (and the table is in, on the first pass)
    bool any = false;
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const float4 v = staged[u];
      reinterpret_cast<float4*>(xs)[static_cast<int>(threadIdx.x) + u * kThreads] = v;
      any = any || v.x != 0.0f || v.y != 0.0f || v.z != 0.0f || v.w != 0.0f;
    }
    if (p + 1 < layer.panels) load_panel(p + 1);
    if (__syncthreads_or(any) == 0) continue;  // all-zero activations: this panel's weights add nothing

#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int row = first_row + i;
      if (row >= layer.rows) continue;  // uniform over the warp
      const size_t at = static_cast<size_t>(row) * static_cast<size_t>(layer.panels) + static_cast<size_t>(p);
      const unsigned begin = layer.panel_ptr[at];
      const unsigned end = layer.panel_ptr[at + 1];
      for (unsigned base = begin; base < end; base += 32u) {
        const unsigned mine = base + static_cast<unsigned>(lane) < end ? layer.panel_entries[base + lane] : 0u;
        const int n = static_cast<int>(min(32u, end - base));
        for (int k = 0; k < n; ++k) {
          const unsigned e = __shfl_sync(kFullMask, mine, k);
          const float w = table[e & 0xffu];
          const float* column = xs + (e >> 8) * kBatchTile;
          acc[i][0] = fmaf(w, column[lane], acc[i][0]);
          acc[i][1] = fmaf(w, column[lane + 32], acc[i][1]);
        }
      }
    }
  }

#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int row = first_row + i;
    if (row >= layer.rows) continue;
    const float b = layer.bias != nullptr ? layer.bias[row] : 0.0f;
    float v0 = acc[i][0] + b;
    float v1 = acc[i][1] + b;
    if (relu_out) {
      v0 = relu(v0);
      v1 = relu(v1);
    }
    float* out = yT + static_cast<size_t>(row) * ld + tile0;
    out[lane] = v0;
    out[lane + 32] = v1;
  }
}

// 32 x 32 tiles through shared memory (padded to 33 columns against bank conflicts), so that both the read
// and the write are coalesced.
__global__ void to_feature_major_kernel(const float* __restrict__ x, float* __restrict__ xT, int n, int ld,
                                        const int* __restrict__ batch) {
  __shared__ float tile[32][33];
  const int nb = *batch;
  const int b0 = static_cast<int>(blockIdx.y) * 32;
  const int f0 = static_cast<int>(blockIdx.x) * 32;
  if (b0 >= nb) return;
  const int tx = static_cast<int>(threadIdx.x);
  for (int j = static_cast<int>(threadIdx.y); j < 32; j += static_cast<int>(blockDim.y)) {
    const int b = b0 + j;
    const int f = f0 + tx;
    tile[j][tx] = (b < nb && f < n) ? x[static_cast<size_t>(b) * n + f] : 0.0f;
  }
  __syncthreads();
  for (int j = static_cast<int>(threadIdx.y); j < 32; j += static_cast<int>(blockDim.y)) {
    const int f = f0 + j;
    if (f < n) xT[static_cast<size_t>(f) * ld + b0 + tx] = tile[tx][j];  // b0 + tx < ld: ld >= max_batch rounded to 64
  }
}

__global__ void to_batch_major_kernel(const float* __restrict__ yT, float* __restrict__ y, int n, int ld,
                                      const int* __restrict__ batch) {
  __shared__ float tile[32][33];
  const int nb = *batch;
  const int b0 = static_cast<int>(blockIdx.y) * 32;
  const int f0 = static_cast<int>(blockIdx.x) * 32;
  if (b0 >= nb) return;
  const int tx = static_cast<int>(threadIdx.x);
  for (int j = static_cast<int>(threadIdx.y); j < 32; j += static_cast<int>(blockDim.y)) {
    const int f = f0 + j;
    tile[j][tx] = (f < n) ? yT[static_cast<size_t>(f) * ld + b0 + tx] : 0.0f;
  }
  __syncthreads();
  for (int j = static_cast<int>(threadIdx.y); j < 32; j += static_cast<int>(blockDim.y)) {
    const int b = b0 + j;
    const int f = f0 + tx;
    if (b < nb && f < n) y[static_cast<size_t>(b) * n + f] = tile[tx][j];
  }
}

__global__ void to_half_kernel(const float* __restrict__ in, __half* __restrict__ out, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    out[i] = __float2half_rn(in[i]);
  }
}

__global__ void clock_probe_kernel(long long* out, long long cycles) {
  long long t0 = 0;
  long long t1 = 0;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  const long long c0 = clock64();
  long long c = c0;
  while (c - c0 < cycles) c = clock64();
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t1));
  out[0] = c - c0;
  out[1] = t1 - t0;
}

unsigned blocks_for(long long n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

}  // namespace

cudaError_t launch_list_activations(const float* x, int n_in, bool relu_in, ActivationEntry* list,
                                    unsigned* count, float* y, const float* bias, int n_out, cudaStream_t stream) {
  const int n = n_in > n_out ? n_in : n_out;
  list_activations_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(x, n_in, relu_in, list, count, y, bias,
                                                                              n_out);
  return cudaGetLastError();
}

cudaError_t launch_scatter_columns(const DeviceLayer& layer, const ActivationEntry* list, const unsigned* count,
                                   float* y, int blocks, cudaStream_t stream) {
  scatter_columns_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(layer, list, count, y);
  return cudaGetLastError();
}

cudaError_t launch_relu(float* y, int n, cudaStream_t stream) {
  relu_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(y, n);
  return cudaGetLastError();
}

cudaError_t launch_spmm_panels(const DeviceLayer& layer, const float* xT, float* yT, int ld, int tiles,
                               const int* batch, bool relu, cudaStream_t stream) {
  const dim3 grid(blocks_for(layer.rows, kRowsPerBlock), static_cast<unsigned>(tiles));
  spmm_panels_kernel<<<grid, kThreads, 0, stream>>>(layer, xT, yT, ld, batch, relu);
  return cudaGetLastError();
}

cudaError_t launch_to_feature_major(const float* x, float* xT, int n, int ld, int max_batch, const int* batch,
                                    cudaStream_t stream) {
  const dim3 grid(blocks_for(n, 32), blocks_for(max_batch, 32));
  to_feature_major_kernel<<<grid, dim3(32, 8), 0, stream>>>(x, xT, n, ld, batch);
  return cudaGetLastError();
}

cudaError_t launch_to_batch_major(const float* yT, float* y, int n, int ld, int max_batch, const int* batch,
                                  cudaStream_t stream) {
  const dim3 grid(blocks_for(n, 32), blocks_for(max_batch, 32));
  to_batch_major_kernel<<<grid, dim3(32, 8), 0, stream>>>(yT, y, n, ld, batch);
  return cudaGetLastError();
}

cudaError_t launch_to_half(const float* in, void* out, std::size_t n, cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>(n / kThreads + 1 < 65536 ? n / kThreads + 1 : 65536);
  to_half_kernel<<<blocks, kThreads, 0, stream>>>(in, static_cast<__half*>(out), n);
  return cudaGetLastError();
}

cudaError_t launch_clock_probe(long long* out, long long cycles, cudaStream_t stream) {
  clock_probe_kernel<<<1, 1, 0, stream>>>(out, cycles);
  return cudaGetLastError();
}

}  // namespace eie::cuda
