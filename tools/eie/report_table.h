// The paper-style per-layer compression table (Deep Compression, Tables 2-5) as text, shared by `eie compress`,
// `eie info` and the demo (its JSON form is eie/io.h's report_json).
#pragma once

#include <cstdint>
#include <string>

#include "eie/compress.h"

namespace eie::cli {

std::string report_table(const CompressionReport& report, std::int64_t file_bytes);

}  // namespace eie::cli
