// Every CUDA, cuBLAS and cuSPARSE call in src/cuda/ goes through check(): a failure becomes an eie::Error
// whose one-line message names the call and the library's own message, e.g.
//   "cudaMalloc (412.9 MB for the dense fp32 weights of 'VGG-6'): out of memory (cudaErrorMemoryAllocation)".
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusparse.h>

#include <string>

namespace eie::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t error, const std::string& call);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const std::string& call);
[[noreturn]] void throw_cusparse_error(cusparseStatus_t status, const std::string& call);

inline void check(cudaError_t error, const char* call) {
  if (error != cudaSuccess) throw_cuda_error(error, call);
}
inline void check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) throw_cublas_error(status, call);
}
inline void check(cusparseStatus_t status, const char* call) {
  if (status != CUSPARSE_STATUS_SUCCESS) throw_cusparse_error(status, call);
}

// "412.9 MB"
std::string megabytes(std::size_t bytes);

}  // namespace eie::cuda
