// Simulator speed: simulated PE-cycles (and cycles) per second of wall time, on the paper's layers at the
// paper's design, and the whole nine-layer suite (with the AlexNet chain) on two threads. Layers are built and
// encoded once, outside the timed loop; the suite benchmark times everything, generation included.
#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "eie/sim.h"

namespace {

struct Prepared {
  eie::CompressedLayer layer;
  eie::EieEncoding encoding;
  std::vector<std::int32_t> x;
};

const Prepared& prepared(const std::string& name, const eie::sim::Config& config) {
  static std::map<std::string, Prepared> cache;
  const std::string key = name + "/" + std::to_string(config.num_pes);
  auto it = cache.find(key);
  if (it == cache.end()) {
    const eie::PaperLayer& spec = eie::paper_benchmark_layer(name);
    Prepared p;
    p.layer = eie::paper_layer_weights(spec, 1);
    p.encoding = eie::encode_eie(p.layer, config.num_pes, config.index_bits);
    p.x = eie::sim::quantize(eie::paper_layer_input(spec, 1), eie::sim::fixed_format(config));
    it = cache.emplace(key, std::move(p)).first;
  }
  return it->second;
}

void BM_simulate_layer(benchmark::State& state, const char* name) {
  eie::sim::Config config;
  config.num_pes = static_cast<int>(state.range(0));
  const Prepared& p = prepared(name, config);
  std::int64_t cycles = 0;
  for (auto _ : state) {
    const eie::sim::RunResult run = eie::sim::simulate_encoded(p.encoding, p.x, config);
    cycles = run.stats.cycles;
    benchmark::DoNotOptimize(run.output.data());
  }
  state.counters["cycles"] = static_cast<double>(cycles);
  state.counters["cycles_per_s"] = benchmark::Counter(static_cast<double>(cycles), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["pe_cycles_per_s"] = benchmark::Counter(static_cast<double>(cycles) * config.num_pes,
                                                         benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_simulate_layer, alex7, "Alex-7")->Arg(64)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_simulate_layer, vgg6, "VGG-6")->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_simulate_layer, nt_we, "NT-We")->Arg(64)->Unit(benchmark::kMillisecond);

void BM_suite_eie_paper(benchmark::State& state) {
  const eie::sim::Config config;
  std::int64_t pe_cycles = 0;
  for (auto _ : state) {
    const eie::sim::SuiteReport suite = eie::sim::run_paper_suite(config, {}, 1, static_cast<int>(state.range(0)), true);
    pe_cycles = 0;
    for (const auto& r : suite.layers) pe_cycles += r.stats.cycles * config.num_pes;
    // The chain's first layer is the suite's Alex-6 run, simulated once.
    for (std::size_t i = 1; i < suite.chain.layers.size(); ++i) pe_cycles += suite.chain.layers[i].stats.cycles * config.num_pes;
  }
  state.counters["pe_cycles"] = static_cast<double>(pe_cycles);
  state.counters["pe_cycles_per_s"] = benchmark::Counter(static_cast<double>(pe_cycles), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_suite_eie_paper)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
