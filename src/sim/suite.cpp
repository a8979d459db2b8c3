// The nine-layer suite, the AlexNet FC6-FC7-FC8 chain and the sweeps. Layers are core's seeded synthetic
// paper layers (paper_layer_weights / paper_layer_input), the same ones the CPU benchmarks use. Work items
// (one layer at one design point) run on a small pool of threads, biggest first; each item is independent, so
// results do not depend on the thread count. Every run's output is checked against fixed_reference().
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "eie/sim.h"

namespace eie::sim {
namespace {

template <typename F>
void parallel_for(std::size_t n, int threads, F&& fn) {
  const int workers = std::max(1, std::min<int>(threads, static_cast<int>(n)));
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

struct SuiteLayer {
  const PaperLayer* spec = nullptr;
  CompressedLayer weights;
  std::vector<float> input;
  EieEncoding encoding;  // for the suite's config; empty in sweeps (each point encodes)
};

std::vector<SuiteLayer> build_layers(const std::vector<const PaperLayer*>& specs, std::uint64_t seed, int threads,
                                     const Config* encode_for) {
  std::vector<SuiteLayer> layers(specs.size());
  parallel_for(specs.size(), threads, [&](std::size_t i) {
    layers[i].spec = specs[i];
    layers[i].weights = paper_layer_weights(*specs[i], seed);
    layers[i].input = paper_layer_input(*specs[i], seed);
    if (encode_for != nullptr) {
      layers[i].encoding = encode_eie(layers[i].weights, encode_for->num_pes, encode_for->index_bits);
    }
  });
  return layers;
}

int fitting_sram_kb(const EieEncoding& enc, const Config& config) {
  std::int64_t entries = 0;
  for (const PeSlice& pe : enc.pes) entries = std::max<std::int64_t>(entries, static_cast<std::int64_t>(pe.entries.size()));
  const std::int64_t kb = (entries * config.entry_bits() + 8191) / 8192;
  int size = config.spmat_sram_kb;
  while (size < kb && size < 65536) size *= 2;
  return size;
}

LayerReport run_encoded(const CompressedLayer& weights, const EieEncoding& enc, std::span<const std::int32_t> x,
                        Config config, bool fit_sram, std::vector<std::int32_t>* output = nullptr) {
  if (fit_sram) config.spmat_sram_kb = fitting_sram_kb(enc, config);
  RunResult run = simulate_encoded(enc, x, config);
  const std::vector<std::int32_t> expected = fixed_reference(weights, x, fixed_format(config));
  LayerReport report;
  report.name = weights.name;
  report.config = config;
  report.rows = weights.rows;
  report.cols = weights.cols;
  report.output_matches_reference = run.output == expected;
  if (!report.output_matches_reference) {
    throw std::runtime_error("simulator output differs from the fixed-point reference on layer " + weights.name);
  }
  report.energy = energy(run.stats, config);
  report.stats = std::move(run.stats);
  if (output != nullptr) *output = std::move(run.output);
  return report;
}

LayerReport run_layer(const CompressedLayer& weights, std::span<const std::int32_t> x, const Config& config,
                      bool fit_sram) {
  return run_encoded(weights, encode_eie(weights, config.num_pes, config.index_bits), x, config, fit_sram);
}

double work(const SuiteLayer& layer) {
  return static_cast<double>(layer.weights.nnz()) * layer.spec->activation_density;
}

// Indices of `layers` ordered by decreasing work (entries times activation density), for load balance.
std::vector<std::size_t> biggest_first(const std::vector<SuiteLayer>& layers) {
  std::vector<std::size_t> order(layers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return work(layers[a]) > work(layers[b]); });
  return order;
}

// Runs layers in order, each on its encoding (or encoded here when `encodings` is empty), ReLU between.
NetworkRun run_network(const std::vector<const CompressedLayer*>& layers,
                       const std::vector<const EieEncoding*>& encodings, std::vector<std::int32_t> x,
                       const Config& config) {
  NetworkRun run;
  ChainReport& chain = run.report;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const CompressedLayer& layer = *layers[k];
    if (static_cast<std::int64_t>(x.size()) != layer.cols) {
      throw Error("layer '" + layer.name + "' takes " + std::to_string(layer.cols) + " inputs, " +
                  (k == 0 ? std::string("the input has ") : "layer '" + layers[k - 1]->name + "' gives ") +
                  std::to_string(x.size()));
    }
    std::vector<std::int32_t> y;
    LayerReport report = encodings.empty()
                             ? run_encoded(layer, encode_eie(layer, config.num_pes, config.index_bits), x, config, false, &y)
                             : run_encoded(layer, *encodings[k], x, config, false, &y);
    x = std::move(y);
    if (k + 1 < layers.size()) {
      for (std::int32_t& v : x) v = std::max(v, 0);  // ReLU on the way from destination to source registers
    }
    chain.cycles += report.stats.cycles;
    chain.energy_uj += report.energy.energy_uj;
    chain.layers.push_back(std::move(report));
  }
  chain.frames_per_s = chain.cycles == 0 ? 0.0 : config.clock_mhz * 1e6 / static_cast<double>(chain.cycles);
  run.output = std::move(x);
  return run;
}

ChainReport run_chain(const std::vector<const SuiteLayer*>& layers, const Config& config) {
  std::vector<const CompressedLayer*> weights;
  std::vector<const EieEncoding*> encodings;
  for (const SuiteLayer* layer : layers) {
    weights.push_back(&layer->weights);
    encodings.push_back(&layer->encoding);
  }
  return run_network(weights, encodings, quantize(layers.front()->input, fixed_format(config)), config).report;
}

}  // namespace

