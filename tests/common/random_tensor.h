// A tensor of normally distributed values (mean + scale x N(0, 1)) for the model and engine tests. Header-only:
// the common test library links only eie::core, and Tensor belongs to the model module.
#pragma once

#include <utility>

#include "eie/model.h"

namespace eie::test {

inline Tensor random_tensor(Shape shape, Rng& rng, float scale = 1.0f, float mean = 0.0f) {
  Tensor t{std::move(shape), {}};
  t.data.resize(static_cast<std::size_t>(t.numel()));
  for (float& v : t.data) v = mean + static_cast<float>(rng.normal()) * scale;
  return t;
}

}  // namespace eie::test
