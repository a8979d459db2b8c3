// eie/cuda.h: the GPU engine and the GPU baselines (optional module, built when nvcc is found).
//
// CudaEngine runs a chain of compressed layers on an NVIDIA GPU, directly in compressed form, with the API of
// eie::Engine. Planning re-encodes every CompressedLayer twice, once per kernel (docs/engine.md, "GPU"):
//   batch 1   the canonical CSC with each entry packed in 32 bits (row << 8 | code). A first kernel lists the
//             non-zero input activations (EIE's leading-non-zero detection), a second walks only their columns
//             and adds each product into the output with an atomic add: zero activations cost nothing.
//   batch > 1 row-major CSR cut into panels of 128 columns, 16 bits per entry (column in panel << 8 | code).
//             A block stages a panel of activations for 64 batch elements in shared memory; each stored weight
//             is decoded once and applied to 64 batch elements (two per lane).
// The codebook (up to 256 entries) sits in shared memory. Each chain (batch 1, and batch 2..max_batch) is
// captured into a CUDA Graph at construction, so one run is one graph launch; run() allocates nothing.
//
// CublasDense and CusparseCsr are the peers measured in the same process: cuBLAS on the decompressed dense
// layer (fp32, or fp16 inputs with fp32 accumulation) and cuSPARSE CSR on the pruned fp32 layer.
//
// Every CUDA, cuBLAS and cuSPARSE call is checked: a failure is an eie::Error whose one-line message names
// the call and the library's message ("cudaGetDeviceCount: no CUDA-capable device is detected").
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "eie/core.h"

struct CUstream_st;  // cudaStream_t is CUstream_st*; declared here so that users need no CUDA header

namespace eie {

// ---------------------------------------------------------------------------------------------------------
// The device (always device 0, CUDA's current device).
struct CudaDeviceInfo {
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  int multiprocessors = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t l2_bytes = 0;
  int driver_version = 0;   // e.g. 13000 for CUDA 13.0
  int runtime_version = 0;
  int max_sm_clock_mhz = 0;      // the device's peak clock attributes
  int max_memory_clock_mhz = 0;
  int memory_bus_bits = 0;
};

// Throws Error naming the call when no CUDA device can be used.
CudaDeviceInfo cuda_device_info();
// Empty when a CUDA device can be used, else why not (the call and CUDA's message). Never throws.
std::string cuda_unavailable_reason();
// The SM clock while a kernel runs (GHz): clock64() cycles over %globaltimer nanoseconds in a ~10 ms spin.
double measure_sm_clock_ghz();

// ---------------------------------------------------------------------------------------------------------
// An operation the benchmark can time on the GPU: inputs uploaded once, then enqueue() runs it on the
// device-resident input into the device-resident output on the operation's own stream, without waiting.
// Inputs and outputs are batch-major: x holds batch x input_size() floats, y batch x output_size().
class CudaOperation {
 public:
  virtual ~CudaOperation() = default;
  virtual std::int64_t input_size() const = 0;
  virtual std::int64_t output_size() const = 0;
  virtual std::int64_t max_batch() const = 0;
  // Weights and index structures resident on the device (scratch excluded).
  virtual std::int64_t device_bytes() const = 0;
  // Copies x to the device and sets the batch of the next enqueue(). Throws Error for a batch outside
  // 1..max_batch() or x of the wrong length.
  virtual void upload(std::span<const float> x, std::int64_t batch) = 0;
  virtual void enqueue() = 0;
  // Waits for the stream and copies the output of the last enqueue() to y (batch x output_size() floats).
  virtual void download(std::span<float> y) = 0;
  virtual CUstream_st* stream() const = 0;

