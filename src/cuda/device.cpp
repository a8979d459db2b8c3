// The device: whether there is one, what it is, and its clock while a kernel runs.
#include <cuda_runtime_api.h>

#include <string>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/resources.h"
#include "eie/cuda.h"

namespace eie {
namespace cuda {

void require_device() {
  int count = 0;
  check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (count == 0) throw Error("cudaGetDeviceCount: no CUDA-capable device is detected (0 devices)");
  check(cudaSetDevice(0), "cudaSetDevice");
}

void Stream::synchronize(const char* after) const {
  const cudaError_t error = cudaStreamSynchronize(stream_);
  if (error != cudaSuccess) throw_cuda_error(error, std::string("cudaStreamSynchronize (after ") + after + ")");
}

}  // namespace cuda

std::string cuda_unavailable_reason() {
  try {
    cuda::require_device();
    return {};
  } catch (const Error& e) {
    return e.what();
  }
}

CudaDeviceInfo cuda_device_info() {
  using cuda::check;
  cuda::require_device();
  CudaDeviceInfo info;
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  info.name = prop.name;
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  info.multiprocessors = prop.multiProcessorCount;
  info.memory_bytes = static_cast<std::int64_t>(prop.totalGlobalMem);
  info.l2_bytes = prop.l2CacheSize;
  check(cudaDriverGetVersion(&info.driver_version), "cudaDriverGetVersion");
  check(cudaRuntimeGetVersion(&info.runtime_version), "cudaRuntimeGetVersion");
  int khz = 0;
  check(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, 0), "cudaDeviceGetAttribute (clock rate)");
  info.max_sm_clock_mhz = khz / 1000;
  check(cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, 0), "cudaDeviceGetAttribute (memory clock rate)");
  info.max_memory_clock_mhz = khz / 1000;
  check(cudaDeviceGetAttribute(&info.memory_bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0),
        "cudaDeviceGetAttribute (memory bus width)");
  return info;
}

double measure_sm_clock_ghz() {
  using cuda::check;
  cuda::require_device();
  cuda::Stream stream;
  cuda::DeviceBuffer<long long> out(2, "the clock probe");
  long long host[2] = {0, 0};
  // A first short spin lets the clock leave its idle state; the second one is measured.
  for (long long cycles : {2'000'000LL, 20'000'000LL}) {
    check(cuda::launch_clock_probe(out.data(), cycles, stream.get()), "clock probe kernel launch");
    check(cudaMemcpyAsync(host, out.data(), sizeof host, cudaMemcpyDeviceToHost, stream.get()), "cudaMemcpyAsync");
    stream.synchronize("the clock probe");
  }
  return host[1] > 0 ? static_cast<double>(host[0]) / static_cast<double>(host[1]) : 0.0;
}

}  // namespace eie
