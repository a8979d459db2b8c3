#include "network_predict.h"

#include <algorithm>
#include <optional>

#include <fmt/core.h>

namespace eie::cli {

std::vector<int> engine_predict(const Model& model, const ImageSet& images, const ModelEngineOptions& options,
                                std::int64_t batch) {
  if (model.inputs.size() != 1 || model.outputs.size() != 1) {
    throw Error(fmt::format("model '{}': expected one input and one output", model.name));
  }
  Shape shape = model.inputs[0].shape;
  if (shape.empty()) shape = {-1, images.rows * images.cols};
  std::int64_t per_image = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) per_image *= shape[i];
  if (per_image != images.rows * images.cols) {
    throw Error(fmt::format("model '{}': input shape {} does not hold one {}x{} image per sample", model.name,
                            shape_string(model.inputs[0].shape), images.rows, images.cols));
  }
  std::vector<int> predicted(static_cast<std::size_t>(images.count));
  std::optional<ModelEngine> engine;
  std::vector<float> x, y;
  for (std::int64_t begin = 0; begin < images.count; begin += batch) {
    const std::int64_t n = std::min(batch, images.count - begin);
    if (!engine || engine->input_shapes()[0][0] != n) {
      shape[0] = n;
      engine.emplace(model, std::vector<Shape>{shape}, options);
      x.resize(static_cast<std::size_t>(n * per_image));
      y.resize(static_cast<std::size_t>(shape_numel(engine->output_shapes()[0])));
    }
    const std::uint8_t* pixels = images.pixels.data() + begin * per_image;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(pixels[i]) / 255.0f;
    engine->run({std::span<const float>(x)}, {std::span<float>(y)});
    const std::size_t classes = y.size() / static_cast<std::size_t>(n);
    for (std::int64_t k = 0; k < n; ++k) {
      const auto first = y.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(k) * classes);
      predicted[static_cast<std::size_t>(begin + k)] =
          static_cast<int>(std::max_element(first, first + static_cast<std::ptrdiff_t>(classes)) - first);
    }
  }
  return predicted;
}

}  // namespace eie::cli
