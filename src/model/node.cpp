#include <fmt/core.h>

#include "eie/model.h"

namespace eie {
namespace {

template <typename T>
const T* find_attr(const Node& node, const std::string& key, const char* type) {
  const auto it = node.attributes.find(key);
  if (it == node.attributes.end()) return nullptr;
  const T* value = std::get_if<T>(&it->second);
  if (value == nullptr) {
    throw Error(fmt::format("node '{}' ({}): attribute '{}' is not {}", node.name, node.op_type, key, type));
  }
  return value;
}

}  // namespace

std::int64_t Node::attr_int(const std::string& key, std::int64_t fallback) const {
  const auto* v = find_attr<std::int64_t>(*this, key, "an int");
  return v ? *v : fallback;
}

float Node::attr_float(const std::string& key, float fallback) const {
  const auto* v = find_attr<float>(*this, key, "a float");
  return v ? *v : fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  const auto* v = find_attr<std::string>(*this, key, "a string");
  return v ? *v : fallback;
}

std::vector<std::int64_t> Node::attr_ints(const std::string& key, std::vector<std::int64_t> fallback) const {
  const auto* v = find_attr<std::vector<std::int64_t>>(*this, key, "a list of ints");
  return v ? *v : std::move(fallback);
}

}  // namespace eie
