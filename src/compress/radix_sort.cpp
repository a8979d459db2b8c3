#include "compress/radix_sort.h"

#include <array>
#include <bit>
#include <cstring>

#include "compress/parallel.h"

namespace eie::detail {
namespace {

constexpr int kDigitBits = 11;
constexpr std::uint32_t kBuckets = 1u << kDigitBits;

// Flips the sign bit of positives and every bit of negatives: unsigned order = float order.
inline std::uint32_t to_key(float v) {
  const auto u = std::bit_cast<std::uint32_t>(v);
  return u ^ ((u >> 31) ? 0xFFFFFFFFu : 0x80000000u);
}
inline float from_key(std::uint32_t k) {
  return std::bit_cast<float>(k ^ ((k >> 31) ? 0x80000000u : 0xFFFFFFFFu));
}

}  // namespace

std::vector<float> sorted_copy(std::span<const float> values, int threads) {
  const std::size_t n = values.size();
  std::vector<std::uint32_t> a(n), b(n);
  const std::size_t slices = slices_for(threads, n);
  parallel_slices(threads, n, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) a[i] = to_key(values[i]);
  });
  std::vector<std::array<std::size_t, kBuckets>> histograms(slices);
  for (int shift = 0; shift < 32; shift += kDigitBits) {
    parallel_slices(threads, n, [&](std::size_t t, std::size_t begin, std::size_t end) {
      auto& h = histograms[t];
      h.fill(0);
      for (std::size_t i = begin; i < end; ++i) ++h[(a[i] >> shift) & (kBuckets - 1)];
    });
    // Skip a pass where every key has the same digit (common for the top digit of narrow distributions).
    bool trivial = false;
    for (std::uint32_t d = 0; d < kBuckets && !trivial; ++d) {
      std::size_t total = 0;
      for (const auto& h : histograms) total += h[d];
      trivial = total == n;
    }
    if (trivial) continue;
    std::size_t offset = 0;
    for (std::uint32_t d = 0; d < kBuckets; ++d) {
      for (auto& h : histograms) {
        const std::size_t count = h[d];
        h[d] = offset;
        offset += count;
      }
    }
    parallel_slices(threads, n, [&](std::size_t t, std::size_t begin, std::size_t end) {
      auto& h = histograms[t];
      for (std::size_t i = begin; i < end; ++i) b[h[(a[i] >> shift) & (kBuckets - 1)]++] = a[i];
    });
    a.swap(b);
  }
  b.clear();
  b.shrink_to_fit();
  std::vector<float> out(n);
  parallel_slices(threads, n, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) out[i] = from_key(a[i]);
  });
  return out;
}

}  // namespace eie::detail
