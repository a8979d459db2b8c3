// The baselines' shared argument check: one-line Error naming the argument and both sizes.
#pragma once

#include <span>
#include <string>

#include "eie/core.h"

namespace eie::baseline {

inline void check_sizes(const char* who, std::span<const float> x, std::span<float> y, std::int64_t rows,
                        std::int64_t cols, std::int64_t batch) {
  if (batch < 1) throw Error(std::string(who) + ": batch = " + std::to_string(batch) + " must be at least 1");
  if (static_cast<std::int64_t>(x.size()) != cols * batch) {
    throw Error(std::string(who) + ": input x has " + std::to_string(x.size()) + " floats, expected " +
                std::to_string(cols * batch));
  }
  if (static_cast<std::int64_t>(y.size()) != rows * batch) {
    throw Error(std::string(who) + ": output y has " + std::to_string(y.size()) + " floats, expected " +
                std::to_string(rows * batch));
  }
}

}  // namespace eie::baseline
