// 1-D k-means (Lloyd) on sorted values. In one dimension every cluster of a Lloyd step is a contiguous range
// of the sorted values, cut at the midpoints between adjacent centroids; so after one sort each iteration is
// k binary searches and k range means from prefix sums, O(k log n), instead of O(n k). The midpoints are
// compared in double, where (a + b) / 2 of two floats is exact: a value goes to the nearest centroid exactly,
// ties to the lower one, which is what a brute-force Lloyd step computes too.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <unordered_set>

#include "compress/checks.h"
#include "compress/parallel.h"
#include "compress/radix_sort.h"
#include "eie/compress.h"

namespace eie {
namespace {

std::vector<float> initial_centroids(const std::vector<float>& sorted, const KmeansSettings& s) {
  const auto k = static_cast<std::size_t>(s.clusters);
  const std::size_t n = sorted.size();
  const double lo = sorted.front(), hi = sorted.back();
  std::vector<float> c(k);
  auto linear = [&](std::size_t i) {
    return static_cast<float>(k == 1 ? lo + (hi - lo) / 2 : lo + (hi - lo) * static_cast<double>(i) /
                                                                     static_cast<double>(k - 1));
  };
  switch (s.init) {
    case KmeansInit::linear:
      for (std::size_t i = 0; i < k; ++i) c[i] = linear(i);
      break;
    case KmeansInit::density:
      for (std::size_t i = 0; i < k; ++i) {
        const auto at = static_cast<std::size_t>((static_cast<double>(i) + 0.5) / static_cast<double>(k) *
                                                 static_cast<double>(n));
        c[i] = sorted[std::min(at, n - 1)];
      }
      break;
    case KmeansInit::random: {
      // Forgy: distinct positions by Floyd's sampling (seeded), their values sorted. With fewer values than
      // clusters the rest are spread linearly.
      Rng rng(s.seed);
      const std::size_t draws = std::min(k, n);
      std::unordered_set<std::size_t> chosen;
      std::vector<std::size_t> order;
      for (std::size_t j = n - draws; j < n; ++j) {
        const auto t = static_cast<std::size_t>(rng.below(j + 1));
        const std::size_t pick = chosen.count(t) ? j : t;
        chosen.insert(pick);
        order.push_back(pick);
      }
      for (std::size_t i = 0; i < draws; ++i) c[i] = sorted[order[i]];
      for (std::size_t i = draws; i < k; ++i) c[i] = linear(i);
      std::sort(c.begin(), c.end());
      break;
    }
  }
  return c;
}

inline double midpoint(float a, float b) { return (static_cast<double>(a) + static_cast<double>(b)) * 0.5; }

// boundaries[i] = number of sorted values that belong to clusters 0..i (values <= the midpoint above i).
void find_boundaries(const std::vector<float>& sorted, const std::vector<float>& c, std::vector<std::size_t>& out) {
  const std::size_t k = c.size();
  out.resize(k);
  auto from = sorted.begin();
  for (std::size_t i = 0; i + 1 < k; ++i) {
    const double m = midpoint(c[i], c[i + 1]);
    from = std::upper_bound(from, sorted.end(), m, [](double x, float v) { return x < static_cast<double>(v); });
    out[i] = static_cast<std::size_t>(from - sorted.begin());
  }
  out[k - 1] = sorted.size();
}

}  // namespace

double sharing_ratio(std::int64_t n, int clusters, int value_bits) {
  const double bits = std::log2(static_cast<double>(clusters));
  return static_cast<double>(n) * value_bits /
         (static_cast<double>(n) * bits + static_cast<double>(clusters) * value_bits);
}

KmeansResult kmeans_1d(std::span<const float> values, const KmeansSettings& settings) {
  if (settings.clusters < 1 || settings.clusters > 256) {
    throw Error("k-means: clusters must be in 1..256, got " + std::to_string(settings.clusters));
  }
  if (settings.max_iterations < 1) {
    throw Error("k-means: max_iterations must be >= 1, got " + std::to_string(settings.max_iterations));
  }
  check_finite(values, "k-means input");
  KmeansResult result;
  if (values.empty()) {
    result.converged = true;
    return result;
  }
  const std::vector<float> sorted = detail::sorted_copy(values, settings.threads);
  const std::size_t n = sorted.size();
  std::vector<double> prefix(n + 1);
  prefix[0] = 0.0;
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + static_cast<double>(sorted[i]);

  std::vector<float> c = initial_centroids(sorted, settings);
  const std::size_t k = c.size();
  std::vector<std::size_t> bounds, previous;
  find_boundaries(sorted, c, bounds);
  while (result.iterations < settings.max_iterations) {
    std::size_t begin = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t end = bounds[i];
      if (end > begin) {
        c[i] = static_cast<float>((prefix[end] - prefix[begin]) / static_cast<double>(end - begin));
      }
      begin = end;
    }
    ++result.iterations;
    previous.swap(bounds);
    find_boundaries(sorted, c, bounds);
    if (bounds == previous) {
      result.converged = true;
      break;
    }
  }
  // Centroids of adjacent clusters stay ordered in 1-D Lloyd; the rounding to float cannot reorder them by
  // more than equality, so a sort is a no-op kept only as a guarantee for callers.
  std::sort(c.begin(), c.end());
  find_boundaries(sorted, c, bounds);
  std::size_t begin = 0;
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = begin; j < bounds[i]; ++j) {
      const double d = static_cast<double>(sorted[j]) - c[i];
      result.wcss += d * d;
    }
    begin = bounds[i];
  }
  result.centroids = std::move(c);
  return result;
}

std::vector<std::uint8_t> assign_clusters(std::span<const float> values, std::span<const float> centroids,
                                          int threads) {
  std::vector<std::uint8_t> codes(values.size(), 0);
  if (centroids.size() <= 1) return codes;
  if (centroids.size() > 256) throw Error("assign_clusters: more than 256 centroids");
  // Branchless search over the midpoints, padded to a power of two with +inf.
  std::size_t width = 1;
  while (width < centroids.size() - 1) width *= 2;
  std::vector<double> mids(width, std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i + 1 < centroids.size(); ++i) mids[i] = midpoint(centroids[i], centroids[i + 1]);
  detail::parallel_slices(threads, values.size(), [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t j = begin; j < end; ++j) {
      const double v = values[j];
      std::size_t pos = 0;  // number of midpoints < v
      for (std::size_t step = width; step > 0; step /= 2) {
        if (pos + step <= width && mids[pos + step - 1] < v) pos += step;
      }
      codes[j] = static_cast<std::uint8_t>(pos);
    }
  });
  return codes;
}

}  // namespace eie
