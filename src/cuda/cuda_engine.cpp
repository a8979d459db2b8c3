// CudaEngine: plans a chain of layers onto the GPU and runs it as one CUDA Graph launch.
//
// Plan (constructor): validate the chain, check the device and its free memory, re-encode every layer
// (layout.cpp) and copy it to the device, allocate all scratch for max_batch, then capture the two chains
// into graphs:
//   batch 1:  memset(list counters) -> per layer [list_activations -> scatter_columns] -> ReLU (if asked)
//             Layer i's list_activations reads layer i-1's raw output and applies the hidden activation as it
//             lists, so the activation costs no pass of its own.
//   batch N:  to_feature_major(input) -> per layer spmm_panels (bias and activation in its epilogue)
//             -> to_batch_major(output)
// The batch size of the batch-N graph lives in device memory (set by upload() when it changes), so one graph
// serves every batch 2..max_batch; blocks of batch tiles beyond it return at once.
#include <algorithm>
#include <string>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/layout.h"
#include "cuda/resources.h"
#include "eie/cuda.h"

namespace eie {
namespace {

using cuda::check;
using cuda::DeviceBuffer;

struct PlannedLayer {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t entries = 0;
  std::int64_t bytes = 0;
  int scatter_blocks = 1;
  DeviceBuffer<std::uint32_t> col_ptr, csc, panel_ptr;
  DeviceBuffer<std::uint16_t> panel_entries;
  DeviceBuffer<float> table, bias;
  cuda::DeviceLayer view;
};

std::int64_t round_up(std::int64_t n, std::int64_t m) { return (n + m - 1) / m * m; }

std::string describe_batch(std::int64_t batch, std::int64_t n, const char* what) {
  return "(batch " + std::to_string(batch) + " x " + std::to_string(n) + " " + what + ")";
}

}  // namespace

struct CudaEngine::Impl {
  CudaEngineOptions options;
  std::vector<PlannedLayer> layers;
  std::int64_t device_bytes = 0;
  int ld = 0;     // feature-major row length: max_batch rounded up to kBatchTile
  int tiles = 0;  // ld / kBatchTile
  cuda::Stream stream;
  DeviceBuffer<float> input, output;        // batch-major, max_batch elements
  DeviceBuffer<float> hidden[2];            // batch 1: raw outputs of the hidden layers, alternating
  DeviceBuffer<cuda::ActivationEntry> list;  // batch 1: the non-zero activations of the current layer
  DeviceBuffer<unsigned> counts;            // batch 1: list length, one counter per layer
  DeviceBuffer<float> feature_major[2];     // batch > 1: activations [feature][ld], alternating
  DeviceBuffer<int> batch_device;
  cuda::PinnedBuffer<int> batch_host{1};
  std::int64_t batch = 1;           // of the last upload()
  std::int64_t device_batch = 0;    // the value batch_device holds
  cuda::GraphExec graph_single, graph_batch;

  std::int64_t input_size() const { return layers.front().cols; }
  std::int64_t output_size() const { return layers.back().rows; }
  bool relu_after(std::size_t i) const {
    return (i + 1 == layers.size() ? options.output_activation : options.hidden_activation) == Activation::relu;
  }

  void enqueue_single(cudaStream_t s) const {
    check(cudaMemsetAsync(counts.data(), 0, counts.bytes(), s), "cudaMemsetAsync (activation list counters)");
    const float* in = input.data();
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const PlannedLayer& l = layers[i];
      float* out = i + 1 == layers.size() ? output.data() : hidden[i % 2].data();
      const bool relu_in = i > 0 && relu_after(i - 1);
      check(cuda::launch_list_activations(in, static_cast<int>(l.cols), relu_in, list.data(), counts.data() + i, out,
                                          l.view.bias, static_cast<int>(l.rows), s),
            "list_activations kernel launch");
      check(cuda::launch_scatter_columns(l.view, list.data(), counts.data() + i, out, l.scatter_blocks, s),
            "scatter_columns kernel launch");
      in = out;
    }
    if (relu_after(layers.size() - 1)) {
      check(cuda::launch_relu(output.data(), static_cast<int>(output_size()), s), "relu kernel launch");
    }
  }

  void enqueue_batch(cudaStream_t s) const {
    const int max_batch = static_cast<int>(options.max_batch);
    check(cuda::launch_to_feature_major(input.data(), feature_major[0].data(), static_cast<int>(input_size()), ld,
                                        max_batch, batch_device.data(), s),
          "to_feature_major kernel launch");
    for (std::size_t i = 0; i < layers.size(); ++i) {
      check(cuda::launch_spmm_panels(layers[i].view, feature_major[i % 2].data(), feature_major[(i + 1) % 2].data(),
                                     ld, tiles, batch_device.data(), relu_after(i), s),
            "spmm_panels kernel launch");
    }
    check(cuda::launch_to_batch_major(feature_major[layers.size() % 2].data(), output.data(),
                                      static_cast<int>(output_size()), ld, max_batch, batch_device.data(), s),
          "to_batch_major kernel launch");
  }
};

