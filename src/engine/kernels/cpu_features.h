// The instruction-set features each family of kernel files is compiled with, in one list, and the run-time
// check that the CPU has every one of them. A kernel file named *__avx2.cpp, *__avx512.cpp, *__avx512bf16.cpp or
// *__avx512vnni.cpp gets its compiler flags from cmake/EieModule.cmake; the compiler may use any instruction
// those flags enable (BMI2's shifts, F16C's conversions) even where the source names none, so the engine runs a
// file's kernels only on a CPU with all of its features. compiled_features__<suffix>() reports the features the
// compiler saw enabled in a file of that family, and a test compares them with this list, so that a flag added
// in one place and not the other fails the build's tests instead of crashing on a CPU without it.
#pragma once

#include <cstdint>
#include <string>

#include "eie/engine.h"

namespace eie::engine {

// One bit per feature that a kernel flag may enable (the SSE levels, POPCNT and AVX are implied by -mavx2).
enum CpuFeature : std::uint32_t {
  kSse3 = 1u << 0,
  kSsse3 = 1u << 1,
  kSse41 = 1u << 2,
  kSse42 = 1u << 3,
  kPopcnt = 1u << 4,
  kAvx = 1u << 5,
  kAvx2 = 1u << 6,
  kFma = 1u << 7,
  kF16c = 1u << 8,
  kBmi2 = 1u << 9,
  kAvx512f = 1u << 10,
  kAvx512bw = 1u << 11,
  kAvx512vl = 1u << 12,
  kAvx512dq = 1u << 13,
  kAvx512vbmi = 1u << 14,
  kAvx512vnni = 1u << 15,
  kAvx512bf16 = 1u << 16,
  // Enabled by no kernel file today; listed so that a flag that turns one on shows in compiled_features.
  kBmi = 1u << 17,
  kAvx512cd = 1u << 18,
  kAvx512vbmi2 = 1u << 19,
  kAvx512ifma = 1u << 20,
  kGfni = 1u << 21,
  kAvxvnni = 1u << 22,
};
constexpr int kCpuFeatureCount = 23;

// The name of one feature (one bit), as GCC's __builtin_cpu_supports spells it.
const char* cpu_feature_name(std::uint32_t feature);
// The features of `features` this CPU lacks (0: it has them all).
std::uint32_t missing_cpu_features(std::uint32_t features);
// "avx512vbmi, avx512vnni": the names of the features set in `features`.
std::string cpu_feature_names(std::uint32_t features);

// A family of kernel files: the file-name suffix and the features its flags enable.
struct KernelFileIsa {
  const char* suffix;
  std::uint32_t features;
};

constexpr std::uint32_t kBaseAvx2 = kSse3 | kSsse3 | kSse41 | kSse42 | kPopcnt | kAvx | kAvx2 | kFma | kBmi2;
constexpr std::uint32_t kBaseAvx512 = kBaseAvx2 | kAvx512f | kAvx512bw | kAvx512vl | kAvx512dq;
// The list (cmake/EieModule.cmake sets the matching flags).
constexpr KernelFileIsa kAvx2Files{"avx2", kBaseAvx2 | kF16c};
constexpr KernelFileIsa kAvx512Files{"avx512", kBaseAvx512 | kF16c};
constexpr KernelFileIsa kAvx512Bf16Files{"avx512bf16", kBaseAvx512 | kAvx512bf16};
constexpr KernelFileIsa kAvx512VnniFiles{"avx512vnni", kBaseAvx512 | kAvx512vbmi | kAvx512vnni};
constexpr KernelFileIsa kKernelFileIsas[] = {kAvx2Files, kAvx512Files, kAvx512Bf16Files, kAvx512VnniFiles};

// The features a KernelIsa's files need (0 for scalar and automatic, and for neon: no run-time check on AArch64,
// where Advanced SIMD is part of the base ISA and *_neon.cpp files get no flags).
constexpr std::uint32_t kernel_isa_features(KernelIsa isa) {
  return isa == KernelIsa::avx2 ? kAvx2Files.features : isa == KernelIsa::avx512 ? kAvx512Files.features : 0;
}

// The features the compiler had enabled in one file of each family (the predefined macros it saw).
std::uint32_t compiled_features__avx2();
std::uint32_t compiled_features__avx512();
std::uint32_t compiled_features__avx512bf16();
std::uint32_t compiled_features__avx512vnni();

}  // namespace eie::engine
