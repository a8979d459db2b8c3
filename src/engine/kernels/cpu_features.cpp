// The run-time side of cpu_features.h: __builtin_cpu_supports takes a literal name, hence one case per feature.
#include "engine/kernels/cpu_features.h"

namespace eie::engine {

namespace {

// Every feature in cpu_features.h is an x86 one: another architecture (AArch64) has none of them. Its NEON kernels
// need no run-time check (Advanced SIMD is part of AArch64's base ISA).
#if defined(__x86_64__)
bool cpu_supports(std::uint32_t feature) {
  switch (feature) {
    case kSse3: return __builtin_cpu_supports("sse3");
    case kSsse3: return __builtin_cpu_supports("ssse3");
    case kSse41: return __builtin_cpu_supports("sse4.1");
    case kSse42: return __builtin_cpu_supports("sse4.2");
    case kPopcnt: return __builtin_cpu_supports("popcnt");
    case kAvx: return __builtin_cpu_supports("avx");
    case kAvx2: return __builtin_cpu_supports("avx2");
    case kFma: return __builtin_cpu_supports("fma");
    case kF16c: return __builtin_cpu_supports("f16c");
    case kBmi2: return __builtin_cpu_supports("bmi2");
    case kAvx512f: return __builtin_cpu_supports("avx512f");
    case kAvx512bw: return __builtin_cpu_supports("avx512bw");
    case kAvx512vl: return __builtin_cpu_supports("avx512vl");
    case kAvx512dq: return __builtin_cpu_supports("avx512dq");
    case kAvx512vbmi: return __builtin_cpu_supports("avx512vbmi");
    case kAvx512vnni: return __builtin_cpu_supports("avx512vnni");
    case kAvx512bf16: return __builtin_cpu_supports("avx512bf16");
    case kBmi: return __builtin_cpu_supports("bmi");
    case kAvx512cd: return __builtin_cpu_supports("avx512cd");
    case kAvx512vbmi2: return __builtin_cpu_supports("avx512vbmi2");
    case kAvx512ifma: return __builtin_cpu_supports("avx512ifma");
    case kGfni: return __builtin_cpu_supports("gfni");
    case kAvxvnni: return __builtin_cpu_supports("avxvnni");
    default: return false;
  }
}
#else
bool cpu_supports(std::uint32_t) { return false; }
#endif

}  // namespace

const char* cpu_feature_name(std::uint32_t feature) {
  switch (feature) {
    case kSse3: return "sse3";
    case kSsse3: return "ssse3";
    case kSse41: return "sse4.1";
    case kSse42: return "sse4.2";
    case kPopcnt: return "popcnt";
    case kAvx: return "avx";
    case kAvx2: return "avx2";
    case kFma: return "fma";
    case kF16c: return "f16c";
    case kBmi2: return "bmi2";
    case kAvx512f: return "avx512f";
    case kAvx512bw: return "avx512bw";
    case kAvx512vl: return "avx512vl";
    case kAvx512dq: return "avx512dq";
    case kAvx512vbmi: return "avx512vbmi";
    case kAvx512vnni: return "avx512vnni";
    case kAvx512bf16: return "avx512bf16";
    case kBmi: return "bmi";
    case kAvx512cd: return "avx512cd";
    case kAvx512vbmi2: return "avx512vbmi2";
    case kAvx512ifma: return "avx512ifma";
    case kGfni: return "gfni";
    case kAvxvnni: return "avxvnni";
    default: return "?";
  }
}

std::uint32_t missing_cpu_features(std::uint32_t features) {
  std::uint32_t missing = 0;
  for (int i = 0; i < kCpuFeatureCount; ++i) {
    const std::uint32_t feature = 1u << i;
    if ((features & feature) != 0 && !cpu_supports(feature)) missing |= feature;
  }
  return missing;
}

std::string cpu_feature_names(std::uint32_t features) {
  std::string names;
  for (int i = 0; i < kCpuFeatureCount; ++i) {
    if ((features & (1u << i)) == 0) continue;
    if (!names.empty()) names += ", ";
    names += cpu_feature_name(1u << i);
  }
  return names;
}

}  // namespace eie::engine