CudaEngine::CudaEngine(std::vector<CompressedLayer> chain, CudaEngineOptions options) {
  if (chain.empty()) throw Error("cuda engine: the layer chain is empty");
  if (options.max_batch < 1 || options.max_batch > 65536) {
    throw Error("cuda engine: max_batch = " + std::to_string(options.max_batch) + " is outside 1..65536");
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    chain[i].validate();
    cuda::check_layout_limits(chain[i]);
    if (i > 0 && chain[i].cols != chain[i - 1].rows) {
      throw Error("cuda engine: layer " + std::to_string(i) + " ('" + chain[i].name + "') takes " +
                  std::to_string(chain[i].cols) + " inputs but layer " + std::to_string(i - 1) + " ('" +
                  chain[i - 1].name + "') gives " + std::to_string(chain[i - 1].rows));
    }
  }
  cuda::require_device();
  const bool batched = options.max_batch > 1;
  const std::int64_t ld = round_up(options.max_batch, cuda::kBatchTile);

  // Everything this plan puts on the device, checked against the free memory before the first allocation.
  std::int64_t widest = chain.front().cols, widest_rows = 0, widest_cols = 0, needed = 0;
  for (const CompressedLayer& l : chain) {
    widest = std::max({widest, l.rows, l.cols});
    widest_rows = std::max(widest_rows, l.rows);
    widest_cols = std::max(widest_cols, l.cols);
    needed += cuda::planned_layout_bytes(l, batched) + static_cast<std::int64_t>(l.bias.size()) * 4;
  }
  needed += options.max_batch * (chain.front().cols + chain.back().rows) * 4 + 2 * widest_rows * 4 +
            widest_cols * static_cast<std::int64_t>(sizeof(cuda::ActivationEntry)) + (batched ? 2 * widest * ld * 4 : 0);
  std::size_t free_bytes = 0, total_bytes = 0;
  check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
  if (static_cast<std::size_t>(needed) > free_bytes) {
    throw Error("cuda engine: the plan needs " + cuda::megabytes(static_cast<std::size_t>(needed)) +
                " of device memory, the device has " + cuda::megabytes(free_bytes) + " free");
  }

  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  m.options = options;
  m.ld = static_cast<int>(ld);
  m.tiles = static_cast<int>(ld / cuda::kBatchTile);
  int sms = 1;
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), "cudaDeviceGetAttribute (multiprocessors)");

  for (const CompressedLayer& l : chain) {
    const cuda::LayerLayout layout = cuda::plan_layout(l, batched);
    PlannedLayer& p = m.layers.emplace_back();
    const std::string what = "layer '" + l.name + "'";
    p.name = l.name;
    p.rows = l.rows;
    p.cols = l.cols;
    p.entries = l.nnz();
    p.bytes = layout.bytes() + static_cast<std::int64_t>(l.bias.size() * sizeof(float));
    // One warp per listed column; more blocks than columns would only load the table for nothing.
    p.scatter_blocks = static_cast<int>(std::clamp<std::int64_t>((l.cols + cuda::kWarpsPerBlock - 1) / cuda::kWarpsPerBlock,
                                                                 1, std::int64_t{8} * sms));
    p.col_ptr = DeviceBuffer<std::uint32_t>(layout.col_ptr, what);
    p.csc = DeviceBuffer<std::uint32_t>(layout.csc, what);
    p.panel_ptr = DeviceBuffer<std::uint32_t>(layout.panel_ptr, what);
    p.panel_entries = DeviceBuffer<std::uint16_t>(layout.panel_entries, what);
    p.table = DeviceBuffer<float>(layout.table, what);
    p.bias = DeviceBuffer<float>(l.bias, what);
    p.view = cuda::DeviceLayer{static_cast<int>(l.rows), static_cast<int>(l.cols), layout.panels,
                               p.col_ptr.data(), p.csc.data(), p.panel_ptr.data(), p.panel_entries.data(),
                               p.table.data(), p.bias.data()};
    m.device_bytes += p.bytes;
  }

  const auto count = [](std::int64_t n) { return static_cast<std::size_t>(n); };
  m.input = DeviceBuffer<float>(count(options.max_batch * m.input_size()), "the engine's input");
  m.output = DeviceBuffer<float>(count(options.max_batch * m.output_size()), "the engine's output");
  for (auto& h : m.hidden) h = DeviceBuffer<float>(count(widest_rows), "batch-1 activations");
  m.list = DeviceBuffer<cuda::ActivationEntry>(count(widest_cols), "the activation list");
  m.counts = DeviceBuffer<unsigned>(m.layers.size(), "the activation list counters");
  m.batch_device = DeviceBuffer<int>(1, "the batch size");
  if (batched) {
    for (auto& f : m.feature_major) {
      f = DeviceBuffer<float>(count(widest * ld), "batch activations");
      // Padding lanes (batch elements beyond a run's batch) are read but never reported; zeroing them once
      // keeps every read initialised.
      check(cudaMemset(f.data(), 0, f.bytes()), "cudaMemset (batch activations)");
    }
  }
  *m.batch_host.data() = 1;
  check(cudaMemcpy(m.batch_device.data(), m.batch_host.data(), sizeof(int), cudaMemcpyHostToDevice), "cudaMemcpy");
  m.device_batch = 1;

  if (options.use_graph) {
    m.graph_single = cuda::GraphExec(m.stream.get(), [&m](cudaStream_t s) { m.enqueue_single(s); });
    if (batched) m.graph_batch = cuda::GraphExec(m.stream.get(), [&m](cudaStream_t s) { m.enqueue_batch(s); });
  }
}