  // upload + enqueue + download.
  void run_batch(std::span<const float> x, std::span<float> y, std::int64_t batch);
};

// ---------------------------------------------------------------------------------------------------------
struct CudaEngineOptions {
  Activation hidden_activation = Activation::relu;  // between layers of the chain
  Activation output_activation = Activation::none;  // after the last layer
  std::int64_t max_batch = 256;                     // 1..65536; scratch is sized for it
  bool use_graph = true;  // false: launch the chain's kernels one by one (for tests and timing the difference)
};

struct CudaLayerPlanInfo {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t entries = 0;
  std::string kernel;               // "spmv_csc32_scatter__cuda, spmm_pcsr16_p128_b64__cuda"
  std::int64_t resident_bytes = 0;  // both layouts, codebook and bias
};

class CudaEngine final : public CudaOperation {
 public:
  // Throws Error for an empty chain, a layer that fails validate(), shapes that do not chain, max_batch outside
  // 1..65536, a layer with more than 2^24 rows (before any CUDA call), then for no usable device, too little
  // free device memory for the plan, or any failing CUDA call.
  explicit CudaEngine(std::vector<CompressedLayer> layers, CudaEngineOptions options = {});
  CudaEngine(const CudaEngine&) = delete;
  CudaEngine& operator=(const CudaEngine&) = delete;
  ~CudaEngine() override;

  std::int64_t input_size() const override;
  std::int64_t output_size() const override;
  std::int64_t max_batch() const override;
  std::int64_t device_bytes() const override;
  const CudaEngineOptions& options() const;
  std::vector<CudaLayerPlanInfo> plan_info() const;

  // As eie::Engine: one input to one output, or `batch` inputs stored one after another. Throws Error naming
  // the argument and its size when a span has the wrong length, or for a batch outside 1..max_batch.
  void run(std::span<const float> x, std::span<float> y);
  using CudaOperation::run_batch;

  void upload(std::span<const float> x, std::int64_t batch) override;
  void enqueue() override;
  void download(std::span<float> y) override;
  CUstream_st* stream() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------------------
// Baselines: y = W x with no bias (the benchmark times W x alone). Inputs at batch 1 go through the library's
// matrix-vector routine (cublasSgemv, cusparseSpMV), batches through its matrix-matrix one.
enum class CublasPrecision {
  fp32,  // cublasSgemv / cublasSgemm, default math mode (no TF32)
  fp16,  // cublasGemmEx with fp16 weights and inputs, fp32 output and CUBLAS_COMPUTE_32F accumulation; the
         // input is converted to fp16 by upload(), outside the timed enqueue()
};
const char* cublas_precision_name(CublasPrecision precision);  // "cublas", "cublas-fp16"

class CublasDense final : public CudaOperation {
 public:
  // The layer decompressed to a dense row-major matrix on the device. Throws Error as CudaEngine does.
  CublasDense(const CompressedLayer& layer, CublasPrecision precision, std::int64_t max_batch = 256);
  ~CublasDense() override;
  std::int64_t input_size() const override;
  std::int64_t output_size() const override;
  std::int64_t max_batch() const override;
  std::int64_t device_bytes() const override;
  void upload(std::span<const float> x, std::int64_t batch) override;
  void enqueue() override;
  void download(std::span<float> y) override;
  CUstream_st* stream() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class CusparseCsr final : public CudaOperation {
 public:
  // The pruned layer in CSR (fp32 values, int32 indices), as the paper's cuSPARSE CSRMV baseline.
  explicit CusparseCsr(const CompressedLayer& layer, std::int64_t max_batch = 256);
  ~CusparseCsr() override;
  std::int64_t input_size() const override;
  std::int64_t output_size() const override;
  std::int64_t max_batch() const override;
  std::int64_t device_bytes() const override;
  void upload(std::span<const float> x, std::int64_t batch) override;
  void enqueue() override;
  void download(std::span<float> y) override;
  CUstream_st* stream() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------------------
// Timing with CUDA events on the operation's stream, after warm-up runs, caches warm (same weights and input).
//   single:        one enqueue() between two events on an idle stream, then wait: the time from the host
//                  starting the launch to the GPU finishing, launch overhead included.
//   back_to_back:  `group` enqueue()s between two events, divided by `group`: the launch overhead overlaps the
//                  previous run (pipelined), so this is the GPU's time per run, or the host's launch rate if
//                  that is slower.
// Each over as many samples as fit half of the budget (at least min_runs); median and p99 of the samples.
struct CudaTiming {
  double median_us = 0.0;
  double p99_us = 0.0;
  int runs = 0;
  double back_to_back_median_us = 0.0;
  double back_to_back_p99_us = 0.0;
  int back_to_back_samples = 0;
  int group = 0;
};
CudaTiming time_cuda_operation(CudaOperation& operation, double budget_seconds, int min_runs = 20, int group = 32);

}  // namespace eie
