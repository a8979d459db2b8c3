// Runtime dispatch: which kernels this CPU can run, chosen once at plan time (never in the hot path).
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
  }
  return "?";
}

KernelIsa parse_kernel_isa(const std::string& name) {
  for (KernelIsa isa : {KernelIsa::automatic, KernelIsa::scalar, KernelIsa::avx2, KernelIsa::avx512}) {
    if (name == kernel_isa_name(isa)) return isa;
  }
  throw Error("kernel '" + name + "' is not one of auto, scalar, avx2, avx512");
}

// Every feature the kernel files' flags enable (cpu_features.h), not only the ones their source names.
bool kernel_isa_available(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::automatic:
    case KernelIsa::scalar: return true;
    case KernelIsa::avx2:
    case KernelIsa::avx512: return engine::missing_cpu_features(engine::kernel_isa_features(isa)) == 0;
  }
  return false;
}

KernelIsa best_kernel_isa() {
  if (kernel_isa_available(KernelIsa::avx512)) return KernelIsa::avx512;
  if (kernel_isa_available(KernelIsa::avx2)) return KernelIsa::avx2;
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

// A reduced precision runs its own kernel files and, for the layers they do not take, the AVX-512 ones.
bool precision_available(Precision precision) {
  switch (precision) {
    case Precision::fp32: return true;
    case Precision::bf16:
      return kernel_isa_available(KernelIsa::avx512) &&
             engine::missing_cpu_features(engine::kAvx512Bf16Files.features) == 0;
    case Precision::int8:
      return kernel_isa_available(KernelIsa::avx512) &&
             engine::missing_cpu_features(engine::kAvx512VnniFiles.features) == 0;
  }
  return false;
}

const char* precision_instructions(Precision precision) {
  switch (precision) {
    case Precision::fp32: return "";
    case Precision::bf16: return "AVX-512 BF16";
    case Precision::int8: return "AVX-512 VNNI and VBMI";
  }
  return "?";
}

namespace engine {

SpmvKernel spmv_kernel(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::avx512: return spmv_csr16__avx512;
    case KernelIsa::avx2: return spmv_csr16__avx2;
    default: return spmv_csr16__scalar;
  }
}

TcsrKernel tcsr_kernel(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::avx512: return spmm_tcsr__avx512;
    case KernelIsa::avx2: return spmm_tcsr__avx2;
    default: return spmm_tcsr__scalar;
  }
}

}  // namespace engine
}  // namespace eie