CudaEngine::~CudaEngine() = default;

std::int64_t CudaEngine::input_size() const { return impl_->input_size(); }
std::int64_t CudaEngine::output_size() const { return impl_->output_size(); }
std::int64_t CudaEngine::max_batch() const { return impl_->options.max_batch; }
std::int64_t CudaEngine::device_bytes() const { return impl_->device_bytes; }
const CudaEngineOptions& CudaEngine::options() const { return impl_->options; }
CUstream_st* CudaEngine::stream() const { return impl_->stream.get(); }

std::vector<CudaLayerPlanInfo> CudaEngine::plan_info() const {
  std::vector<CudaLayerPlanInfo> info;
  for (const PlannedLayer& l : impl_->layers) {
    std::string kernel = "spmv_csc32_scatter__cuda";
    if (impl_->options.max_batch > 1) kernel += ", spmm_pcsr16_p128_b64__cuda";
    info.push_back({l.name, l.rows, l.cols, l.entries, kernel, l.bytes});
  }
  return info;
}

void CudaEngine::run(std::span<const float> x, std::span<float> y) { run_batch(x, y, 1); }

void CudaEngine::upload(std::span<const float> x, std::int64_t batch) {
  Impl& m = *impl_;
  if (batch < 1 || batch > m.options.max_batch) {
    throw Error("cuda engine: batch = " + std::to_string(batch) + " is outside 1.." +
                std::to_string(m.options.max_batch) + " (CudaEngineOptions::max_batch)");
  }
  if (x.size() != static_cast<std::size_t>(batch * m.input_size())) {
    throw Error("cuda engine: input x has " + std::to_string(x.size()) + " floats, expected " +
                std::to_string(batch * m.input_size()) + " " + describe_batch(batch, m.input_size(), "inputs"));
  }
  if (batch > 1 && batch != m.device_batch) {
    m.stream.synchronize("an earlier run");  // the pinned value may still be read by the previous copy
    *m.batch_host.data() = static_cast<int>(batch);
    check(cudaMemcpyAsync(m.batch_device.data(), m.batch_host.data(), sizeof(int), cudaMemcpyHostToDevice,
                          m.stream.get()),
          "cudaMemcpyAsync (batch size)");
    m.device_batch = batch;
  }
  check(cudaMemcpyAsync(m.input.data(), x.data(), x.size_bytes(), cudaMemcpyHostToDevice, m.stream.get()),
        "cudaMemcpyAsync (input)");
  m.batch = batch;
}

void CudaEngine::enqueue() {
  Impl& m = *impl_;
  if (m.batch == 1) {
    if (m.options.use_graph) m.graph_single.launch(m.stream.get());
    else m.enqueue_single(m.stream.get());
  } else {
    if (m.options.use_graph) m.graph_batch.launch(m.stream.get());
    else m.enqueue_batch(m.stream.get());
  }
}

void CudaEngine::download(std::span<float> y) {
  Impl& m = *impl_;
  if (y.size() != static_cast<std::size_t>(m.batch * m.output_size())) {
    throw Error("cuda engine: output y has " + std::to_string(y.size()) + " floats, expected " +
                std::to_string(m.batch * m.output_size()) + " " + describe_batch(m.batch, m.output_size(), "outputs"));
  }
  check(cudaMemcpyAsync(y.data(), m.output.data(), y.size_bytes(), cudaMemcpyDeviceToHost, m.stream.get()),
        "cudaMemcpyAsync (output)");
  m.stream.synchronize("the eie-cuda run");
}

}  // namespace eie
