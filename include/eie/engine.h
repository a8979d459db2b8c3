// eie/engine.h: the CPU engine. It runs a chain of compressed layers directly in their compressed form.
//
// Planning (the Engine constructor) re-encodes every CompressedLayer into the layouts its kernels want: rows
// split into one block per thread, balanced by stored entries (not rows); for batch 1 sell16 (sliced ELLPACK,
// slices of 16 rows; AVX-512, NEON) or csr16 (CSR with 16-bit column indices), and when max_batch > 1 also tcsr
// (tiled CSR: CSR in column panels) for batches; the codebook padded into a lookup table the kernels
// can decode with permute instructions. The kernel is chosen once per layer from the CPU's features (scalar,
// AVX2, AVX-512, NEON), or forced by EngineOptions::kernel. run() and run_batch() allocate nothing: scratch for the
// largest batch is reserved at plan time. docs/engine.md describes the layouts, the kernels and their
// measured speed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "eie/core.h"
#include "eie/model.h"

namespace eie {

// Which instruction set the kernels use. `automatic` picks the widest one this CPU supports. An x86-64 build has
// avx2 and avx512, an AArch64 build neon (Advanced SIMD: sell16 and tcsr; csr16 and csc run the portable kernels).
enum class KernelIsa { automatic, scalar, avx2, avx512, neon };
// "auto", "scalar", "avx2", "avx512", "neon"; parse_kernel_isa throws Error naming the value otherwise.
const char* kernel_isa_name(KernelIsa isa);
KernelIsa parse_kernel_isa(const std::string& name);
// Whether this binary was built with the kernels of `isa` and this CPU can run them.
bool kernel_isa_available(KernelIsa isa);
// The widest instruction set available here.
KernelIsa best_kernel_isa();

// The arithmetic of the AVX-512 kernels. fp32: every product and sum in fp32, within the summation bound of
// docs/engine.md. bf16: the input and the codebook rounded to bfloat16 (8 significant bits, as the EIE chip's
// 16-bit arithmetic trades precision for speed), products exact and summed in fp32, the bias and activation in
// fp32 (AVX-512 BF16; layers with at most 64 codebook entries and a zero or unused code; the others, and csc,
// keep fp32). Its error bound is in docs/engine.md.
// int8: each input quantized to 8 bits with its own scale (0..255 for inputs without negative values, else
// -127..127 offset by 128), the codebook to 8 bits with one scale per layer, products summed exactly in int32
// and scaled back to fp32 for the bias and activation. On AVX-512 VNNI and VBMI (vpdpbusd; layers with at most
// 64 codebook entries and 65,536 inputs; the others, and csc, keep fp32; every batch size runs the batch-1
// layout); on AVX2 (vpmaddubsw; where the fp32 sell16 layout applies, with at most 16 codebook entries and
// 65,536 inputs; the others, csc, and the batches from LayerPlanInfo::batch_kernel_from on tcsr keep fp32), with
// the same quantization and outputs. An input holding NaN or Inf runs in fp32 on the same layout,
// so they propagate as in fp32. Its error bound is in docs/engine.md.
enum class Precision { fp32, bf16, int8 };
// "fp32", "bf16", "int8"; parse_precision throws Error naming the value otherwise.
const char* precision_name(Precision precision);
Precision parse_precision(const std::string& name);
// Whether this binary and CPU can run `precision` (bf16: the AVX-512 BF16 instructions; int8: AVX-512 VNNI and
// VBMI, or AVX2).
bool precision_available(Precision precision);
// Whether `precision` runs on the kernels of `kernel` here: fp32 on every kernel available; bf16 on avx512 (where
// precision_available) and on the portable scalar kernels of every CPU (sell16x2 and tcsrx2 in plain C++, slow:
// for tests and machines without AVX-512 BF16); int8 on avx512 and avx2 where precision_available and on the
// portable scalar kernels of every CPU (sell16 in 8-bit arithmetic, plain C++). automatic: the avx512 kernels
// for bf16, avx512 or avx2 for int8.
bool precision_runs_on(Precision precision, KernelIsa kernel);
// The instructions a precision needs beyond fp32's, named for error messages ("AVX-512 BF16"; "" for fp32).
const char* precision_instructions(Precision precision);

// Which layout runs a layer (layer_plan.h describes each; docs/engine.md their speed). `automatic` lets the
// planner choose per layer from its shape, codebook, padding and the batch. Forcing one plans that layout for
// every layer of the chain, or throws Error naming the layer and what it lacks:
// - sell16: batch 1 and every batch (precision fp32, codebooks of at most 64 entries); the ISA's own kernel, or
//   the portable one where it has none (scalar; AVX2 with codebooks of over 16 entries).
// - sell16x2: every batch (precision bf16: AVX-512 BF16, a zero or unused code in the table).
// - sell16x4: every batch (precision int8: AVX-512 VNNI and VBMI, at most 65,536 inputs).
// - tcsr: every batch, batch 1 included (precision fp32).
// - csr16: batch 1; larger batches run on tcsr, as csr16 runs batch 1 only (precision fp32).
// - csc: every batch-1 run, whatever its input's density; larger batches on tcsr (precision fp32).
enum class Layout { automatic, sell16, sell16x2, sell16x4, tcsr, csr16, csc };
// "auto", "sell16", "sell16x2", "sell16x4", "tcsr", "csr16", "csc"; parse_layout throws Error naming the value
// otherwise.
const char* layout_name(Layout layout);
Layout parse_layout(const std::string& name);
// Throws the one-line Error the Engine throws when a forced `layout` cannot run with `precision` on `kernel`
// (automatic: the widest here) in this binary on this CPU: the precision it needs, that precision's instructions.
// What a layer cannot take (its codebook, its shape) only planning finds.
void check_layout(Layout layout, Precision precision, KernelIsa kernel);

class WorkerThreads;
namespace engine {
class ThreadPool;
}

struct EngineOptions {
  int threads = 1;                             // 1..max_threads; the calling thread is one of them
  KernelIsa kernel = KernelIsa::automatic;     // force a kernel (tests, benchmarks); Error if unavailable
  Activation hidden_activation = Activation::relu;  // between layers of the chain
  Activation output_activation = Activation::none;  // after the last layer
  // Largest batch run_batch() accepts: scratch is sized for it, and from tcsr_min_batch the batch layout tcsr is
  // planned too, about 2 bytes per stored entry more. Set 1 for a batch-1-only engine.
  std::int64_t max_batch = 256;
  // Where sell16 runs batch 1: the smallest batch that runs on tcsr instead (0: the planner's choice, from the
  // layer's padding, reported as LayerPlanInfo::batch_kernel_from; above max_batch: never, and tcsr is not
  // planned). Where csr16 runs batch 1, tcsr takes every batch from 2.
  // Benchmarks compare the two layouts with it.
  std::int64_t tcsr_min_batch = 0;
  // Also plan csc, a column-major copy of each layer (~2 bytes per stored entry more, 4 where a thread's block
  // has over 4096 rows or the codebook over 16 entries) whose batch-1 kernel visits only the non-zero
  // activations, as the EIE chip does. Each batch-1 run counts its input's non-zeros and takes csc when their
  // share is below the layer's break-even (LayerPlanInfo::sparse_kernel_below), else the usual layout (not
  // planned where a block would hold 2^24 rows or more). Off by default: it costs memory and pays only for
  // sparse inputs (docs/engine.md).
  bool skip_zero_activations = false;
  // bf16: the sell16x2 layout and kernel where a layer allows it (Precision); int8: sell16x4 on the avx512
  // kernels, sell16 in 8-bit arithmetic on the avx2 ones (automatic: avx2 where the CPU has AVX-512 without VNNI
  // or VBMI); both on the portable kernels with kernel scalar, on every CPU. Error on a CPU without the
  // precision's instructions (precision_available) unless kernel is scalar, or with a forced kernel other than
  // avx512 or scalar (bf16) or avx512, avx2 or scalar (int8).
  Precision precision = Precision::fp32;
  // int8: every layer whose codebook has at most 16 entries stores sell16x4's codes compact (two bits in the
  // slot, two in a byte shared by four tiers: 1.25 bytes per slot against 1.5; docs/engine.md gives its speed).
  // Without it only the layers whose nibbles would take over 1.5x their 64-PE EIE encoding, or over 6 MB, do.
  bool compact_codes = false;
  // Force one layout for every layer (Layout), e.g. to test or time it; automatic: the planner's choice.
  Layout layout = Layout::automatic;
  // Run on these worker threads instead of the engine's own (their count must equal `threads`). Engines that
  // run one after another on one calling thread, like the layers of a ModelEngine, share one set: otherwise
  // each engine's idle workers spin for a while after its layer while the next engine's workers need the
  // cores. Engines sharing workers must never run at the same time.
  std::shared_ptr<WorkerThreads> workers = nullptr;

