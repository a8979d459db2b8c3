// The Engine: a planned chain of layers, a persistent thread pool and scratch reserved for the largest batch.
// Activations travel between layers in the form the next layer's kernel reads: batch-major (x[b][col], rows
// padded to 16 floats and 64-byte aligned) for sell16 and csr16 (batch 1), column-major (x[col][b], so that one
// decoded weight meets 16 batch elements in one contiguous load) for tcsr. The caller's x and y are
// batch-major; a transpose happens only where the form changes (at batch 1 the two coincide), so a chain of
// tcsr layers pays one on the way in and one on the way out.
#include "eie/engine.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "engine/cost_model.h"
#include "engine/kernels/cpu_features.h"
#include "engine/layer_plan.h"
#include "engine/layouts.h"
#include "engine/thread_pool.h"

namespace eie {

namespace {

void check_thread_count(int threads) {
  if (threads < 1 || threads > EngineOptions::max_threads) {
    throw Error("engine: threads = " + std::to_string(threads) + " is outside 1.." +
                std::to_string(EngineOptions::max_threads));
  }
}

}  // namespace

// What a layer lacks (its codebook, its shape) LayerPlan names with the layer.
void check_layout(Layout layout, Precision precision, KernelIsa kernel) {
  if (layout == Layout::automatic) return;
  const KernelIsa isa = kernel == KernelIsa::automatic ? best_kernel_isa() : kernel;
  // sell16 computes in fp32, and in 8-bit arithmetic for precision int8 on the avx2 and scalar kernels.
  if (layout == Layout::sell16 && precision == Precision::int8 && (isa == KernelIsa::avx2 || isa == KernelIsa::scalar)) {
    return;
  }
  const Precision needed = layout == Layout::sell16x2   ? Precision::bf16
                           : layout == Layout::sell16x4 ? Precision::int8
                                                        : Precision::fp32;
  const std::string head = std::string("engine: layout ") + layout_name(layout) + " needs precision " +
                           precision_name(needed);
  if (needed != Precision::fp32) {
    const bool bf16 = needed == Precision::bf16;
    // bf16 runs on the AVX-512 BF16 kernels and on the portable ones (kernel scalar); sell16x4 on AVX-512 VNNI
    // and VBMI only.
    const bool cpu_has = bf16 ? precision_available(needed) : precision_runs_on(needed, KernelIsa::avx512);
    const std::string portable = bf16 ? " (kernel scalar runs it on the portable kernels)" : "";
    if (!(bf16 && isa == KernelIsa::scalar) && !cpu_has) {
      const std::uint32_t missing =
          engine::missing_cpu_features(bf16 ? engine::kAvx512Bf16Files.features : engine::kAvx512VnniFiles.features);
      throw Error(head + " and the " + (bf16 ? "AVX-512 BF16" : "AVX-512 VNNI and VBMI") + " instructions; this " +
                  (missing != 0 ? "CPU lacks " + engine::cpu_feature_names(missing)
                                : std::string("build has no x86-64 kernels")) + portable);
    }
    if (isa != KernelIsa::avx512 && !(bf16 && isa == KernelIsa::scalar)) {
      throw Error(head + ", which runs on the avx512 kernels, not on the forced kernel '" + kernel_isa_name(isa) +
                  "'" + portable);
    }
  }
  if (precision != needed) {
    throw Error(head + ", not precision " + precision_name(precision));
  }
}

WorkerThreads::WorkerThreads(int threads) {
  check_thread_count(threads);
  pool_ = std::make_unique<engine::ThreadPool>(threads);
}
WorkerThreads::~WorkerThreads() = default;
int WorkerThreads::threads() const { return pool_->threads(); }

// Activations the sell16 kernel reads in batches are 64-byte aligned: it loads pairs of aligned 16-float panels,
// and a load split across two cache lines costs ~20% (Alex-7, one thread). Hence the aligned hidden buffers, and
// a copy of an input batch that is not aligned. (At batch 1 its windows start at any column.)
struct Engine::Scratch {
  engine::AlignedFloats converted;   // an input in the other form: the widest layer input x max_batch
  engine::AlignedFloats hidden[2];   // the widest hidden layer x max_batch, ping-pong
  engine::AlignedFloats last_out;    // the last layer's column-major output (tcsr)
  // Each row block's copy of a chunk of its inputs in fewer bits (reduced_input_bytes per block): rounded to bf16
  // for sell16x2 and tcsrx2, quantized to 8 bits for sell16x4.
  engine::AlignedFloats reduced_inputs;
  std::int64_t reduced_input_bytes = 0;
};

namespace {

using engine::LayerTask;
using engine::TransposeFn;

// in (rows x cols, batch-major) -> out (cols x rows), cut into column ranges, one per task.
struct TransposeTask {
  const float* in;
  std::int64_t in_stride;
  float* out;
  std::int64_t out_stride;
  std::int64_t rows, cols, cols_per_task;
  TransposeFn transpose;
};

void run_transpose(void* context, std::size_t index) {
  const TransposeTask& t = *static_cast<const TransposeTask*>(context);
  const std::int64_t c0 = static_cast<std::int64_t>(index) * t.cols_per_task;
  const std::int64_t c1 = std::min(t.cols, c0 + t.cols_per_task);
  if (c0 < c1) t.transpose(t.in + c0, t.in_stride, t.out + c0 * t.out_stride, t.out_stride, t.rows, c1 - c0);
}

std::int64_t padded(std::int64_t n) { return (n + 15) / 16 * 16; }

void run_block(void* context, std::size_t index) {
  const LayerTask& t = *static_cast<const LayerTask*>(context);
  const engine::RowBlock& block = t.plan->blocks()[index];
  if (block.row_end != block.row_begin) t.layout->run(t, block, index);
}

}  // namespace

Engine::Engine(std::vector<CompressedLayer> layers, EngineOptions options) : options_(options) {
  if (layers.empty()) throw Error("engine: the layer chain is empty");
  check_thread_count(options_.threads);  // before planning, which is the expensive part
  if (options_.max_batch < 1 || options_.max_batch > 65536) {
    throw Error("engine: max_batch = " + std::to_string(options_.max_batch) + " is outside 1..65536");
  }
  if (options_.tcsr_min_batch < 0) {
    throw Error("engine: tcsr_min_batch = " + std::to_string(options_.tcsr_min_batch) + " is negative");
  }
  if (options_.workers && options_.workers->threads() != options_.threads) {
    throw Error("engine: the shared workers have " + std::to_string(options_.workers->threads()) +
                " threads, options.threads = " + std::to_string(options_.threads));
  }
  if (!kernel_isa_available(options_.kernel)) {
    // NEON needs no CPU feature but exists only in AArch64 builds; the x86 sets name what the CPU lacks.
    const std::uint32_t missing = engine::missing_cpu_features(engine::kernel_isa_features(options_.kernel));
    throw Error(std::string("engine: kernel '") + kernel_isa_name(options_.kernel) + "' is not available on this " +
                (missing != 0 ? "CPU, which lacks " + engine::cpu_feature_names(missing)
                              : std::string("build (its kernels are compiled for AArch64 targets only)")) +
                " (available: scalar" +
                (kernel_isa_available(KernelIsa::avx2) ? ", avx2" : "") +
                (kernel_isa_available(KernelIsa::avx512) ? ", avx512" : "") +
                (kernel_isa_available(KernelIsa::neon) ? ", neon" : "") + ")");
  }
  isa_ = options_.kernel == KernelIsa::automatic ? best_kernel_isa() : options_.kernel;
  // A reduced precision runs on the portable kernels wherever the scalar kernels are forced.
  const bool portable = options_.precision != Precision::fp32 && isa_ == KernelIsa::scalar;
  if (!portable && !precision_available(options_.precision)) {
    throw Error(std::string("engine: precision '") + precision_name(options_.precision) +
                "' needs the " + precision_instructions(options_.precision) + " instructions, which this CPU lacks");
  }
  // int8 runs on the avx512 kernels where the CPU has VNNI and VBMI too, else on the avx2 ones.
  const bool int8 = options_.precision == Precision::int8;
  if (int8 && isa_ == KernelIsa::avx512 && !engine::avx512_int8_available()) {
    if (options_.kernel != KernelIsa::automatic) {
      throw Error("engine: precision 'int8' on the forced kernel 'avx512' needs AVX-512 VNNI and VBMI, which this "
                  "CPU lacks (the avx2 kernels run it)");
    }
    isa_ = KernelIsa::avx2;
  }
  if (!portable && options_.precision != Precision::fp32 && isa_ != KernelIsa::avx512 &&
      !(int8 && isa_ == KernelIsa::avx2)) {
    throw Error(std::string("engine: precision '") + precision_name(options_.precision) + "' runs on the " +
                (int8 ? "avx512, avx2" : "avx512") + " and scalar kernels, not on the forced kernel '" +
                kernel_isa_name(isa_) + "'");
  }
  check_layout(options_.layout, options_.precision, isa_);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    layers[i].validate();
    if (i > 0 && layers[i].cols != layers[i - 1].rows) {
      throw Error("engine: layer " + std::to_string(i) + " ('" + layers[i].name + "') takes " +
                  std::to_string(layers[i].cols) + " inputs but layer " + std::to_string(i - 1) + " ('" +
                  layers[i - 1].name + "') gives " + std::to_string(layers[i - 1].rows));
    }
  }
  auto plans = std::make_shared<std::vector<LayerPlan>>();
  plans->reserve(layers.size());
  for (const CompressedLayer& layer : layers) {
    plans->emplace_back(layer, options_.threads, isa_, options_.max_batch, options_.tcsr_min_batch,
                        options_.skip_zero_activations, options_.precision, options_.compact_codes,
                        options_.layout);
  }
  plans_ = std::move(plans);
  workers_ = options_.workers ? options_.workers : std::make_shared<WorkerThreads>(options_.threads);
  allocate_scratch();
}

