// What every CudaOperation shares: a synchronous run, and timing with CUDA events (eie/cuda.h says what the
// two numbers mean). Events time the GPU's clock, not the host's: "single" starts when the GPU reaches the
// start event on an idle stream, which it does while the host is still launching, so the host's launch work
// and the submission latency fall inside it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "cuda/check.h"
#include "cuda/resources.h"
#include "eie/cuda.h"

namespace eie {

void CudaOperation::run_batch(std::span<const float> x, std::span<float> y, std::int64_t batch) {
  upload(x, batch);
  enqueue();
  download(y);
}

namespace {

double percentile(std::vector<double>& v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

CudaTiming time_cuda_operation(CudaOperation& op, double budget_seconds, int min_runs, int group) {
  using cuda::check;
  using clock = std::chrono::steady_clock;
  if (!(budget_seconds > 0.0) || min_runs < 1 || group < 1) {
    throw Error("time_cuda_operation: budget, min_runs and group must be positive");
  }
  cudaStream_t stream = op.stream();
  const cuda::Event start, stop;
  const auto sync = [&] {
    const cudaError_t error = cudaEventSynchronize(stop.get());
    if (error != cudaSuccess) cuda::throw_cuda_error(error, "cudaEventSynchronize (after a timed run)");
  };
  const auto elapsed_us = [&] {
    float ms = 0.0f;
    check(cudaEventElapsedTime(&ms, start.get(), stop.get()), "cudaEventElapsedTime");
    return 1e3 * static_cast<double>(ms);
  };
  // Warm-up: first launches upload graphs and library kernels, and the clocks leave their idle state.
  const auto warm_start = clock::now();
  for (int i = 0; i < 5 || clock::now() - warm_start < std::chrono::duration<double>(budget_seconds / 10); ++i) {
    op.enqueue();
    check(cudaEventRecord(stop.get(), stream), "cudaEventRecord");
    sync();
  }
  const auto half = std::chrono::duration<double>(budget_seconds / 2);

  std::vector<double> single;
  auto t0 = clock::now();
  while (static_cast<int>(single.size()) < min_runs || (clock::now() - t0 < half && single.size() < 20000)) {
    check(cudaEventRecord(start.get(), stream), "cudaEventRecord");
    op.enqueue();
    check(cudaEventRecord(stop.get(), stream), "cudaEventRecord");
    sync();
    single.push_back(elapsed_us());
  }
  std::vector<double> pipelined;
  t0 = clock::now();
  while (static_cast<int>(pipelined.size()) < std::max(3, min_runs / 4) ||
         (clock::now() - t0 < half && pipelined.size() < 2000)) {
    check(cudaEventRecord(start.get(), stream), "cudaEventRecord");
    for (int i = 0; i < group; ++i) op.enqueue();
    check(cudaEventRecord(stop.get(), stream), "cudaEventRecord");
    sync();
    pipelined.push_back(elapsed_us() / group);
  }
  CudaTiming t;
  t.runs = static_cast<int>(single.size());
  t.median_us = percentile(single, 0.5);
  t.p99_us = percentile(single, 0.99);
  t.back_to_back_samples = static_cast<int>(pipelined.size());
  t.back_to_back_median_us = percentile(pipelined, 0.5);
  t.back_to_back_p99_us = percentile(pipelined, 0.99);
  t.group = group;
  return t;
}

}  // namespace eie
