#include "cuda/check.h"

#include <cstdio>

#include "eie/core.h"

namespace eie::cuda {

void throw_cuda_error(cudaError_t error, const std::string& call) {
  throw Error(call + ": " + cudaGetErrorString(error) + " (" + cudaGetErrorName(error) + ")");
}

void throw_cublas_error(cublasStatus_t status, const std::string& call) {
  throw Error(call + ": " + cublasGetStatusString(status) + " (" + cublasGetStatusName(status) + ")");
}

void throw_cusparse_error(cusparseStatus_t status, const std::string& call) {
  throw Error(call + ": " + cusparseGetErrorString(status) + " (" + cusparseGetErrorName(status) + ")");
}

std::string megabytes(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

}  // namespace eie::cuda
