// Sorting floats for the 1-D k-means: an LSD radix sort on order-preserving 32-bit keys, three passes of 11 bits,
// each pass split over threads (per-thread histograms, then per-thread scatter offsets, so it stays stable).
#pragma once

#include <bit>
#include <cstdint>
#include <span>

#include "compress/big_buffer.h"

namespace eie::detail {

// Flips the sign bit of positives and every bit of negatives: unsigned order = float order (-0 before +0).
inline std::uint32_t float_key(float v) {
  const auto u = std::bit_cast<std::uint32_t>(v);
  return u ^ ((u >> 31) ? 0xFFFFFFFFu : 0x80000000u);
}
inline float key_float(std::uint32_t k) { return std::bit_cast<float>(k ^ ((k >> 31) ? 0x80000000u : 0xFFFFFFFFu)); }

// The keys of the values in ascending order. Values must be finite.
BigVector<std::uint32_t> sorted_keys(std::span<const float> values, int threads);

}  // namespace eie::detail
