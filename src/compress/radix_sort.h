// Sorting floats for the 1-D k-means: an LSD radix sort on order-preserving 32-bit keys, three passes of 11 bits,
// each pass split over threads (per-thread histograms, then per-thread scatter offsets, so it stays stable).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace eie::detail {

// The values in ascending order (-0 before +0). Values must be finite.
std::vector<float> sorted_copy(std::span<const float> values, int threads);

}  // namespace eie::detail
