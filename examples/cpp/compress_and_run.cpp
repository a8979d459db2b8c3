// Compresses a random 256 x 512 matrix (prune to 10%, 4-bit k-means weight sharing), runs it on the CPU
// engine, and checks the result against the scalar reference. Uses only the installed eie headers.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "eie/compress.h"
#include "eie/engine.h"
#include "eie/version.h"

int main() {
  constexpr std::int64_t rows = 256, cols = 512;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> weights(rows * cols), bias(rows), x(cols);
  for (float& w : weights) w = normal(rng);
  for (float& b : bias) b = 0.1f * normal(rng);
  for (float& v : x) v = std::max(0.0f, normal(rng));

  eie::LayerSettings settings;
  settings.prune = {.mode = eie::PruneMode::density, .density = 0.1};
  settings.bits = 4;
  const eie::CompressedLayer layer = eie::compress_layer("fc", rows, cols, weights, bias, settings);

  eie::EngineOptions options;
  options.output_activation = eie::Activation::none;
  eie::Engine engine({layer}, options);
  std::vector<float> y(rows);
  engine.run(x, y);

  const std::vector<double> reference = eie::reference_spmv(layer, x);
  double max_error = 0;
  for (std::int64_t i = 0; i < rows; ++i) max_error = std::max(max_error, std::abs(y[i] - reference[i]));
  std::printf("eie %s: %lld x %lld layer, %lld of %lld weights kept, 4-bit codebook\n", eie::kVersion,
              static_cast<long long>(rows), static_cast<long long>(cols), static_cast<long long>(layer.nnz()),
              static_cast<long long>(rows * cols));
  std::printf("y[0..3] = %.5f %.5f %.5f %.5f; max |engine - reference| = %.2e\n", y[0], y[1], y[2], y[3], max_error);
  return max_error <= 1e-3 ? 0 : 1;
}