Engine::Engine(const Engine& other) : options_(other.options_), isa_(other.isa_), plans_(other.plans_) {
  options_.workers = nullptr;  // the copy may run concurrently with the original
  workers_ = std::make_shared<WorkerThreads>(options_.threads);
  allocate_scratch();
}

void Engine::allocate_scratch() {
  scratch_ = std::make_unique<Scratch>();
  const std::vector<LayerPlan>& plans = *plans_;
  const auto batch = static_cast<std::size_t>(options_.max_batch);
  std::int64_t widest_hidden = 0, widest_input = 0;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    widest_input = std::max(widest_input, padded(plans[i].cols()));
    if (i + 1 < plans.size()) widest_hidden = std::max(widest_hidden, padded(plans[i].rows()));
  }
  scratch_->converted = engine::aligned_floats(static_cast<std::size_t>(widest_input) * batch);
  for (auto& buffer : scratch_->hidden) buffer = engine::aligned_floats(static_cast<std::size_t>(widest_hidden) * batch);
  if (plans.back().uses_tcsr(options_.max_batch)) {
    scratch_->last_out = engine::aligned_floats(static_cast<std::size_t>(plans.back().rows()) * batch);
  }
  // Per thread, the reduced inputs of whichever planned layout keeps the most (LayoutTraits::input_bytes), a whole
  // number of cache lines, so that the threads' copies never share one.
  std::int64_t& bytes = scratch_->reduced_input_bytes;
  for (const LayerPlan& plan : plans) {
    for (const engine::PlannedLayout* planned : {&plan.batch_one(), &plan.batches(), &plan.sparse()}) {
      if (*planned && planned->traits->input_bytes != nullptr) {
        bytes = std::max(bytes, planned->traits->input_bytes(plan.cols(), options_.max_batch));
      }
    }
  }
  if (bytes > 0) {
    scratch_->reduced_inputs = engine::aligned_floats(static_cast<std::size_t>(bytes / 4 * options_.threads));
  }
}

Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