  static constexpr int max_threads = 256;
};

// Persistent worker threads (threads - 1 of them; the caller is the last) that Engines can share
// (EngineOptions::workers).
class WorkerThreads {
 public:
  explicit WorkerThreads(int threads);  // Error outside 1..EngineOptions::max_threads
  ~WorkerThreads();
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;
  int threads() const;

 private:
  friend class Engine;
  std::unique_ptr<engine::ThreadPool> pool_;
};

// What planning decided for one layer.
struct LayerPlanInfo {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t entries = 0;         // stored (non-zero) weights
  std::string kernel;               // batch 1, e.g. "spmv_sell16_cb16__avx512" ("spmv_sell16x2_cb16__avx512bf16": bf16)
  // Batches of batch_kernel_from or more run on batch_kernel (e.g. "spmm_tcsr_cb16__avx512"), smaller ones on
  // `kernel`; empty when max_batch is below it.
  std::string batch_kernel;
  std::int64_t batch_kernel_from = 0;
  bool batch_kernel_runs(std::int64_t batch) const { return !batch_kernel.empty() && batch >= batch_kernel_from; }
  const std::string& kernel_for(std::int64_t batch) const { return batch_kernel_runs(batch) ? batch_kernel : kernel; }
  // With EngineOptions::skip_zero_activations: a batch-1 input with at most sparse_kernel_below of its values
  // non-zero runs on sparse_kernel ("spmv_csc__scalar"), which visits only those; empty otherwise.
  std::string sparse_kernel;
  double sparse_kernel_below = 0.0;
  bool sparse_kernel_runs(std::int64_t batch, double input_density) const {
    return batch == 1 && !sparse_kernel.empty() && input_density <= sparse_kernel_below;
  }
  // The layout a dense run of `batch` reads (the codebook and bias count with the batch-1 layout).
  std::int64_t bytes_for(std::int64_t batch) const {
    return batch_kernel_runs(batch) ? tcsr_bytes : resident_bytes - tcsr_bytes - csc_bytes;
  }
  std::int64_t resident_bytes = 0;  // the planned layouts (tcsr_bytes and csc_bytes included), codebook, bias
  std::int64_t tcsr_bytes = 0;      // the batch layout alone
  std::int64_t csc_bytes = 0;       // the activation-skipping layout alone
  double imbalance = 1.0;           // max / mean entries over the thread blocks
  std::int64_t sell_slots = 0;      // sell16 lanes including padding (0 when sell16 is not planned)
};

class LayerPlan;

// Runs y = f_L(W_L ... f_1(W_1 x + b_1) ... + b_L) on the planned chain. Copying an Engine shares the planned
// (immutable) weights and gives the copy its own scratch and worker threads (also when the original shares
// EngineOptions::workers): run() mutates scratch, so one Engine serves one calling thread at a time; give each
// thread its own copy.
class Engine {
 public:
  // Throws Error for an empty chain, a layer that fails validate(), consecutive layers whose shapes do not
  // chain (layer i's rows != layer i+1's cols), threads outside 1..max_threads, max_batch outside 1..65536, or
  // a forced kernel this binary or CPU lacks, or a precision it cannot run.
  explicit Engine(std::vector<CompressedLayer> layers, EngineOptions options = {});
  Engine(const Engine& other);
  Engine& operator=(const Engine&) = delete;
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  std::int64_t input_size() const;
  std::int64_t output_size() const;
  const EngineOptions& options() const { return options_; }
  KernelIsa kernel_isa() const { return isa_; }
  std::vector<LayerPlanInfo> plan_info() const;
  std::int64_t resident_bytes() const;  // planned layers only (scratch excluded)

