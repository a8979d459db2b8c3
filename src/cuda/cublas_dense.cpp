// The dense baseline on the GPU: the layer decompressed and multiplied by cuBLAS, what a user without a
// sparse runtime runs. The row-major rows x cols matrix W is, to column-major cuBLAS, the cols x rows matrix
// W^T (leading dimension cols), so y = W x is an operation with CUBLAS_OP_T; a batch-major input (batch x cols)
// is a column-major cols x batch matrix and the output (batch x rows) a column-major rows x batch one.
//   fp32: cublasSgemv at batch 1, cublasSgemm for batches (default math mode: no TF32).
//   fp16: cublasGemmEx for every batch, W and x in fp16, y in fp32, CUBLAS_COMPUTE_32F (fp32 accumulation,
//         tensor cores where cuBLAS picks them). x is converted to fp16 in upload(), outside the timing.
#include <cublas_v2.h>

#include <string>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/resources.h"
#include "eie/cuda.h"

namespace eie {
namespace {

using cuda::check;
using cuda::DeviceBuffer;

class CublasHandle {
 public:
  explicit CublasHandle(cudaStream_t stream) {
    check(cublasCreate(&handle_), "cublasCreate");
    const cublasStatus_t status = cublasSetStream(handle_, stream);
    if (status != CUBLAS_STATUS_SUCCESS) {
      cublasDestroy(handle_);
      cuda::throw_cublas_error(status, "cublasSetStream");
    }
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  ~CublasHandle() { cublasDestroy(handle_); }
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

}  // namespace

const char* cublas_precision_name(CublasPrecision precision) {
  return precision == CublasPrecision::fp16 ? "cublas-fp16" : "cublas";
}

struct CublasDense::Impl {
  CublasPrecision precision = CublasPrecision::fp32;
  std::int64_t rows = 0, cols = 0, max_batch = 1, batch = 1;
  cuda::Stream stream;
  CublasHandle handle{stream.get()};
  DeviceBuffer<float> weights;            // fp32: row-major rows x cols
  DeviceBuffer<std::uint16_t> weights16;  // fp16: the same, as __half bits
  DeviceBuffer<float> x, y;               // batch-major
  DeviceBuffer<std::uint16_t> x16;
};

CublasDense::CublasDense(const CompressedLayer& layer, CublasPrecision precision, std::int64_t max_batch) {
  layer.validate();
  if (max_batch < 1 || max_batch > 65536) {
    throw Error("cublas: max_batch = " + std::to_string(max_batch) + " is outside 1..65536");
  }
  if (layer.rows > 2147483647 || layer.cols > 2147483647) {
    throw Error("cublas: layer '" + layer.name + "' is too large for 32-bit cuBLAS dimensions");
  }
  cuda::require_device();
  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  m.precision = precision;
  m.rows = layer.rows;
  m.cols = layer.cols;
  m.max_batch = max_batch;
  const std::string what = "the dense weights of '" + layer.name + "'";
  const auto n = static_cast<std::size_t>(layer.rows * layer.cols);
  {
    DeviceBuffer<float> dense(layer.to_dense(), what);
    if (precision == CublasPrecision::fp16) {
      m.weights16 = DeviceBuffer<std::uint16_t>(n, what + " (fp16)");
      check(cuda::launch_to_half(dense.data(), m.weights16.data(), n, m.stream.get()), "to_half kernel launch");
      m.stream.synchronize("converting the weights to fp16");
    } else {
      m.weights = std::move(dense);
    }
  }
  m.x = DeviceBuffer<float>(static_cast<std::size_t>(max_batch * layer.cols), "the cuBLAS input");
  m.y = DeviceBuffer<float>(static_cast<std::size_t>(max_batch * layer.rows), "the cuBLAS output");
  if (precision == CublasPrecision::fp16) {
    m.x16 = DeviceBuffer<std::uint16_t>(static_cast<std::size_t>(max_batch * layer.cols), "the cuBLAS fp16 input");
  }
}

CublasDense::~CublasDense() = default;

std::int64_t CublasDense::input_size() const { return impl_->cols; }
std::int64_t CublasDense::output_size() const { return impl_->rows; }
std::int64_t CublasDense::max_batch() const { return impl_->max_batch; }
std::int64_t CublasDense::device_bytes() const {
  return static_cast<std::int64_t>(impl_->weights.bytes() + impl_->weights16.bytes());
}
CUstream_st* CublasDense::stream() const { return impl_->stream.get(); }

void CublasDense::upload(std::span<const float> x, std::int64_t batch) {
  Impl& m = *impl_;
  if (batch < 1 || batch > m.max_batch || x.size() != static_cast<std::size_t>(batch * m.cols)) {
    throw Error("cublas: input x has " + std::to_string(x.size()) + " floats for batch " + std::to_string(batch) +
                ", expected batch in 1.." + std::to_string(m.max_batch) + " x " + std::to_string(m.cols) + " inputs");
  }
  check(cudaMemcpyAsync(m.x.data(), x.data(), x.size_bytes(), cudaMemcpyHostToDevice, m.stream.get()),
        "cudaMemcpyAsync (input)");
  if (m.precision == CublasPrecision::fp16) {
    check(cuda::launch_to_half(m.x.data(), m.x16.data(), x.size(), m.stream.get()), "to_half kernel launch");
  }
  m.batch = batch;
}

void CublasDense::enqueue() {
  Impl& m = *impl_;
  const float one = 1.0f, zero = 0.0f;
  const int rows = static_cast<int>(m.rows), cols = static_cast<int>(m.cols), batch = static_cast<int>(m.batch);
  if (m.precision == CublasPrecision::fp16) {
    check(cublasGemmEx(m.handle.get(), CUBLAS_OP_T, CUBLAS_OP_N, rows, batch, cols, &one, m.weights16.data(),
                       CUDA_R_16F, cols, m.x16.data(), CUDA_R_16F, cols, &zero, m.y.data(), CUDA_R_32F, rows,
                       CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
  } else if (batch == 1) {
    check(cublasSgemv(m.handle.get(), CUBLAS_OP_T, cols, rows, &one, m.weights.data(), cols, m.x.data(), 1, &zero,
                      m.y.data(), 1),
          "cublasSgemv");
  } else {
    check(cublasSgemm(m.handle.get(), CUBLAS_OP_T, CUBLAS_OP_N, rows, batch, cols, &one, m.weights.data(), cols,
                      m.x.data(), cols, &zero, m.y.data(), rows),
          "cublasSgemm");
  }
}

void CublasDense::download(std::span<float> y) {
  Impl& m = *impl_;
  if (y.size() != static_cast<std::size_t>(m.batch * m.rows)) {
    throw Error("cublas: output y has " + std::to_string(y.size()) + " floats, expected " +
                std::to_string(m.batch * m.rows));
  }
  check(cudaMemcpyAsync(y.data(), m.y.data(), y.size_bytes(), cudaMemcpyDeviceToHost, m.stream.get()),
        "cudaMemcpyAsync (output)");
  m.stream.synchronize(cublas_precision_name(m.precision));
}

}  // namespace eie
