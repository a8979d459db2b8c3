#include <algorithm>
#include <cmath>

#include "eie/model.h"

namespace eie {

double WeightSummary::density() const {
  const std::int64_t size = slot.rows * slot.cols;
  return size == 0 ? 0.0 : static_cast<double>(nonzeros) / static_cast<double>(size);
}

std::vector<WeightSummary> summarize_weights(const Model& model) {
  std::vector<WeightSummary> out;
  for (const WeightSlot& slot : model.weight_slots()) {
    const std::optional<Tensor> tensor = model.constant(slot.name);
    if (!tensor) throw Error("weight '" + slot.name + "' has no value");
    WeightSummary s{.slot = slot, .shape = tensor->shape};
    std::vector<float> values = tensor->data;
    s.nonzeros = std::count_if(values.begin(), values.end(), [](float v) { return v != 0.0f; });
    for (float& v : values) v = v == 0.0f ? 0.0f : v;  // -0 and +0 are one value
    // NaNs cannot be sorted: they count as one value.
    const auto numbers_end = std::remove_if(values.begin(), values.end(), [](float v) { return std::isnan(v); });
    const bool has_nan = numbers_end != values.end();
    std::sort(values.begin(), numbers_end);
    s.distinct_values = (std::unique(values.begin(), numbers_end) - values.begin()) + (has_nan ? 1 : 0);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace eie
