// Runtime dispatch: which kernels this CPU can run, chosen once at plan time (never in the hot path). A build
// compiles the kernel files of its target's architecture only (cmake/EieModule.cmake): the x86 ones on x86-64,
// the NEON ones on AArch64, where Advanced SIMD is part of the base ISA; EIE_X86_KERNELS and EIE_NEON_KERNELS say
// which, so that no other file names a kernel this build lacks.
#include <string>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/kernel.h"

namespace eie {

const char* kernel_isa_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::automatic: return "auto";
    case KernelIsa::scalar: return "scalar";
    case KernelIsa::avx2: return "avx2";
    case KernelIsa::avx512: return "avx512";
    case KernelIsa::neon: return "neon";
  }
  return "?";
}

KernelIsa parse_kernel_isa(const std::string& name) {
  for (KernelIsa isa : {KernelIsa::automatic, KernelIsa::scalar, KernelIsa::avx2, KernelIsa::avx512, KernelIsa::neon}) {
    if (name == kernel_isa_name(isa)) return isa;
  }
  throw Error("kernel '" + name + "' is not one of auto, scalar, avx2, avx512, neon");
}

// Every feature the kernel files' flags enable (cpu_features.h), not only the ones their source names.
bool kernel_isa_available(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::automatic:
    case KernelIsa::scalar: return true;
    case KernelIsa::avx2:
    case KernelIsa::avx512: return engine::missing_cpu_features(engine::kernel_isa_features(isa)) == 0;
    case KernelIsa::neon: return EIE_NEON_KERNELS != 0;  // Advanced SIMD is part of AArch64's base ISA
  }
  return false;
}

KernelIsa best_kernel_isa() {
  for (KernelIsa isa : {KernelIsa::avx512, KernelIsa::avx2, KernelIsa::neon}) {
    if (kernel_isa_available(isa)) return isa;
  }
  return KernelIsa::scalar;
}

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::int8: return "int8";
  }
  return "?";
}

Precision parse_precision(const std::string& name) {
  for (Precision precision : {Precision::fp32, Precision::bf16, Precision::int8}) {
    if (name == precision_name(precision)) return precision;
  }
  throw Error("precision '" + name + "' is not one of fp32, bf16, int8");
}

bool precision_runs_on(Precision precision, KernelIsa kernel) {
  const KernelIsa isa = kernel == KernelIsa::automatic ? best_kernel_isa() : kernel;
  switch (precision) {
    case Precision::fp32: return kernel_isa_available(isa);
    case Precision::bf16:
      return isa == KernelIsa::scalar || (isa == KernelIsa::avx512 && precision_available(precision));
    case Precision::int8:  // automatic falls back from avx512 to avx2 where VNNI or VBMI is missing
      return isa == KernelIsa::scalar ||
             (precision_available(precision) &&
              (isa == KernelIsa::avx2 ||
               (isa == KernelIsa::avx512 && (kernel == KernelIsa::automatic || engine::avx512_int8_available()))));
  }
  return false;
}

// A reduced precision runs its own kernel files and, for the layers they do not take, the fp32 ones of their ISA:
// bf16 on AVX-512 (or the portable kernels), int8 on AVX-512 (VNNI and VBMI) or AVX2.
bool precision_available(Precision precision) {
  switch (precision) {
    case Precision::fp32: return true;
    case Precision::bf16:
      return kernel_isa_available(KernelIsa::avx512) &&
             engine::missing_cpu_features(engine::kAvx512Bf16Files.features) == 0;
    case Precision::int8:
      return engine::avx512_int8_available() || (EIE_X86_KERNELS != 0 && kernel_isa_available(KernelIsa::avx2));
  }
  return false;
}

const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::automatic: return "auto";
    case Layout::sell16: return "sell16";
    case Layout::sell16x2: return "sell16x2";
    case Layout::sell16x4: return "sell16x4";
    case Layout::tcsr: return "tcsr";
    case Layout::csr16: return "csr16";
    case Layout::csc: return "csc";
  }
  return "?";
}

Layout parse_layout(const std::string& name) {
  for (Layout layout : {Layout::automatic, Layout::sell16, Layout::sell16x2, Layout::sell16x4, Layout::tcsr,
                        Layout::csr16, Layout::csc}) {
    if (name == layout_name(layout)) return layout;
  }
  throw Error("layout '" + name + "' is not one of auto, sell16, sell16x2, sell16x4, tcsr, csr16, csc");
}

const char* precision_instructions(Precision precision) {
  switch (precision) {
    case Precision::fp32: return "";
    case Precision::bf16: return "AVX-512 BF16";
    case Precision::int8: return "AVX-512 VNNI and VBMI, or AVX2";
  }
  return "?";
}

