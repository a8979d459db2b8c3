// The instruction-set features of each family of kernel files: the list the run-time check reads
// (src/engine/kernels/cpu_features.h) against what the compiler enabled with the family's flags
// (cmake/EieModule.cmake).
#include <gtest/gtest.h>

#include <string>

#include "engine/kernels/cpu_features.h"
#include "engine_tester.h"

namespace eie::engine {
namespace {

// The compiled_features__*.cpp files are x86 kernel files: an AArch64 build has none (cmake/EieModule.cmake).
#if defined(__x86_64__)
TEST(CpuFeatures, each_kernel_file_family_lists_exactly_what_its_flags_enable) {
  const struct {
    KernelFileIsa family;
    std::uint32_t compiled;
  } families[] = {
      {kAvx2Files, compiled_features__avx2()},
      {kAvx512Files, compiled_features__avx512()},
      {kAvx512Bf16Files, compiled_features__avx512bf16()},
      {kAvx512VnniFiles, compiled_features__avx512vnni()},
  };
  ASSERT_EQ(std::size(families), std::size(kKernelFileIsas));
  for (const auto& f : families) {
    SCOPED_TRACE(std::string("*__") + f.family.suffix + ".cpp");
    EXPECT_EQ(cpu_feature_names(f.compiled & ~f.family.features), "") << "enabled by the flags, not in the list";
    EXPECT_EQ(cpu_feature_names(f.family.features & ~f.compiled), "") << "in the list, not enabled by the flags";
  }
}
#endif

TEST(CpuFeatures, avx512_files_need_no_vbmi_and_int8_files_do) {
  // Skylake-SP and Cascade Lake have AVX-512 without VBMI: the fp32 AVX-512 kernels run there, int8 does not.
  EXPECT_EQ(kAvx512Files.features & kAvx512vbmi, 0u);
  EXPECT_NE(kAvx512VnniFiles.features & kAvx512vbmi, 0u);
}

TEST(CpuFeatures, a_kernel_isa_is_available_exactly_when_the_cpu_has_every_feature) {
  for (KernelIsa isa : {KernelIsa::avx2, KernelIsa::avx512}) {
    SCOPED_TRACE(kernel_isa_name(isa));
    const std::uint32_t missing = missing_cpu_features(kernel_isa_features(isa));
    EXPECT_EQ(kernel_isa_available(isa), missing == 0) << "missing: " << cpu_feature_names(missing);
  }
  EXPECT_TRUE(kernel_isa_available(KernelIsa::scalar));
  // NEON is part of AArch64's base ISA: no run-time check, available exactly on AArch64 builds.
  EXPECT_EQ(kernel_isa_features(KernelIsa::neon), 0u);
#if defined(__aarch64__)
  EXPECT_TRUE(kernel_isa_available(KernelIsa::neon));
#else
  EXPECT_FALSE(kernel_isa_available(KernelIsa::neon));
#endif
  // The automatic choice never picks a kernel the CPU cannot run (on a CPU without AVX2 or NEON: scalar).
  EXPECT_TRUE(kernel_isa_available(best_kernel_isa()));
  EXPECT_EQ(best_kernel_isa() == KernelIsa::scalar,
            !kernel_isa_available(KernelIsa::avx2) && !kernel_isa_available(KernelIsa::neon));
}

TEST(CpuFeatures, forcing_a_kernel_names_the_features_the_cpu_lacks) {
  for (KernelIsa isa : {KernelIsa::avx2, KernelIsa::avx512}) {
    const std::uint32_t missing = missing_cpu_features(kernel_isa_features(isa));
    if (missing == 0) continue;
    try {
      SyntheticLayerSpec spec{.name = "fc", .rows = 10, .cols = 8, .density = 0.3, .bits = 4, .bias = true, .seed = 1};
      Engine({synthetic_layer(spec)}, EngineOptions{.kernel = isa});
      ADD_FAILURE() << "no error for " << kernel_isa_name(isa);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("which lacks " + cpu_feature_names(missing)), std::string::npos) << e.what();
    }
  }
}

TEST(CpuFeatures, feature_names) {
  EXPECT_EQ(cpu_feature_names(kAvx2 | kFma), "avx2, fma");
  EXPECT_EQ(cpu_feature_names(0), "");
  for (int i = 0; i < kCpuFeatureCount; ++i) EXPECT_STRNE(cpu_feature_name(1u << i), "?") << "bit " << i;
}

// Runs on every CPU, the scalar one included (qemu-x86_64 -cpu Nehalem runs this test binary without AVX2).
TEST(CpuFeatures, the_automatic_kernel_matches_the_reference_on_this_cpu) {
  test::EngineTester().rows(70).cols(90).density(0.3).bits(4).threads(2).test(7);
  test::EngineTester().rows(70).cols(90).density(0.3).bits(4).batch(5).threads(2).test(8);
}

}  // namespace
}  // namespace eie::engine
