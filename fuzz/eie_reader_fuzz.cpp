// libFuzzer target for the .eie reader. Mutated files almost never carry valid CRC-32s, which would stop the
// fuzzer at the checksums; so each input is parsed twice: as it is (the checks on magic, version and checksums)
// and after a fix-up that recomputes the header's and every section's CRC-32 (everything behind them). A file
// the reader accepts must write and read back to the same bytes.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "eie/io.h"

namespace {

std::uint32_t crc_of(const std::uint8_t* p, std::size_t n) {
  return static_cast<std::uint32_t>(crc32(0, p, static_cast<uInt>(n)));
}

void parse(const std::vector<std::uint8_t>& bytes) {
  eie::EieFile file;
  try {
    file = eie::parse_eie(bytes, "fuzz.eie");
  } catch (const eie::Error&) {
    return;
  }
  try {
    const auto again = eie::serialize_eie(file);
    if (eie::serialize_eie(eie::parse_eie(again, "again.eie")) != again) std::abort();
  } catch (const eie::Error&) {
    std::abort();
  }
}

// Rewrites the section table's CRCs (for sections inside the file) and the header's CRC.
bool fix_checksums(std::vector<std::uint8_t>& bytes) {
  if (bytes.size() < 24) return false;
  std::uint32_t len;
  std::memcpy(&len, &bytes[12], 4);
  if (len > bytes.size() - 24) return false;
  // The reader refuses nesting deeper than 64; the fix-up must not recurse deeper than that either.
  const nlohmann::json::parser_callback_t limit = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > 64) throw std::runtime_error("too deep");
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 24, bytes.begin() + 24 + len, limit);
  } catch (const std::exception&) {
    return false;
  }
  if (!header.is_object()) return false;
  const std::size_t data_start = 24 + len;
  const std::size_t data_size = bytes.size() - data_start;
  if (header.contains("sections") && header["sections"].is_array()) {
    for (auto& s : header["sections"]) {
      if (!s.is_object() || !s.contains("offset") || !s.contains("length")) continue;
      if (!s["offset"].is_number_unsigned() || !s["length"].is_number_unsigned()) continue;
      const auto off = s["offset"].get<std::uint64_t>();
      const auto n = s["length"].get<std::uint64_t>();
      if (off > data_size || n > data_size - off) continue;
      s["crc32"] = crc_of(bytes.data() + data_start + off, n);
    }
  }
  const std::string text = header.dump();
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + 24);
  const auto new_len = static_cast<std::uint32_t>(text.size());
  std::memcpy(&out[12], &new_len, 4);
  const std::uint32_t crc = crc_of(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  std::memcpy(&out[16], &crc, 4);
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), bytes.begin() + static_cast<std::ptrdiff_t>(data_start), bytes.end());
  bytes.swap(out);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  parse(bytes);
  if (fix_checksums(bytes)) parse(bytes);
  return 0;
}