namespace engine {

bool avx512_int8_available() {
  return kernel_isa_available(KernelIsa::avx512) && missing_cpu_features(kAvx512VnniFiles.features) == 0;
}

namespace {

// Every kernel this build has, layout by layout. A layout runs the entry of its ISA whose codebook limit it fits,
// else the scalar one (kernel_or_portable); the planner asks own_kernel where a layout pays only on an ISA's own
// kernel.
constexpr KernelEntry kKernels[] = {
#if EIE_X86_KERNELS
    {.layout = LayoutId::csr16, .isa = KernelIsa::avx512, .file = "avx512", .spmv = spmv_csr16__avx512},
    {.layout = LayoutId::csr16, .isa = KernelIsa::avx2, .file = "avx2", .spmv = spmv_csr16__avx2},
#endif
    {.layout = LayoutId::csr16, .spmv = spmv_csr16__scalar},
#if EIE_X86_KERNELS
    {.layout = LayoutId::sell16, .isa = KernelIsa::avx512, .file = "avx512", .max_codebook = 64,
     .sell = spmv_sell16__avx512},
    // Two vpermps per half slice decode 16 entries at most.
    {.layout = LayoutId::sell16, .isa = KernelIsa::avx2, .file = "avx2", .max_codebook = 16,
     .sell = spmv_sell16__avx2},
#endif
#if EIE_NEON_KERNELS
    {.layout = LayoutId::sell16, .isa = KernelIsa::neon, .file = "neon", .max_codebook = 64,
     .sell = spmv_sell16__neon},
#endif
    {.layout = LayoutId::sell16, .max_codebook = 64, .sell = spmv_sell16__scalar},
#if EIE_X86_KERNELS
    {.layout = LayoutId::sell16i8, .isa = KernelIsa::avx2, .file = "avx2", .max_codebook = 16,
     .sell = spmv_sell16i8__avx2},
#endif
    {.layout = LayoutId::sell16i8, .max_codebook = 16, .sell = spmv_sell16i8__scalar},
#if EIE_X86_KERNELS
    {.layout = LayoutId::sell16x2, .isa = KernelIsa::avx512, .file = "avx512bf16", .max_codebook = 64,
     .sell = spmv_sell16x2__avx512bf16},
#endif
    {.layout = LayoutId::sell16x2, .max_codebook = 64, .sell = spmv_sell16x2__scalar},
#if EIE_X86_KERNELS
    {.layout = LayoutId::sell16x4, .isa = KernelIsa::avx512, .file = "avx512vnni", .max_codebook = 64,
     .sell = spmv_sell16x4__avx512vnni},
    // The same function: SellArgs::compact_codes tells it the layout.
    {.layout = LayoutId::sell16x4c, .isa = KernelIsa::avx512, .file = "avx512vnni", .max_codebook = 16,
     .sell = spmv_sell16x4__avx512vnni},
    {.layout = LayoutId::tcsr, .isa = KernelIsa::avx512, .file = "avx512", .tcsr = spmm_tcsr__avx512},
    {.layout = LayoutId::tcsr, .isa = KernelIsa::avx2, .file = "avx2", .tcsr = spmm_tcsr__avx2},
#endif
#if EIE_NEON_KERNELS
    {.layout = LayoutId::tcsr, .isa = KernelIsa::neon, .file = "neon", .tcsr = spmm_tcsr__neon},
#endif
    {.layout = LayoutId::tcsr, .tcsr = spmm_tcsr__scalar},
#if EIE_X86_KERNELS
    {.layout = LayoutId::tcsrx2, .isa = KernelIsa::avx512, .file = "avx512bf16", .max_codebook = 64,
     .tcsr = spmm_tcsrx2__avx512bf16},
#endif
    {.layout = LayoutId::tcsrx2, .max_codebook = 64, .tcsr = spmm_tcsrx2__scalar},
    {.layout = LayoutId::csc, .csc = spmv_csc__scalar},
};

}  // namespace

const KernelEntry* own_kernel(LayoutId layout, KernelIsa isa, std::size_t codebook) {
  for (const KernelEntry& entry : kKernels) {
    if (entry.layout == layout && entry.isa == isa && codebook <= static_cast<std::size_t>(entry.max_codebook)) {
      return &entry;
    }
  }
  return nullptr;
}

const KernelEntry* kernel_or_portable(LayoutId layout, KernelIsa isa, std::size_t codebook) {
  const KernelEntry* entry = own_kernel(layout, isa, codebook);
  return entry != nullptr ? entry : own_kernel(layout, KernelIsa::scalar, codebook);
}

TransposeKernel transpose_kernel(KernelIsa isa) {
#if EIE_X86_KERNELS
  if (isa == KernelIsa::avx512) return transpose__avx512;
#endif
  (void)isa;
  return transpose__scalar;
}

}  // namespace engine
}  // namespace eie
