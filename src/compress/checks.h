// Input checks shared by the compress module's entry points.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <string_view>

#include "eie/core.h"

namespace eie {

// Throws Error naming the layer and the first weight that is NaN or infinite.
inline void check_finite(std::span<const float> weights, std::string_view layer) {
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i])) {
      throw Error("layer '" + std::string(layer) + "': weight " + std::to_string(i) + " is " +
                  (std::isnan(weights[i]) ? "NaN" : "infinite"));
    }
  }
}

}  // namespace eie
