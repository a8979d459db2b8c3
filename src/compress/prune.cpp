// Magnitude pruning, per layer. Two rules: the paper's threshold (quality x std of the layer's weights) and an
// exact target density (the k largest |w|, ties broken by position so the result never depends on the sort).
#include <algorithm>
#include <cmath>
#include <string>

#include "compress/checks.h"
#include "eie/compress.h"

namespace eie {

PruneResult prune(std::span<const float> weights, const PruneSettings& settings, std::string_view layer) {
  const std::string where = "layer '" + std::string(layer) + "'";
  check_finite(weights, layer);
  PruneResult result;
  const std::size_t n = weights.size();
  result.keep.assign(n, 0);

  switch (settings.mode) {
    case PruneMode::none:
      std::fill(result.keep.begin(), result.keep.end(), std::uint8_t{1});
      result.kept = static_cast<std::int64_t>(n);
      return result;

    case PruneMode::quality: {
      if (!(settings.quality >= 0.0) || !std::isfinite(settings.quality)) {
        throw Error(where + ": quality must be >= 0, got " + std::to_string(settings.quality));
      }
      double sum = 0.0, sum_sq = 0.0;
      for (float w : weights) {
        sum += w;
        sum_sq += static_cast<double>(w) * w;
      }
      const double mean = n ? sum / static_cast<double>(n) : 0.0;
      const double variance = n ? std::max(0.0, sum_sq / static_cast<double>(n) - mean * mean) : 0.0;
      result.threshold = settings.quality * std::sqrt(variance);
      for (std::size_t i = 0; i < n; ++i) {
        const double a = std::fabs(static_cast<double>(weights[i]));
        if (a > result.threshold && weights[i] != 0.0f) {
          result.keep[i] = 1;
          ++result.kept;
        }
      }
      return result;
    }

    case PruneMode::density: {
      if (!(settings.density > 0.0 && settings.density <= 1.0)) {
        throw Error(where + ": density must be in (0, 1], got " + std::to_string(settings.density));
      }
      std::vector<float> magnitudes;
      magnitudes.reserve(n);
      for (float w : weights) {
        if (w != 0.0f) magnitudes.push_back(std::fabs(w));
      }
      const auto target = static_cast<std::size_t>(std::llround(settings.density * static_cast<double>(n)));
      const std::size_t k = std::min(target, magnitudes.size());
      if (k == 0) return result;
      // The k-th largest magnitude: everything above it is kept, and of those equal to it the first ones.
      auto kth = magnitudes.begin() + static_cast<std::ptrdiff_t>(k - 1);
      std::nth_element(magnitudes.begin(), kth, magnitudes.end(), std::greater<float>());
      const float t = *kth;
      const auto above = static_cast<std::size_t>(
          std::count_if(magnitudes.begin(), magnitudes.end(), [t](float a) { return a > t; }));
      std::size_t equal_left = k - above;
      for (std::size_t i = 0; i < n; ++i) {
        const float a = std::fabs(weights[i]);
        if (a > t || (a == t && equal_left > 0 && (--equal_left, true))) result.keep[i] = 1;
      }
      result.kept = static_cast<std::int64_t>(k);
      result.threshold = t;
      return result;
    }
  }
  throw Error(where + ": unknown pruning mode");
}

}  // namespace eie
