// One layer through the pipeline: prune -> k-means over the survivors -> codes -> CompressedLayer. With a
// reserved zero the codebook is {0, 2^bits - 1 fitted centroids}, so pruned positions and the encodings' filler
// and padding entries all read as 0.
#include <cmath>
#include <string>

#include "compress/checks.h"
#include "eie/compress.h"

namespace eie {

CompressedLayer compress_layer(std::string name, std::int64_t rows, std::int64_t cols,
                               std::span<const float> weights, std::span<const float> bias,
                               const LayerSettings& settings, LayerStats* stats) {
  const std::string where = "layer '" + name + "'";
  if (rows < 1 || cols < 1 || static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) != weights.size()) {
    throw Error(where + ": shape " + std::to_string(rows) + " x " + std::to_string(cols) + " does not match " +
                std::to_string(weights.size()) + " weights");
  }
  if (!bias.empty() && bias.size() != static_cast<std::size_t>(rows)) {
    throw Error(where + ": bias has " + std::to_string(bias.size()) + " values, expected " + std::to_string(rows));
  }
  if (settings.bits < 1 || settings.bits > 8) {
    throw Error(where + ": bits must be in 1..8, got " + std::to_string(settings.bits));
  }
  check_finite(weights, name);
  for (std::size_t i = 0; i < bias.size(); ++i) {
    if (!std::isfinite(bias[i])) {
      throw Error(where + ": bias " + std::to_string(i) + " is " + (std::isnan(bias[i]) ? "NaN" : "infinite"));
    }
  }

  PruneResult pruned = prune(weights, settings.prune, name);
  if (settings.reserve_zero) {
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] == 0.0f && pruned.keep[i]) {
        pruned.keep[i] = 0;
        --pruned.kept;
      }
    }
  }
  std::vector<float> survivors;
  survivors.reserve(static_cast<std::size_t>(pruned.kept));
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (pruned.keep[i]) survivors.push_back(weights[i]);
  }

  const int first = settings.reserve_zero ? 1 : 0;
  const int clusters = (1 << settings.bits) - first;
  std::vector<float> values(static_cast<std::size_t>(first), 0.0f);
  std::vector<std::uint8_t> codes(weights.size(), 0);
  KmeansResult km;
  if (clusters >= 1 && !survivors.empty()) {
    km = kmeans_1d(survivors, {.clusters = clusters, .init = settings.init, .seed = settings.seed,
                               .max_iterations = settings.max_iterations, .threads = settings.threads});
    values.insert(values.end(), km.centroids.begin(), km.centroids.end());
    const std::vector<std::uint8_t> assigned = assign_clusters(survivors, km.centroids, settings.threads);
    std::size_t s = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (pruned.keep[i]) codes[i] = static_cast<std::uint8_t>(assigned[s++] + first);
    }
  } else {
    // Nothing survives: the layer is all zeros and its codebook the reserved zero alone.
    values.assign(1, 0.0f);
    km.converged = true;
  }
  const bool reserved = settings.reserve_zero || survivors.empty();
  CompressedLayer layer;
  layer.rows = rows;
  layer.cols = cols;
  layer.codebook = Codebook(values, settings.bits, reserved);
  layer.bias.assign(bias.begin(), bias.end());
  layer.col_ptr.assign(static_cast<std::size_t>(cols) + 1, 0);
  // Row-major passes (the input's order): count per column, then place; rows arrive ascending per column.
  const auto ncols = static_cast<std::size_t>(cols);
  const auto nrows = static_cast<std::size_t>(rows);
  for (std::size_t i = 0, at = 0; i < nrows; ++i) {
    for (std::size_t j = 0; j < ncols; ++j, ++at) layer.col_ptr[j + 1] += pruned.keep[at];
  }
  for (std::size_t j = 0; j < ncols; ++j) layer.col_ptr[j + 1] += layer.col_ptr[j];
  layer.row_idx.resize(survivors.size());
  layer.codes.resize(survivors.size());
  std::vector<std::uint32_t> next(layer.col_ptr.begin(), layer.col_ptr.end() - 1);
  for (std::size_t i = 0, at = 0; i < nrows; ++i) {
    for (std::size_t j = 0; j < ncols; ++j, ++at) {
      if (!pruned.keep[at]) continue;
      const std::uint32_t slot = next[j]++;
      layer.row_idx[slot] = static_cast<std::uint32_t>(i);
      layer.codes[slot] = codes[at];
    }
  }
  layer.name = std::move(name);
  layer.provenance.method = layer.nnz() < rows * cols ? "prune+quantize" : "quantize";
  layer.provenance.density = layer.density();
  layer.provenance.bits = settings.bits;
  layer.validate();
  if (stats) *stats = {pruned.threshold, km.iterations, km.converged, km.wcss};
  return layer;
}

}  // namespace eie
