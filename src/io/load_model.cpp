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

Tensor read_tensor(const std::string& path, std::string* type) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") return read_npy(path, type);
  if (ext == ".pb") return read_tensor_proto(path, type);
  throw Error(fmt::format("{}: unknown tensor file type '{}' (expected .npy or .pb)", path, ext));
}

void write_tensor(const std::string& path, const Tensor& tensor) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") return write_npy(path, tensor);
  if (ext == ".pb") return write_tensor_proto(path, tensor);
  throw Error(fmt::format("{}: unknown tensor file type '{}' (expected .npy or .pb)", path, ext));
}

}  // namespace eie
