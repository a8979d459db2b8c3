// `eie bench --device cuda`: the layers of a suite or a model on the GPU, eie's CUDA kernels against cuBLAS
// (fp32 and fp16) and cuSPARSE, in one process. Exists only in builds with the cuda module (EIE_HAVE_CUDA).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layer_bench.h"

namespace eie::cli {

struct CudaBenchOptions {
  std::vector<std::int64_t> batches;
  double budget = 0.3;         // seconds of timed runs per implementation and batch
  std::string json;            // also write the results here when not empty
  std::string command_line;
  std::string title;           // "--suite eie-paper" or the model's path
};

// Throws Error (one line naming the CUDA call) when there is no usable GPU.
void run_cuda_bench(const std::vector<BenchLayer>& layers, const CudaBenchOptions& options);

}  // namespace eie::cli