std::vector<const PaperLayer*> suite_layers(const std::vector<std::string>& names) {
  std::vector<const PaperLayer*> specs;
  if (names.empty()) {
    for (const PaperLayer& layer : paper_benchmark_layers()) specs.push_back(&layer);
  } else {
    for (const std::string& name : names) specs.push_back(&paper_benchmark_layer(name));
  }
  return specs;
}

namespace {
SuiteReport run_specs(const Config& config, std::vector<const PaperLayer*> specs, std::uint64_t seed, int threads,
                      bool with_chain) {
  config.validate();
  const std::size_t reported = specs.size();
  const char* chain_names[] = {"Alex-6", "Alex-7", "Alex-8"};
  if (with_chain) {
    for (const char* name : chain_names) {
      const PaperLayer* spec = &paper_benchmark_layer(name);
      if (std::find(specs.begin(), specs.end(), spec) == specs.end()) specs.push_back(spec);
    }
  }
  const std::vector<SuiteLayer> layers = build_layers(specs, seed, threads, &config);
  const FixedFormat format = fixed_format(config);
  SuiteReport suite;
  suite.layers.resize(reported);
  suite.has_chain = with_chain;
  std::vector<std::size_t> order = biggest_first(layers);
  // The chain's first layer is the suite's Alex-6 run (same weights, same input): run once, by the chain.
  std::vector<std::size_t> chain_index;
  for (const char* name : chain_names) {
    const PaperLayer* spec = &paper_benchmark_layer(name);
    chain_index.push_back(static_cast<std::size_t>(std::find(specs.begin(), specs.end(), spec) - specs.begin()));
  }
  std::erase_if(order, [&](std::size_t i) { return i >= reported || (with_chain && i == chain_index[0]); });
  // Task 0 is the chain (the most work) when asked for; the others are the layers, biggest first.
  const std::size_t offset = with_chain ? 1 : 0;
  parallel_for(order.size() + offset, threads, [&](std::size_t t) {
    if (t < offset) {
      std::vector<const SuiteLayer*> chain_layers;
      for (std::size_t i : chain_index) chain_layers.push_back(&layers[i]);
      suite.chain = run_chain(chain_layers, config);
      if (chain_index[0] < reported) suite.layers[chain_index[0]] = suite.chain.layers[0];
      return;
    }
    const std::size_t i = order[t - offset];
    const std::vector<std::int32_t> x = quantize(layers[i].input, format);
    suite.layers[i] = run_encoded(layers[i].weights, layers[i].encoding, x, config, false);
  });
  return suite;
}

}  // namespace

NetworkRun simulate_network(const std::vector<const CompressedLayer*>& layers, std::span<const float> x,
                            const Config& config) {
  config.validate();
  if (layers.empty()) throw Error("simulate_network: no layers");
  return run_network(layers, {}, quantize(x, fixed_format(config)), config);
}

SuiteReport run_paper_suite(const Config& config, const std::vector<std::string>& names, std::uint64_t seed,
                            int threads, bool with_chain) {
  return run_specs(config, suite_layers(names), seed, threads, with_chain);
}

std::vector<LayerReport> run_suite(const Config& config, const std::vector<std::string>& names, std::uint64_t seed,
                                   int threads) {
  return run_paper_suite(config, names, seed, threads, false).layers;
}

ChainReport run_alexnet_chain(const Config& config, std::uint64_t seed, int threads) {
  return run_specs(config, {}, seed, threads, true).chain;
}

