// Hand-built layers for the timing tests: columns given as lists of global rows, every entry code 1.
#pragma once

#include <cstdint>
#include <vector>

#include "eie/core.h"
#include "eie/sim.h"

namespace eie::sim::test {

inline CompressedLayer layer_from_columns(std::int64_t rows, const std::vector<std::vector<std::uint32_t>>& columns,
                                          std::uint8_t code = 1) {
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows) * columns.size(), 0);
  for (std::size_t j = 0; j < columns.size(); ++j) {
    for (std::uint32_t r : columns[j]) codes[r * columns.size() + j] = code;
  }
  std::vector<float> values{0.0f};
  for (int i = 1; i < 16; ++i) values.push_back(static_cast<float>(i) / 16.0f);
  return CompressedLayer::from_codes(rows, static_cast<std::int64_t>(columns.size()), codes,
                                     Codebook(values, 4, true));
}

inline Config config_with(int pes, int fifo = 8) {
  Config c;
  c.num_pes = pes;
  c.fifo_depth = fifo;
  return c;
}

}  // namespace eie::sim::test
