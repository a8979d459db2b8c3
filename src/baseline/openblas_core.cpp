#include <cblas.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "eie/baseline.h"

namespace eie {

std::string openblas_core() { return openblas_get_corename(); }

const char* openblas_core_this_cpu_needs() {
#if defined(__x86_64__)
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return nullptr;
  // OpenBLAS's x86-64 cores with AVX2 kernels; any other name on a CPU with AVX2 is a fallback.
  static const char* const kAvx2Cores[] = {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"};
  std::string core = openblas_core();
  std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
  if (std::find(std::begin(kAvx2Cores), std::end(kAvx2Cores), core) != std::end(kAvx2Cores)) return nullptr;
  // __builtin_cpu_supports also checks that the OS saves the vector registers (XCR0).
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

}  // namespace eie
