// The Engine: a planned chain of layers, a persistent thread pool and scratch reserved for the largest batch.
// Batch 1 runs straight from the caller's x into the caller's y. A batch is transposed once on the way in to
// column-major (x[col][b], so that one decoded weight meets all batch elements in one contiguous load) and once
// on the way out; the layers in between stay in that form.
#include "eie/engine.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "engine/layer_plan.h"
#include "engine/thread_pool.h"

namespace eie {

class Engine::Pool : public engine::ThreadPool {
 public:
  using ThreadPool::ThreadPool;
};

// Activations the sell16 kernel reads are 64-byte aligned: each of its loads is one 16-float panel, and a
// panel split across two cache lines costs ~20% (Alex-7, one thread). Hence the aligned hidden buffers, and a
// copy of a batch-1 input that is not aligned.
struct Engine::Scratch {
  std::vector<float> transposed_in;   // cols of the first layer x max_batch (batch > 1 only)
  std::vector<float> transposed_out;  // rows of the last layer x max_batch (batch > 1 only)
  engine::AlignedFloats aligned_in;   // cols of the first layer (batch 1 through sell16)
  engine::AlignedFloats hidden[2];    // the widest hidden layer x max_batch, ping-pong
};

namespace {

struct LayerTask {
  const LayerPlan* plan;
  const float* in;
  float* out;
  std::int64_t batch;
  Activation activation;
};

void run_block(void* context, std::size_t index) {
  const LayerTask& t = *static_cast<const LayerTask*>(context);
  const engine::RowBlock& block = t.plan->blocks()[index];
  if (block.row_end == block.row_begin) return;
  if (t.batch == 1 && t.plan->has_sell()) {
    engine::SellArgs args;
    args.layer_ptr = block.sell.layer_ptr.data();
    args.slots = block.sell.slots.data();
    args.masks = block.sell.masks.data();
    args.panels = block.sell.panels.data();
    args.rows = block.row_end - block.row_begin;
    args.table = t.plan->table();
    args.x = t.in;
    args.x_tail_mask = t.plan->sell_tail_mask();
    args.y = t.out + block.row_begin;
    args.bias = t.plan->bias().empty() ? nullptr : t.plan->bias().data() + block.row_begin;
    args.activation = t.activation;
    return engine::spmv_sell16__avx512(args);
  }
  const std::size_t panels = block.panels.size();
  for (std::size_t p = 0; p < panels; ++p) {
    const engine::Panel& panel = block.panels[p];
    engine::SpmvArgs args;
    args.row_ptr = panel.row_ptr.data();
    args.cols = panel.cols.data();
    args.codes = panel.codes.data();
    args.rows = block.row_end - block.row_begin;
    args.table = t.plan->table();
    args.table_size = t.plan->table_size();
    args.x = t.in + panel.col_begin * t.batch;
    args.batch = t.batch;
    args.y = t.out + block.row_begin * t.batch;
    args.bias = t.plan->bias().empty() ? nullptr : t.plan->bias().data() + block.row_begin;
    args.first = p == 0;
    args.last = p + 1 == panels;
    args.activation = t.activation;
    t.plan->kernel()(args);
  }
}

void transpose(const float* in, float* out, std::int64_t rows, std::int64_t cols) {
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) out[c * rows + r] = in[r * cols + c];
  }
}

}  // namespace

Engine::Engine(std::vector<CompressedLayer> layers, EngineOptions options) : options_(options) {
  if (layers.empty()) throw Error("engine: the layer chain is empty");
  if (options_.threads < 1 || options_.threads > EngineOptions::max_threads) {
    throw Error("engine: threads = " + std::to_string(options_.threads) + " is outside 1.." +
                std::to_string(EngineOptions::max_threads));
  }
  if (options_.max_batch < 1 || options_.max_batch > 65536) {
    throw Error("engine: max_batch = " + std::to_string(options_.max_batch) + " is outside 1..65536");
  }
  if (!kernel_isa_available(options_.kernel)) {
    throw Error(std::string("engine: kernel '") + kernel_isa_name(options_.kernel) +
                "' is not available on this CPU (available: scalar" +
                (kernel_isa_available(KernelIsa::avx2) ? ", avx2" : "") + ")");
  }
  isa_ = options_.kernel == KernelIsa::automatic ? best_kernel_isa() : options_.kernel;
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
  for (const CompressedLayer& layer : layers) plans->emplace_back(layer, options_.threads, isa_, options_.max_batch);
  plans_ = std::move(plans);
  allocate_scratch();
}

Engine::Engine(const Engine& other) : options_(other.options_), isa_(other.isa_), plans_(other.plans_) {
  allocate_scratch();
}

void Engine::allocate_scratch() {
  scratch_ = std::make_unique<Scratch>();
  pool_ = std::make_unique<Pool>(options_.threads);
  const std::vector<LayerPlan>& plans = *plans_;
  const auto batch = static_cast<std::size_t>(options_.max_batch);
  std::int64_t widest_hidden = 0;
  for (std::size_t i = 0; i + 1 < plans.size(); ++i) widest_hidden = std::max(widest_hidden, plans[i].rows());
  if (batch > 1) {
    scratch_->transposed_in.resize(static_cast<std::size_t>(plans.front().cols()) * batch);
    scratch_->transposed_out.resize(static_cast<std::size_t>(plans.back().rows()) * batch);
  }
  for (auto& buffer : scratch_->hidden) buffer = engine::aligned_floats(static_cast<std::size_t>(widest_hidden) * batch);
  if (plans.front().has_sell()) scratch_->aligned_in = engine::aligned_floats(static_cast<std::size_t>(plans.front().cols()));
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
  const float* in = x.data();
  if (batch == 1 && plans.front().has_sell() && reinterpret_cast<std::uintptr_t>(in) % 64 != 0) {
    std::copy(x.begin(), x.end(), scratch_->aligned_in.get());
    in = scratch_->aligned_in.get();
  }
  if (batch > 1) {
    transpose(x.data(), scratch_->transposed_in.data(), batch, input_size());
    in = scratch_->transposed_in.data();
  }
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const bool last = i + 1 == plans.size();
    float* out = !last ? scratch_->hidden[i % 2].get() : batch > 1 ? scratch_->transposed_out.data() : y.data();
    LayerTask task{&plans[i], in, out, batch, last ? options_.output_activation : options_.hidden_activation};
    pool_->parallel_for(plans[i].blocks().size(), run_block, &task);
    in = out;
  }
  if (batch > 1) transpose(scratch_->transposed_out.data(), y.data(), output_size(), batch);
}

}  // namespace eie
