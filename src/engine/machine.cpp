// What the benchmarks say about the machine they ran on: the core clock (measured, not the nominal one a VM
// reports) and the read bandwidth at a given footprint (so a layer's effective bandwidth is compared with the
// cache level it actually lives in).
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/thread_pool.h"
#include "eie/engine.h"

#include "engine/kernels/kernel.h"

namespace eie {
namespace engine {
float read_stream__avx512(const float* data, std::size_t count);
float read_stream__scalar(const float* data, std::size_t count);
}  // namespace engine

double measure_core_ghz() {
  double best = 0.0;
  for (int trial = 0; trial < 5; ++trial) {
    const long n = 20'000'000;
    long x = 0;
    const long one = 1;
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      // Four dependent one-cycle adds of a register per iteration: the chain runs at one add per cycle. Not of an
      // immediate: Intel's cores since Golden Cove fold chains of immediate adds at rename, ~2.7 per cycle.
#if defined(__aarch64__)
      asm volatile("add %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1" : "+r"(x) : "r"(one));
#else
      asm volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0" : "+r"(x) : "r"(one));
#endif
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 4.0 * static_cast<double>(n) / ns);
  }
  return best;
}

namespace {
struct StreamTask {
  const float* data;
  std::size_t per_thread;
  bool avx512;
  float sink[256];
};
void stream_part(void* context, std::size_t i) {
  auto& t = *static_cast<StreamTask*>(context);
  const float* p = t.data + i * t.per_thread;
#if EIE_X86_KERNELS
  if (t.avx512) {
    t.sink[i] += engine::read_stream__avx512(p, t.per_thread);
    return;
  }
#endif
  t.sink[i] += engine::read_stream__scalar(p, t.per_thread);
}
}  // namespace

double measure_read_bandwidth(std::int64_t bytes, int threads) {
  if (threads < 1 || threads > EngineOptions::max_threads) {
    throw Error("read bandwidth: threads = " + std::to_string(threads) + " is outside 1.." +
                std::to_string(EngineOptions::max_threads));
  }
  const auto count = static_cast<std::size_t>(std::max<std::int64_t>(bytes / 4, 64 * threads));
  std::vector<float> data(count, 1.0f);
  engine::ThreadPool pool(threads);
  StreamTask task{data.data(), count / static_cast<std::size_t>(threads), kernel_isa_available(KernelIsa::avx512), {}};
  std::vector<double> times;
  const auto start = std::chrono::steady_clock::now();
  while (times.size() < 5 || (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(100) && times.size() < 2000)) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.parallel_for(static_cast<std::size_t>(threads), stream_part, &task);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return static_cast<double>(task.per_thread * static_cast<std::size_t>(threads) * 4) / times[times.size() / 2] / 1e9;
}

}  // namespace eie
