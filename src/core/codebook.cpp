#include <cmath>
#include <string>

#include "eie/core.h"

namespace eie {

Codebook::Codebook(std::vector<float> values, int bits, bool zero_reserved)
    : values_(std::move(values)), bits_(bits), zero_reserved_(zero_reserved) {
  if (bits < 1 || bits > 8) {
    throw Error("codebook: bits must be in 1..8, got " + std::to_string(bits));
  }
  if (values_.empty() || values_.size() > (std::size_t{1} << bits)) {
    throw Error("codebook: " + std::to_string(bits) + "-bit codebook must hold 1.." +
                std::to_string(1 << bits) + " values, got " + std::to_string(values_.size()));
  }
  for (std::size_t i = 0; i < values_.size(); ++i) {
    if (!std::isfinite(values_[i])) {
      throw Error("codebook: value " + std::to_string(i) + " is not finite");
    }
  }
  if (zero_reserved_ && values_[0] != 0.0f) {
    throw Error("codebook: entry 0 must be the value 0 when zero is reserved, got " + std::to_string(values_[0]));
  }
}

std::uint8_t Codebook::nearest(float w) const {
  std::size_t best = static_cast<std::size_t>(first_code());
  if (best >= values_.size()) return 0;  // a codebook holding only the reserved zero
  float best_distance = std::fabs(w - values_[best]);
  for (std::size_t code = best + 1; code < values_.size(); ++code) {
    const float distance = std::fabs(w - values_[code]);
    if (distance < best_distance) {
      best_distance = distance;
      best = code;
    }
  }
  return static_cast<std::uint8_t>(best);
}

}  // namespace eie
