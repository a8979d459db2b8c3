// Seeded synthetic layers and activations, and the EIE paper's benchmark table. The generators use only
// integer arithmetic and std::log, so a seed gives the same layer on every platform (std:: distributions are
// implementation-defined and would not).
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>

#include "eie/core.h"

namespace eie {

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::uint64_t Rng::below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

namespace {

// Visits the indices in [0, n) kept independently with probability p, in increasing order. Gaps between kept
// indices are geometric, so the cost is proportional to the number kept.
template <typename F>
void bernoulli_positions(std::int64_t n, double p, Rng& rng, F&& visit) {
  if (p <= 0.0) return;
  if (p >= 1.0) {
    for (std::int64_t i = 0; i < n; ++i) visit(i);
    return;
  }
  const double log_q = std::log1p(-p);
  std::int64_t pos = -1;
  while (true) {
    const double u = 1.0 - rng.uniform();  // (0, 1]
    const double skip = std::floor(std::log(u) / log_q);
    if (skip >= static_cast<double>(n)) return;
    pos += static_cast<std::int64_t>(skip) + 1;
    if (pos >= n) return;
    visit(pos);
  }
}

Codebook synthetic_codebook(int bits) {
  const int n = (1 << bits) - 1;  // non-zero values; entry 0 is the reserved zero
  const int negatives = n / 2;
  const int positives = n - negatives;
  std::vector<float> values{0.0f};
  for (int i = negatives; i >= 1; --i) values.push_back(-static_cast<float>(i) / negatives);
  for (int i = 1; i <= positives; ++i) values.push_back(static_cast<float>(i) / positives);
  return Codebook(std::move(values), bits, /*zero_reserved=*/true);
}

std::uint64_t hash_name(const std::string& name) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

CompressedLayer synthetic_layer(const SyntheticLayerSpec& spec) {
  if (spec.rows < 1 || spec.cols < 1) {
    throw Error("synthetic_layer: shape must be at least 1 x 1, got " + std::to_string(spec.rows) + " x " +
                std::to_string(spec.cols));
  }
  if (!(spec.density >= 0.0 && spec.density <= 1.0)) {
    throw Error("synthetic_layer: density must be in [0, 1], got " + std::to_string(spec.density));
  }
  if (spec.bits < 1 || spec.bits > 8) {
    throw Error("synthetic_layer: bits must be in 1..8, got " + std::to_string(spec.bits));
  }
  Rng rng(spec.seed);
  CompressedLayer layer;
  layer.name = spec.name;
  layer.rows = spec.rows;
  layer.cols = spec.cols;
  layer.codebook = synthetic_codebook(spec.bits);
  layer.col_ptr.assign(static_cast<std::size_t>(spec.cols) + 1, 0);
  const auto expected = static_cast<std::size_t>(spec.density * static_cast<double>(spec.rows * spec.cols) * 1.01);
  layer.row_idx.reserve(expected);
  layer.codes.reserve(expected);
  const std::uint64_t usable = layer.codebook.size() - 1;
  std::int64_t column = 0;
  bernoulli_positions(spec.rows * spec.cols, spec.density, rng, [&](std::int64_t pos) {
    const std::int64_t j = pos / spec.rows;
    while (column < j) layer.col_ptr[static_cast<std::size_t>(++column)] = static_cast<std::uint32_t>(layer.nnz());
    layer.row_idx.push_back(static_cast<std::uint32_t>(pos % spec.rows));
    layer.codes.push_back(static_cast<std::uint8_t>(1 + rng.below(usable)));
  });
  while (column < spec.cols) layer.col_ptr[static_cast<std::size_t>(++column)] = static_cast<std::uint32_t>(layer.nnz());
  if (spec.bias) {
    layer.bias.resize(static_cast<std::size_t>(spec.rows));
    for (float& b : layer.bias) b = static_cast<float>(rng.uniform() - 0.5);
  }
  layer.provenance = Provenance{"synthetic", layer.density(), spec.bits};
  return layer;
}

std::vector<float> synthetic_activations(std::int64_t n, double density, std::uint64_t seed) {
  std::vector<float> x(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)), 0.0f);
  Rng rng(seed ^ 0x5DEECE66Dull);
  bernoulli_positions(n, density, rng, [&](std::int64_t i) {
    x[static_cast<std::size_t>(i)] = static_cast<float>(1.0 - rng.uniform());  // (0, 1]
  });
  return x;
}

namespace {
// Han et al., ISCA 2016, Table III. rows = outputs, cols = inputs.
constexpr std::array<PaperLayer, 9> kPaperLayers{{
    {"Alex-6", 4096, 9216, 0.09, 0.351, "AlexNet fc6"},
    {"Alex-7", 4096, 4096, 0.09, 0.353, "AlexNet fc7"},
    {"Alex-8", 1000, 4096, 0.25, 0.375, "AlexNet fc8"},
    {"VGG-6", 4096, 25088, 0.04, 0.183, "VGG-16 fc6"},
    {"VGG-7", 4096, 4096, 0.04, 0.375, "VGG-16 fc7"},
    {"VGG-8", 1000, 4096, 0.23, 0.411, "VGG-16 fc8"},
    {"NT-We", 600, 4096, 0.10, 1.0, "NeuralTalk word embedding"},
    {"NT-Wd", 8791, 600, 0.11, 1.0, "NeuralTalk decoder"},
    {"NT-LSTM", 2400, 1201, 0.10, 1.0, "NeuralTalk LSTM (600 input + 600 hidden + 1 bias -> 4 gates x 600)"},
}};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

std::span<const PaperLayer> paper_benchmark_layers() { return kPaperLayers; }

const PaperLayer& paper_benchmark_layer(const std::string& name) {
  for (const PaperLayer& layer : kPaperLayers) {
    if (lower(layer.name) == lower(name)) return layer;
  }
  std::string names;
  for (const PaperLayer& layer : kPaperLayers) names += std::string(names.empty() ? "" : ", ") + layer.name;
  throw Error("unknown benchmark layer '" + name + "' (known: " + names + ")");
}

CompressedLayer paper_layer_weights(const PaperLayer& layer, std::uint64_t seed) {
  SyntheticLayerSpec spec;
  spec.name = layer.name;
  spec.rows = layer.rows;
  spec.cols = layer.cols;
  spec.density = layer.weight_density;
  spec.bits = 4;
  spec.seed = hash_name(layer.name) ^ (seed * 0x9E3779B97F4A7C15ull);
  return synthetic_layer(spec);
}

std::vector<float> paper_layer_input(const PaperLayer& layer, std::uint64_t seed) {
  return synthetic_activations(layer.cols, layer.activation_density,
                               hash_name(layer.name) ^ (seed * 0xD1B54A32D192ED03ull) ^ 0xA5A5u);
}

}  // namespace eie