  // One input (x: input_size() floats) to one output (y: output_size() floats). NaN and Inf inputs
  // propagate through the arithmetic as in the reference (they never crash). Throws Error naming the argument
  // and its size when a span has the wrong length.
  void run(std::span<const float> x, std::span<float> y);
  // `batch` inputs stored one after another (x: batch * input_size()) to batch outputs
  // (y: batch * output_size()). Throws Error for batch outside 1..max_batch or a span of the wrong length.
  void run_batch(std::span<const float> x, std::span<float> y, std::int64_t batch);

 private:
  struct Scratch;
  void allocate_scratch();
  EngineOptions options_;
  KernelIsa isa_ = KernelIsa::scalar;
  std::shared_ptr<const std::vector<LayerPlan>> plans_;
  std::unique_ptr<Scratch> scratch_;
  std::shared_ptr<WorkerThreads> workers_;
};

// ---------------------------------------------------------------------------------------------------------
// Whole networks. ModelEngine plans a Model (eie/model.h) once for fixed input shapes: shapes inferred, every
// tensor's buffer allocated, every node bound to a step. Matrix products with a constant weight (Gemm, MatMul
// with a constant B, Conv via im2col, LSTM steps as one product over [x, h]) run through an Engine when the
// weight is compressed and through OpenBLAS when it is dense; every other node runs its scalar operator
// (src/model/ops/), the same code reference_run() uses. docs/network.md describes the plan.
struct ModelEngineOptions {
  int threads = 1;                          // for the compressed products (EngineOptions::threads)
  KernelIsa kernel = KernelIsa::automatic;  // forced kernel for the compressed products
  bool skip_zero_activations = false;       // EngineOptions::skip_zero_activations for the compressed products
  Precision precision = Precision::fp32;    // EngineOptions::precision for the compressed products
  bool compact_codes = false;               // EngineOptions::compact_codes for the compressed products
  Layout layout = Layout::automatic;        // EngineOptions::layout for the compressed products
  // Y (m x n) = X (m x k) W^T + bias for one dense weight.
  using DenseProduct = std::function<void(const float* x, float* y, std::int64_t m)>;
  // When set, runs the dense products (weights not compressed) instead of OpenBLAS: called once per such product
  // at planning with its rows-first n x k matrix and bias. For timing other libraries on the same network (the
  // oneDNN rows of `eie bench MODEL.eie`).
  std::function<DenseProduct(std::vector<float> weights, std::int64_t n, std::int64_t k, std::vector<float> bias)>
      dense_products = nullptr;
  // Times every node's step in run() (NodePlanInfo::seconds and runs): two clock reads per node, a few percent
  // of a network of small nodes. For finding where a network's time goes (`eie bench MODEL.eie --profile`).
  bool profile = false;
};

// How one node is executed.
struct NodePlanInfo {
  std::string node;
  std::string op_type;
  std::string path;  // "compressed <kernel>", "dense OpenBLAS", "scalar operator", "fused into <node>"
  // Nodes with a constant weight: the kernel of its product at the planned batch ("spmv_sell16_cb16__avx2",
  // "OpenBLAS", "dense_products"), and the bytes its weights occupy as planned (every planned layout, codebook
  // and bias of a compressed weight; fp32 values of a dense one). Empty and 0 for other nodes.
  std::string kernel;
  std::int64_t weight_bytes = 0;
  // With ModelEngineOptions::profile: the seconds spent in this node over `runs` runs of the plan.
  double seconds = 0.0;
  std::int64_t runs = 0;
};

class ModelEngine {
 public:
  // Plans for `input_shapes` (one per graph input, in order). Throws Error naming the node or tensor for an
  // unsupported operator or attribute, a graph input whose shape or type does not match the model, a shape
  // that cannot be resolved, a node input that is neither computed nor a constant.
  ModelEngine(const Model& model, const std::vector<Shape>& input_shapes, ModelEngineOptions options = {});
  // Plans for the shapes the model declares (every dimension must be known).
  explicit ModelEngine(const Model& model, ModelEngineOptions options = {});
  ModelEngine(ModelEngine&&) noexcept;
  ModelEngine& operator=(ModelEngine&&) noexcept;
  ~ModelEngine();