std::vector<SweepPoint> run_sweep(const Config& base, const std::string& parameter, const std::vector<int>& values,
                                  const std::vector<std::string>& names, std::uint64_t seed, int threads,
                                  const std::function<void(std::size_t, std::size_t)>& progress) {
  if (parameter != "pes" && parameter != "fifo" && parameter != "sram-width") {
    throw Error("sweep: unknown parameter '" + parameter + "' (known: pes, fifo, sram-width)");
  }
  if (values.empty()) throw Error("sweep: " + parameter + " needs at least one value");
  std::vector<SweepPoint> points(values.size());
  for (std::size_t p = 0; p < values.size(); ++p) {
    Config c = base;
    if (parameter == "pes") c.num_pes = values[p];
    if (parameter == "fifo") c.fifo_depth = values[p];
    if (parameter == "sram-width") c.sram_width_bits = values[p];
    try {
      c.validate();
    } catch (const Error& e) {
      throw Error("sweep " + parameter + "=" + std::to_string(values[p]) + ": " + e.what());
    }
    points[p].value = values[p];
    points[p].config = c;
  }
  const std::vector<SuiteLayer> layers = build_layers(suite_layers(names), seed, threads, nullptr);
  const FixedFormat format = fixed_format(base);
  std::vector<std::vector<std::int32_t>> inputs(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) inputs[i] = quantize(layers[i].input, format);
  for (SweepPoint& point : points) point.layers.resize(layers.size());
  const std::vector<std::size_t> order = biggest_first(layers);
  const bool fit = parameter == "pes";
  const std::size_t total = points.size() * layers.size();
  std::size_t done = 0;
  std::mutex progress_mutex;
  parallel_for(total, threads, [&](std::size_t t) {
    const std::size_t i = order[t % layers.size()];
    SweepPoint& point = points[t / layers.size()];
    point.layers[i] = run_layer(layers[i].weights, inputs[i], point.config, fit);
    if (progress) {
      std::lock_guard lock(progress_mutex);
      progress(++done, total);
    }
  });
  return points;
}

nlohmann::json to_json(const LayerReport& r) {
  const Stats& s = r.stats;
  const PeCounters t = s.total();
  nlohmann::json per_pe = nlohmann::json::array();
  for (const PeCounters& c : s.pes) {
    per_pe.push_back({{"busy", c.busy}, {"starved", c.starved}, {"drained", c.drained}, {"queue_full", c.queue_full},
                      {"entries", c.real_entries}, {"padding", c.padding_entries}});
  }
  return {
      {"name", r.name},
      {"rows", r.rows},
      {"cols", r.cols},
      {"cycles", s.cycles},
      {"latency_us", s.latency_us(r.config)},
      {"layers_per_s", s.layers_per_s(r.config)},
      {"load_efficiency", s.load_efficiency()},
      {"useful_multiply_share", s.useful_multiply_share()},
      {"padding_fraction", s.padding_fraction()},
      {"energy_uj", r.energy.energy_uj},
      {"power_mw", r.energy.power_mw},
      {"area_mm2", r.energy.area_mm2},
      {"frames_per_j", r.energy.frames_per_j},
      {"frames_per_s_per_mm2", r.energy.frames_per_s_per_mm2},
      {"gops", s.gops(r.config)},
      {"dense_equivalent_gops", s.dense_equivalent_gops(r.config)},
      {"output_matches_reference", r.output_matches_reference},
      {"energy_pj_by_module",
       {{"act_queue", r.energy.energy_pj.queue}, {"ptr_read", r.energy.energy_pj.pointer},
        {"spmat_read", r.energy.energy_pj.spmat}, {"arithm_unit", r.energy.energy_pj.arith},
        {"act_rw", r.energy.energy_pj.actrw}, {"lnzd", r.energy.energy_pj.lnzd}}},
      {"events",
       {{"broadcasts", s.broadcasts}, {"ccu_stall_cycles", s.ccu_stall_cycles},
        {"real_entries", t.real_entries}, {"padding_entries", t.padding_entries},
        {"stored_entries", s.stored_entries}, {"pointer_reads", t.columns}, {"empty_columns", t.empty_columns},
        {"spmat_line_reads", t.spmat_line_reads}, {"dest_reads", t.dest_reads}, {"dest_writes", t.dest_writes},
        {"source_reads", t.source_reads}, {"bypasses", t.bypasses}, {"write_through", t.write_through},
        {"queue_pushes", t.queue_pushes}, {"queue_pops", t.queue_pops},
        {"lnzd_node_activations", s.lnzd_node_activations}}},
      {"pe_cycles", {{"busy", t.busy}, {"starved", t.starved}, {"drained", t.drained}, {"queue_full", t.queue_full}}},
      {"queue_occupancy", t.queue_occupancy},
      {"max_pe_entries", s.max_pe_entries()},
      {"per_pe", per_pe},
  };
}

}  // namespace eie::sim
