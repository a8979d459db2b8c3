// Compression speeds: 1-D k-means on VGG-16's 138 million weights at 8 bits (target: under 10 s), the
// pieces it is made of, and Huffman encoding and table-driven decoding of realistic streams (k-means codes of
// Gaussian weights, relative row indices of a 10%-dense layer).
//
//   build/release/bench/eie_compress_bench --benchmark_filter='Kmeans138M|AssignClusters|KmeansAndAssign138M' --benchmark_repetitions=3
//   build/release/bench/eie_compress_bench --benchmark_filter=Huffman
#include <benchmark/benchmark.h>

#include <vector>

#include "eie/compress.h"

namespace eie {
namespace {

constexpr std::int64_t kVgg16Weights = 138'357'544;  // VGG-16's parameter count

const std::vector<float>& gaussian_weights(std::int64_t n) {
  static std::vector<float> weights;
  if (static_cast<std::int64_t>(weights.size()) != n) {
    weights.resize(static_cast<std::size_t>(n));
    Rng rng(2016);
    // Box-Muller is slow for 138M draws; a sum of four uniforms is Gaussian enough for timing.
    for (auto& w : weights) {
      const double s = rng.uniform() + rng.uniform() + rng.uniform() + rng.uniform() - 2.0;
      w = static_cast<float>(s * 0.02);
    }
  }
  return weights;
}

void Kmeans138M(benchmark::State& state) {
  const std::vector<float>& w = gaussian_weights(kVgg16Weights);
  const int threads = static_cast<int>(state.range(0));
  KmeansResult r;
  for (auto _ : state) {
    r = kmeans_1d(w, {.clusters = 256, .init = KmeansInit::linear, .threads = threads});
    benchmark::DoNotOptimize(r.centroids.data());
  }
  state.counters["weights"] = static_cast<double>(w.size());
  state.counters["iterations"] = r.iterations;
  state.counters["converged"] = r.converged;
  state.counters["threads"] = threads;
}
BENCHMARK(Kmeans138M)->Arg(2)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1)->MeasureProcessCPUTime()->UseRealTime();

// k-means plus the per-weight assignment to codes: what compress_layer does after pruning.
void KmeansAndAssign138M(benchmark::State& state) {
  const std::vector<float>& w = gaussian_weights(kVgg16Weights);
  for (auto _ : state) {
    const KmeansResult r = kmeans_1d(w, {.clusters = 256, .threads = 2});
    const std::vector<std::uint8_t> codes = assign_clusters(w, r.centroids, 2);
    benchmark::DoNotOptimize(codes.data());
  }
  state.counters["weights"] = static_cast<double>(w.size());
}
BENCHMARK(KmeansAndAssign138M)->Unit(benchmark::kMillisecond)->Iterations(1)->MeasureProcessCPUTime()->UseRealTime();

void AssignClusters(benchmark::State& state) {
  const std::vector<float>& w = gaussian_weights(kVgg16Weights);
  const KmeansResult r = kmeans_1d(std::span(w).first(1'000'000), {.clusters = 256});
  for (auto _ : state) {
    const std::vector<std::uint8_t> codes = assign_clusters(w, r.centroids, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(codes.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(w.size()));
}
BENCHMARK(AssignClusters)->Arg(2)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1)->MeasureProcessCPUTime()->UseRealTime();

// Streams to code: 4-bit weight codes and 4-bit relative indices of a 4096 x 4096 layer at 10% density.
struct Streams {
  std::vector<std::uint8_t> codes, index;
};
const Streams& layer_streams() {
  static const Streams streams = [] {
    const std::int64_t rows = 4096, cols = 4096;
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    Rng rng(7);
    for (auto& x : w) x = static_cast<float>(rng.normal());
    const CompressedLayer layer =
        compress_layer("fc7", rows, cols, w, {}, {.prune = {.mode = PruneMode::density, .density = 0.1}, .bits = 4});
    const RelativeCsc csc = encode_relative_csc(layer, kFcIndexBits);
    return Streams{csc.codes, csc.index};
  }();
  return streams;
}

void HuffmanEncode(benchmark::State& state) {
  const std::vector<std::uint8_t>& s = state.range(0) ? layer_streams().index : layer_streams().codes;
  for (auto _ : state) {
    HuffmanStream h = huffman_compress(s);
    benchmark::DoNotOptimize(h.bytes.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
  state.SetLabel(state.range(0) ? "relative indices" : "weight codes");
}
BENCHMARK(HuffmanEncode)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Decodes `s` after compressing it; decoded symbols per second (one byte per symbol).
HuffmanStream time_decode(benchmark::State& state, const std::vector<std::uint8_t>& s) {
  const HuffmanStream h = huffman_compress(s);
  std::vector<std::uint8_t> out(s.size());
  for (auto _ : state) {
    huffman_decode(h, out);
    benchmark::DoNotOptimize(out.data());
  }
  if (out != s) state.SkipWithError("decoded stream differs");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
  state.counters["bits_per_symbol"] = static_cast<double>(h.bit_count) / static_cast<double>(h.symbols);
  state.counters["group"] = h.group;
  return h;
}

// The target: >= 200 MB/s on one core.
void HuffmanDecode(benchmark::State& state) {
  time_decode(state, state.range(0) ? layer_streams().index : layer_streams().codes);
  state.SetLabel(state.range(0) ? "relative indices" : "weight codes");
}
BENCHMARK(HuffmanDecode)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The same on 8-bit codes (256 symbols, codes up to 16 bits: exercises the long-code path).
void HuffmanDecode8Bit(benchmark::State& state) {
  static const std::vector<std::uint8_t> s = [] {
    std::vector<float> w(4'000'000);
    Rng rng(3);
    for (auto& x : w) x = static_cast<float>(rng.normal());
    const KmeansResult r = kmeans_1d(w, {.clusters = 256});
    return assign_clusters(w, r.centroids);
  }();
  const HuffmanStream h = time_decode(state, s);
  state.counters["max_length"] = h.table.max_length();
}
BENCHMARK(HuffmanDecode8Bit)->Unit(benchmark::kMillisecond);

// The report on LeNet-300-100's shapes at the paper's Table 2 settings (ip1 8%, ip2 9%, ip3 26% kept; 6-bit
// weights, 5-bit relative indices), with Gaussian weights in place of trained ones: counters give each layer's
// (arg 0..2) and the total's (arg 3) P+Q and P+Q+H rates in percent of the fp32 size. docs/compression.md.
void PaperLeNet300Report(benchmark::State& state) {
  struct Shape {
    const char* name;
    std::int64_t rows, cols;
    double density;
  };
  const Shape shapes[] = {{"ip1", 300, 784, 0.08}, {"ip2", 100, 300, 0.09}, {"ip3", 10, 100, 0.26}};
  CompressionReport report;
  for (auto _ : state) {
    std::vector<LayerReport> layers;
    for (const Shape& s : shapes) {
      std::vector<float> w(static_cast<std::size_t>(s.rows * s.cols));
      Rng rng(static_cast<std::uint64_t>(s.rows));
      for (auto& x : w) x = static_cast<float>(rng.normal() * 0.05);
      const std::vector<float> bias(static_cast<std::size_t>(s.rows), 0.01f);
      const CompressedLayer layer = compress_layer(
          s.name, s.rows, s.cols, w, bias, {.prune = {.mode = PruneMode::density, .density = s.density}, .bits = 6});
      layers.push_back(report_layer(layer, 5));
    }
    report = summarize(std::move(layers));
  }
  const auto at = static_cast<std::size_t>(state.range(0));
  const LayerReport& r = at < report.layers.size() ? report.layers[at] : report.total;
  state.SetLabel(r.name);
  state.counters["kept_percent"] = 100.0 * r.density;
  state.counters["filler_per_entry"] = r.entries ? static_cast<double>(r.filler_entries) / static_cast<double>(r.entries) : 0.0;
  state.counters["weight_bits_h"] = r.weight_bits_huffman;
  state.counters["index_bits_h"] = r.index_bits_huffman;
  state.counters["rate_pq_percent"] = 100.0 / r.ratio_pq;
  state.counters["rate_pqh_percent"] = 100.0 / r.ratio_pqh;
  state.counters["ratio_pq"] = r.ratio_pq;
  state.counters["ratio_pqh"] = r.ratio_pqh;
  // The same rate with only codes + indices of stored entries and fillers (no pointers, codebook or bias).
  state.counters["rate_entries_only_percent"] =
      100.0 * static_cast<double>(r.entries * (r.weight_bits + r.index_bits)) / static_cast<double>(r.weights * 32);
}
BENCHMARK(PaperLeNet300Report)->DenseRange(0, 3)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace eie
