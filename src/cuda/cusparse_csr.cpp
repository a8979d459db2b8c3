// The sparse baseline on the GPU: the pruned layer in CSR with fp32 values and 32-bit indices (the codebook
// values substituted), multiplied by cuSPARSE's generic API: cusparseSpMV at batch 1 (the paper's cuSPARSE
// CSRMV), cusparseSpMM for batches (batch-major input = column-major dense matrix), default algorithms.
// Descriptors and the work buffer are made at construction and, for SpMM, when upload() changes the batch,
// so that enqueue() is the library call alone.
#include <cusparse.h>

#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "cuda/check.h"
#include "cuda/resources.h"
#include "eie/cuda.h"

namespace eie {
namespace {

using cuda::check;
using cuda::DeviceBuffer;

struct SpMatDeleter {
  void operator()(cusparseSpMatDescr_t d) const { cusparseDestroySpMat(d); }
};
struct DnVecDeleter {
  void operator()(cusparseDnVecDescr_t d) const { cusparseDestroyDnVec(d); }
};
struct DnMatDeleter {
  void operator()(cusparseDnMatDescr_t d) const { cusparseDestroyDnMat(d); }
};
using SpMat = std::unique_ptr<std::remove_pointer_t<cusparseSpMatDescr_t>, SpMatDeleter>;
using DnVec = std::unique_ptr<std::remove_pointer_t<cusparseDnVecDescr_t>, DnVecDeleter>;
using DnMat = std::unique_ptr<std::remove_pointer_t<cusparseDnMatDescr_t>, DnMatDeleter>;

class CusparseHandle {
 public:
  explicit CusparseHandle(cudaStream_t stream) {
    check(cusparseCreate(&handle_), "cusparseCreate");
    const cusparseStatus_t status = cusparseSetStream(handle_, stream);
    if (status != CUSPARSE_STATUS_SUCCESS) {
      cusparseDestroy(handle_);
      cuda::throw_cusparse_error(status, "cusparseSetStream");
    }
  }
  CusparseHandle(const CusparseHandle&) = delete;
  CusparseHandle& operator=(const CusparseHandle&) = delete;
  ~CusparseHandle() { cusparseDestroy(handle_); }
  cusparseHandle_t get() const { return handle_; }

 private:
  cusparseHandle_t handle_ = nullptr;
};

// At least one element, so that an empty layer still hands cuSPARSE valid pointers.
template <typename T>
DeviceBuffer<T> upload_nonempty(std::vector<T> values, const std::string& what) {
  if (values.empty()) values.push_back(T{});
  return DeviceBuffer<T>(values, what);
}

}  // namespace

struct CusparseCsr::Impl {
  std::int64_t rows = 0, cols = 0, nnz = 0, max_batch = 1, batch = 1;
  cuda::Stream stream;
  CusparseHandle handle{stream.get()};
  DeviceBuffer<int> row_ptr, col_idx;
  DeviceBuffer<float> values, x, y;
  SpMat matrix;
  DnVec vec_x, vec_y;
  DeviceBuffer<char> spmv_buffer;
  std::int64_t spmm_batch = 0;  // the batch the SpMM descriptors describe
  DnMat mat_x, mat_y;
  DeviceBuffer<char> spmm_buffer;

  void prepare_spmm(std::int64_t b) {
    if (b == spmm_batch) return;
    stream.synchronize("an earlier cuSPARSE run");  // the old descriptors and buffer may still be in use
    cusparseDnMatDescr_t dx = nullptr, dy = nullptr;
    check(cusparseCreateDnMat(&dx, cols, b, cols, x.data(), CUDA_R_32F, CUSPARSE_ORDER_COL), "cusparseCreateDnMat");
    mat_x.reset(dx);
    check(cusparseCreateDnMat(&dy, rows, b, rows, y.data(), CUDA_R_32F, CUSPARSE_ORDER_COL), "cusparseCreateDnMat");
    mat_y.reset(dy);
    const float one = 1.0f, zero = 0.0f;
    std::size_t size = 0;
    check(cusparseSpMM_bufferSize(handle.get(), CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                  &one, matrix.get(), mat_x.get(), &zero, mat_y.get(), CUDA_R_32F,
                                  CUSPARSE_SPMM_ALG_DEFAULT, &size),
          "cusparseSpMM_bufferSize");
    if (size > spmm_buffer.size()) spmm_buffer = DeviceBuffer<char>(size, "the cusparseSpMM work buffer");
    spmm_batch = b;
  }
};

CusparseCsr::CusparseCsr(const CompressedLayer& layer, std::int64_t max_batch) {
  layer.validate();
  if (max_batch < 1 || max_batch > 65536) {
    throw Error("cusparse: max_batch = " + std::to_string(max_batch) + " is outside 1..65536");
  }
  if (layer.nnz() > std::numeric_limits<int>::max() || layer.rows >= std::numeric_limits<int>::max() ||
      layer.cols > std::numeric_limits<int>::max()) {
    throw Error("cusparse: layer '" + layer.name + "' is too large for 32-bit CSR indices");
  }
  cuda::require_device();
  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  m.rows = layer.rows;
  m.cols = layer.cols;
  m.nnz = layer.nnz();
  m.max_batch = max_batch;

  // CSC -> CSR: count per row, prefix sum, then deal the entries out column by column (columns ascend).
  std::vector<int> row_ptr(static_cast<std::size_t>(layer.rows) + 1, 0), col_idx(static_cast<std::size_t>(m.nnz));
  std::vector<float> values(static_cast<std::size_t>(m.nnz));
  for (std::uint32_t r : layer.row_idx) ++row_ptr[r + 1];
  for (std::size_t i = 1; i < row_ptr.size(); ++i) row_ptr[i] += row_ptr[i - 1];
  std::vector<int> cursor(row_ptr.begin(), row_ptr.end() - 1);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    for (auto k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
      const auto at = static_cast<std::size_t>(cursor[layer.row_idx[k]]++);
      col_idx[at] = static_cast<int>(j);
      values[at] = layer.codebook[layer.codes[k]];
    }
  }
  const std::string what = "the CSR of '" + layer.name + "'";
  m.row_ptr = DeviceBuffer<int>(row_ptr, what);
  m.col_idx = upload_nonempty(std::move(col_idx), what);
  m.values = upload_nonempty(std::move(values), what);
  m.x = DeviceBuffer<float>(static_cast<std::size_t>(max_batch * layer.cols), "the cuSPARSE input");
  m.y = DeviceBuffer<float>(static_cast<std::size_t>(max_batch * layer.rows), "the cuSPARSE output");

