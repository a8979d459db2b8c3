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

// The sorted values, as order-preserving keys, with prefix sums kept per block of kBlock values: a range sum is
// a block prefix plus at most kBlock additions, so the prefix array is n / 32 doubles, not n.
class SortedValues {
 public:
  static constexpr std::size_t kBlock = 32;

  SortedValues(std::span<const float> values, int threads) : keys_(detail::sorted_keys(values, threads)) {
    const std::size_t n = keys_.size();
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    prefix_.assign(blocks + 1, 0.0);
    detail::parallel_slices(threads, blocks, [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t b = begin; b < end; ++b) prefix_[b + 1] = partial(b * kBlock, std::min(n, (b + 1) * kBlock));
    });
    for (std::size_t b = 0; b < blocks; ++b) prefix_[b + 1] += prefix_[b];
  }

  std::size_t size() const { return keys_.size(); }
  float operator[](std::size_t i) const { return detail::key_float(keys_[i]); }
  // Sum of the values at sorted positions [0, i).
  double prefix(std::size_t i) const {
    const std::size_t b = i / kBlock;
    return prefix_[b] + partial(b * kBlock, i);
  }
  // The number of values <= m, searched outward from `hint` (boundaries move little between iterations).
  std::size_t count_not_above(double m, std::size_t hint) const {
    const std::size_t n = keys_.size();
    auto above = [&](std::size_t i) { return static_cast<double>((*this)[i]) > m; };
    std::size_t lo = 0, hi = n;  // the answer (the first index above m, or n) lies in [lo, hi]
    hint = std::min(hint, n);
    if (hint < n && !above(hint)) {
      lo = hint + 1;
      for (std::size_t step = 1;; step *= 2) {
        const std::size_t probe = lo + step - 1;
        if (probe >= n) break;
        if (above(probe)) {
          hi = probe;
          break;
        }
        lo = probe + 1;
      }
    } else {
      hi = hint;
      for (std::size_t step = 1; hi > 0; step *= 2) {
        const std::size_t probe = hi >= step ? hi - step : 0;
        if (!above(probe)) {
          lo = probe + 1;
          break;
        }
        hi = probe;
      }
    }
    while (lo < hi) {  // first index in [lo, hi) that is above m, else hi
      const std::size_t mid = lo + (hi - lo) / 2;
      if (above(mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

 private:
  // Four interleaved sums break the chain of dependent additions (the passes over all values are long).
  double partial(std::size_t begin, std::size_t end) const {
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t i = begin;
    for (; i + 4 <= end; i += 4) {
      for (std::size_t u = 0; u < 4; ++u) s[u] += (*this)[i + u];
    }
    for (; i < end; ++i) s[0] += (*this)[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
  }

 public:
  // Sum of (value - c)^2 over sorted positions [begin, end).
  double squared_error(std::size_t begin, std::size_t end, float c) const {
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t i = begin;
    for (; i + 4 <= end; i += 4) {
      for (std::size_t u = 0; u < 4; ++u) {
        const double d = static_cast<double>((*this)[i + u]) - c;
        s[u] += d * d;
      }
    }
    for (; i < end; ++i) {
      const double d = static_cast<double>((*this)[i]) - c;
      s[0] += d * d;
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
  }

 private:

  detail::BigVector<std::uint32_t> keys_;
  std::vector<double> prefix_;
};

std::vector<float> initial_centroids(const SortedValues& sorted, const KmeansSettings& s) {
  const auto k = static_cast<std::size_t>(s.clusters);
  const std::size_t n = sorted.size();
  const double lo = sorted[0], hi = sorted[n - 1];
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
  const SortedValues sorted(values, settings.threads);
  std::vector<float> c = initial_centroids(sorted, settings);
  const std::size_t k = c.size();
  // Late iterations move few boundaries, so only the boundaries next to a centroid that changed are searched
  // again, and only the centroids next to a boundary that moved are recomputed: the same Lloyd steps, at a cost
  // proportional to what changes (a 138M-value, 256-cluster run needs tens of thousands of iterations).
  std::vector<std::size_t> bounds(k, 0);
  std::vector<double> prefix_at(k, 0.0);  // sum of the values before bounds[i]
  std::vector<std::uint8_t> moved(k, 1), changed(k, 1);
  auto search = [&](std::size_t i) {  // boundary above cluster i; true if it moved
    const std::size_t b = i + 1 < k ? sorted.count_not_above(midpoint(c[i], c[i + 1]), bounds[i]) : sorted.size();
    const bool m = b != bounds[i] || result.iterations == 0;
    if (m) {
      bounds[i] = b;
      prefix_at[i] = sorted.prefix(b);
    }
    return m;
  };
  for (std::size_t i = 0; i < k; ++i) search(i);
  while (result.iterations < settings.max_iterations) {
    for (std::size_t i = 0; i < k; ++i) {
      changed[i] = 0;
      if (!moved[i] && !(i > 0 && moved[i - 1])) continue;
      const std::size_t begin = i ? bounds[i - 1] : 0;
      if (bounds[i] > begin) {
        const double sum = prefix_at[i] - (i ? prefix_at[i - 1] : 0.0);
        const auto centroid = static_cast<float>(sum / static_cast<double>(bounds[i] - begin));
        changed[i] = centroid != c[i];
        c[i] = centroid;
      }
    }
    ++result.iterations;
    bool any = false;
    moved.back() = 0;  // the last boundary is always the end
    for (std::size_t i = 0; i + 1 < k; ++i) {
      moved[i] = (changed[i] || changed[i + 1]) && search(i);
      any = any || moved[i];
    }
    if (!any) {
      result.converged = true;
      break;
    }
  }
  // 1-D Lloyd keeps the centroids ordered: cluster i's values are <= the midpoint < cluster i + 1's, and rounding
  // to float is monotone; an empty cluster keeps a centroid that lies between its neighbours' values.
  std::vector<double> partial_wcss(detail::slices_for(settings.threads, sorted.size()), 0.0);
  detail::parallel_slices(settings.threads, sorted.size(), [&](std::size_t t, std::size_t first, std::size_t last) {
    double sum = 0.0;
    std::size_t begin = first;
    for (std::size_t i = 0; i < k && begin < last; ++i) {
      const std::size_t end = std::min(last, bounds[i]);
      if (end > begin) sum += sorted.squared_error(begin, end, c[i]);
      begin = std::max(begin, end);
    }
    partial_wcss[t] = sum;
  });
  for (double w : partial_wcss) result.wcss += w;
  result.centroids = std::move(c);
  return result;
}

// The nearest centroid of each value, exactly: value > midpoint(c_i, c_i+1) (in double, exact) moves it past
// boundary i. In key space (detail::float_key, monotone) that is key(v) > key(largest float <= midpoint), so a
// table over the top 16 key bits gives each value's code directly, or the few boundaries left to compare.
std::vector<std::uint8_t> assign_clusters(std::span<const float> values, std::span<const float> centroids,
                                          int threads) {
  std::vector<std::uint8_t> codes(values.size(), 0);
  if (centroids.size() <= 1) return codes;
  if (centroids.size() > 256) throw Error("assign_clusters: more than 256 centroids");
  const std::size_t boundaries = centroids.size() - 1;
  std::vector<std::uint32_t> threshold(boundaries);
  for (std::size_t i = 0; i < boundaries; ++i) {
    const double m = midpoint(centroids[i], centroids[i + 1]);
    float f = static_cast<float>(m);
    if (static_cast<double>(f) > m) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    threshold[i] = detail::float_key(f);
  }
  // Thresholds are non-decreasing (centroids ascending). first[p] = boundaries below prefix p's smallest key.
  constexpr int kPrefixBits = 16;
  std::vector<std::uint16_t> first((std::size_t{1} << kPrefixBits) + 1);
  std::size_t below = 0;
  for (std::size_t p = 0; p <= (std::size_t{1} << kPrefixBits); ++p) {
    const std::uint64_t smallest = static_cast<std::uint64_t>(p) << (32 - kPrefixBits);
    while (below < boundaries && threshold[below] < smallest) ++below;
    first[p] = static_cast<std::uint16_t>(below);
  }
  detail::parallel_slices(threads, values.size(), [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t j = begin; j < end; ++j) {
      const std::uint32_t key = detail::float_key(values[j]);
      const std::uint32_t prefix = key >> (32 - kPrefixBits);
      // Only the thresholds inside this prefix's key range are left to compare (usually none).
      const auto lo = threshold.begin() + first[prefix], hi = threshold.begin() + first[prefix + 1];
      codes[j] = static_cast<std::uint8_t>(lo == hi ? first[prefix] : std::lower_bound(lo, hi, key) - threshold.begin());
    }
  });
  return codes;
}

}  // namespace eie
