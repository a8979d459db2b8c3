// JSON headers (safetensors, .eie) are parsed with a nesting limit: nlohmann::json copies and prints
// recursively, so a hostile file of 60,000 '[' would otherwise overflow the stack.
#pragma once

#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "eie/core.h"

namespace eie::io {

constexpr int kMaxJsonDepth = 64;

// Parses [begin, end); throws Error "<what>: <problem>" for bad JSON or nesting deeper than kMaxJsonDepth.
template <typename It>
nlohmann::json parse_json_header(It begin, It end, const std::string& what) {
  const nlohmann::json::parser_callback_t limit = [&what](int depth, nlohmann::json::parse_event_t,
                                                          nlohmann::json&) {
    if (depth > kMaxJsonDepth) throw Error(fmt::format("{}: JSON nested deeper than {} levels", what, kMaxJsonDepth));
    return true;
  };
  try {
    return nlohmann::json::parse(begin, end, limit);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: corrupt JSON: {}", what, e.what()));
  }
}

}  // namespace eie::io