  cusparseSpMatDescr_t a = nullptr;
  check(cusparseCreateCsr(&a, m.rows, m.cols, m.nnz, m.row_ptr.data(), m.col_idx.data(), m.values.data(),
                          CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F),
        "cusparseCreateCsr");
  m.matrix.reset(a);
  cusparseDnVecDescr_t vx = nullptr, vy = nullptr;
  check(cusparseCreateDnVec(&vx, m.cols, m.x.data(), CUDA_R_32F), "cusparseCreateDnVec");
  m.vec_x.reset(vx);
  check(cusparseCreateDnVec(&vy, m.rows, m.y.data(), CUDA_R_32F), "cusparseCreateDnVec");
  m.vec_y.reset(vy);
  const float one = 1.0f, zero = 0.0f;
  std::size_t size = 0;
  check(cusparseSpMV_bufferSize(m.handle.get(), CUSPARSE_OPERATION_NON_TRANSPOSE, &one, m.matrix.get(), m.vec_x.get(),
                                &zero, m.vec_y.get(), CUDA_R_32F, CUSPARSE_SPMV_ALG_DEFAULT, &size),
        "cusparseSpMV_bufferSize");
  m.spmv_buffer = DeviceBuffer<char>(size, "the cusparseSpMV work buffer");
}

CusparseCsr::~CusparseCsr() = default;

std::int64_t CusparseCsr::input_size() const { return impl_->cols; }
std::int64_t CusparseCsr::output_size() const { return impl_->rows; }
std::int64_t CusparseCsr::max_batch() const { return impl_->max_batch; }
std::int64_t CusparseCsr::device_bytes() const {
  return static_cast<std::int64_t>(impl_->row_ptr.bytes() + impl_->col_idx.bytes() + impl_->values.bytes());
}
CUstream_st* CusparseCsr::stream() const { return impl_->stream.get(); }

void CusparseCsr::upload(std::span<const float> x, std::int64_t batch) {
  Impl& m = *impl_;
  if (batch < 1 || batch > m.max_batch || x.size() != static_cast<std::size_t>(batch * m.cols)) {
    throw Error("cusparse: input x has " + std::to_string(x.size()) + " floats for batch " + std::to_string(batch) +
                ", expected batch in 1.." + std::to_string(m.max_batch) + " x " + std::to_string(m.cols) + " inputs");
  }
  if (batch > 1) m.prepare_spmm(batch);
  check(cudaMemcpyAsync(m.x.data(), x.data(), x.size_bytes(), cudaMemcpyHostToDevice, m.stream.get()),
        "cudaMemcpyAsync (input)");
  m.batch = batch;
}

void CusparseCsr::enqueue() {
  Impl& m = *impl_;
  const float one = 1.0f, zero = 0.0f;
  if (m.batch == 1) {
    check(cusparseSpMV(m.handle.get(), CUSPARSE_OPERATION_NON_TRANSPOSE, &one, m.matrix.get(), m.vec_x.get(), &zero,
                       m.vec_y.get(), CUDA_R_32F, CUSPARSE_SPMV_ALG_DEFAULT, m.spmv_buffer.data()),
          "cusparseSpMV");
  } else {
    check(cusparseSpMM(m.handle.get(), CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one,
                       m.matrix.get(), m.mat_x.get(), &zero, m.mat_y.get(), CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT,
                       m.spmm_buffer.data()),
          "cusparseSpMM");
  }
}

void CusparseCsr::download(std::span<float> y) {
  Impl& m = *impl_;
  if (y.size() != static_cast<std::size_t>(m.batch * m.rows)) {
    throw Error("cusparse: output y has " + std::to_string(y.size()) + " floats, expected " +
                std::to_string(m.batch * m.rows));
  }
  check(cudaMemcpyAsync(y.data(), m.y.data(), y.size_bytes(), cudaMemcpyDeviceToHost, m.stream.get()),
        "cudaMemcpyAsync (output)");
  m.stream.synchronize("cusparse");
}

}  // namespace eie