  // The current plan's shapes and steps.
  const std::vector<Shape>& input_shapes() const;
  const std::vector<Shape>& output_shapes() const;
  std::vector<NodePlanInfo> plan_info() const;

  // Makes the plan for `input_shapes` the current one: planned on first use of these shapes (a model with
  // dynamic axes: a new batch or sequence length), then kept, so that a later call with the same shapes plans
  // nothing. The latest kMaxCachedPlans plans are kept (each holds its own buffers); the least recently used
  // goes first. Throws as the constructor; the current plan stays as it was then.
  void reshape(const std::vector<Shape>& input_shapes);
  static constexpr std::size_t kMaxCachedPlans = 8;
  std::size_t cached_plans() const;
  std::int64_t plans_made() const;  // plans made since construction (the constructor's included)

  // Runs the current plan; inputs and outputs in graph order, each exactly as large as its planned shape (Error
  // naming the tensor otherwise). Allocates nothing.
  void run(const std::vector<std::span<const float>>& inputs, const std::vector<std::span<float>>& outputs);
  // The same with tensors, at their shapes (reshape() first when they differ from the current plan's); returns
  // the outputs (allocating them).
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);

 private:
  struct Plan;
  static std::unique_ptr<Plan> make_plan(const Model& original, const std::vector<Shape>& input_shapes,
                                         const ModelEngineOptions& options,
                                         const std::shared_ptr<WorkerThreads>& workers);
  std::shared_ptr<const Model> model_;  // the graph as given, planned again for each new set of shapes
  ModelEngineOptions options_;
  std::shared_ptr<WorkerThreads> workers_;  // one set of threads for every plan
  std::vector<std::unique_ptr<Plan>> plans_;  // most recently used first; plans_.front() is the current one
  std::int64_t plans_made_ = 0;
};

// Yardsticks for the benchmarks. The core clock measured with a chain of dependent one-cycle adds (GHz), and
// the read bandwidth (GB/s) of `threads` threads streaming a warm buffer of `bytes` with the widest vector
// loads available: what a kernel whose data has that footprint could at most read.
double measure_core_ghz();
double measure_read_bandwidth(std::int64_t bytes, int threads);

}  // namespace eie
