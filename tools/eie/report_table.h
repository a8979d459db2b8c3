// The paper-style per-layer compression table (Deep Compression, Tables 2-5), as text and as JSON; shared by
// `eie compress`, `eie info` and the demo.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "eie/compress.h"

namespace eie::cli {

std::string report_table(const CompressionReport& report, std::int64_t file_bytes);
nlohmann::json report_json(const CompressionReport& report, std::int64_t file_bytes);

}  // namespace eie::cli
