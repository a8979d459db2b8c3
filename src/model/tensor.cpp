#include <limits>
#include <string>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "eie/model.h"

namespace eie {

std::int64_t shape_numel(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 0) throw Error(fmt::format("shape {} has a negative dimension", shape_string(shape)));
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) {
      throw Error(fmt::format("shape {} has too many elements", shape_string(shape)));
    }
    n *= d;
  }
  return n;
}

std::string shape_string(const std::vector<std::int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::int64_t Tensor::numel() const { return shape_numel(shape); }

}  // namespace eie
