#include <filesystem>

#include <fmt/core.h>

#include "eie/io.h"

namespace eie {

Model load_model(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".onnx") return load_onnx(path);
  if (ext == ".safetensors") return load_safetensors(path);
  if (ext == ".npy") return load_npy(path);
  if (ext == ".eie") return load_eie(path).model;
  throw Error(fmt::format("{}: unknown model file type '{}' (expected .onnx, .safetensors, .npy or .eie)", path, ext));
}

}  // namespace eie