std::int64_t Engine::input_size() const { return plans_->front().cols(); }
std::int64_t Engine::output_size() const { return plans_->back().rows(); }

std::vector<LayerPlanInfo> Engine::plan_info() const {
  std::vector<LayerPlanInfo> info;
  for (const LayerPlan& plan : *plans_) info.push_back(plan.info());
  return info;
}

std::int64_t Engine::resident_bytes() const {
  std::int64_t bytes = 0;
  for (const LayerPlan& plan : *plans_) bytes += plan.info().resident_bytes;
  return bytes;
}

void Engine::run(std::span<const float> x, std::span<float> y) { run_batch(x, y, 1); }

void Engine::run_batch(std::span<const float> x, std::span<float> y, std::int64_t batch) {
  if (batch < 1 || batch > options_.max_batch) {
    throw Error("engine: batch = " + std::to_string(batch) + " is outside 1.." + std::to_string(options_.max_batch) +
                " (EngineOptions::max_batch)");
  }
  const auto expect_in = static_cast<std::size_t>(input_size() * batch);
  const auto expect_out = static_cast<std::size_t>(output_size() * batch);
  if (x.size() != expect_in) {
    throw Error("engine: input x has " + std::to_string(x.size()) + " floats, expected " +
                std::to_string(expect_in) + " (batch " + std::to_string(batch) + " x " +
                std::to_string(input_size()) + " inputs)");
  }
  if (y.size() != expect_out) {
    throw Error("engine: output y has " + std::to_string(y.size()) + " floats, expected " +
                std::to_string(expect_out) + " (batch " + std::to_string(batch) + " x " +
                std::to_string(output_size()) + " outputs)");
  }
  const std::vector<LayerPlan>& plans = *plans_;
  const engine::TransposeKernel transpose = engine::transpose_kernel(isa_);
  // The current activations: batch-major with `stride` floats per element, or column-major (tcsr).
  const float* in = x.data();
  bool batch_major = true;
  std::int64_t stride = input_size();
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const LayerPlan& plan = plans[i];
    const bool last = i + 1 == plans.size();
    const bool tcsr = plan.uses_tcsr(batch);
    float* converted = scratch_->converted.get();
    if (tcsr && batch_major) {
      // All threads: 256 K floats for Alex-7 at batch 64 took ~40 us on one.
      TransposeTask tt{in, stride, converted, batch, batch, plan.cols(), 0, transpose};
      const std::int64_t tasks = batch * plan.cols() < engine::kMinEntriesToShare ? 1 : options_.threads;
      tt.cols_per_task = (plan.cols() + 16 * tasks - 1) / (16 * tasks) * 16;
      if (tasks == 1) {
        run_transpose(&tt, 0);
      } else {
        workers_->pool_->parallel_for(static_cast<std::size_t>(tasks), run_transpose, &tt);
      }
      in = converted;
    } else if (!tcsr && !batch_major) {
      transpose(in, batch, converted, padded(plan.cols()), plan.cols(), batch);
      in = converted;
      stride = padded(plan.cols());
    } else if (!tcsr && batch > 1 && plan.batch_one() && plan.batch_one().traits->aligned_batches) {
      const bool aligned = reinterpret_cast<std::uintptr_t>(in) % 64 == 0 && stride % 16 == 0;
      if (!aligned) {
        for (std::int64_t b = 0; b < batch; ++b) {
          std::copy(in + b * stride, in + b * stride + plan.cols(), converted + b * padded(plan.cols()));
        }
        in = converted;
        stride = padded(plan.cols());
      }
    }
    const engine::PlannedLayout& layout = plan.layout_for(batch, plan.uses_csc(batch, in));
    LayerTask task{&plan, layout.traits, layout.kernel, in, nullptr, batch,
                   last ? options_.output_activation : options_.hidden_activation};
    task.reduced_inputs = reinterpret_cast<std::uint8_t*>(scratch_->reduced_inputs.get());
    task.reduced_input_bytes = scratch_->reduced_input_bytes;
    if (tcsr) {
      task.out = last ? scratch_->last_out.get() : scratch_->hidden[i % 2].get();
      batch_major = false;
      if (last) {
        task.batch_major_out = y.data();
        task.batch_major_stride = output_size();
        task.transpose = transpose;
        batch_major = true;
      }
    } else {
      task.in_stride = stride;
      task.out_stride = last ? output_size() : padded(plan.rows());
      task.out = last ? y.data() : scratch_->hidden[i % 2].get();
      batch_major = true;
      stride = task.out_stride;
    }
    if (batch * plan.entries() < engine::kMinEntriesToShare) {
      for (std::size_t b = 0; b < plan.blocks().size(); ++b) run_block(&task, b);
    } else {
      workers_->pool_->parallel_for(plan.blocks().size(), run_block, &task);
    }
    in = task.out;
  }
}

}  // namespace eie
