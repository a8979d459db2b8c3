// The .eie container's fixed parts, shared by its writer and reader. docs/format.md is the specification.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "eie/model.h"

namespace eie::io {

// "\x89EIE\r\n\x1a\n": a high byte (catches 7-bit transfers), the name, CR LF and LF (catch newline
// translation) and ^Z (stops `type` on DOS), as PNG does.
constexpr std::array<std::uint8_t, 8> kEieMagic = {0x89, 'E', 'I', 'E', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t kPreambleBytes = 24;  // magic, version, header length, header CRC-32, reserved
constexpr std::size_t kSectionAlignment = 8;

// Compressed weights in graph order (as their nodes first use them), then any others by name.
std::vector<std::string> compressed_order(const Model& model);

// Bits needed for a column pointer into a layer of `entries` entries (at least 1): the report's pointer width.
int pointer_width(std::int64_t entries);

}  // namespace eie::io
