// Top-1 predictions of an image classifier run as a whole network by the CPU engine (ModelEngine): images
// scaled to [0, 1] as eie train feeds them, `batch` images per run (the last run smaller), one planned engine
// per batch size. `eie eval` and the demo use it.
#pragma once

#include <cstdint>
#include <vector>

#include "eie/dataset.h"
#include "eie/engine.h"
#include "eie/model.h"

namespace eie::cli {

// Throws Error when the model does not have one input of rows * cols values per image and one output.
std::vector<int> engine_predict(const Model& model, const ImageSet& images, const ModelEngineOptions& options,
                                std::int64_t batch = 100);

}  // namespace eie::cli
