// safetensors: u64 header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, then the data.
// Every offset, size and dtype is checked before a byte of data is read; tensors must not overlap.
#include <algorithm>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

#include "eie/io.h"
#include "io/bytes.h"

namespace eie {
namespace {

using nlohmann::json;

std::size_t dtype_size(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  return 0;
}

}  // namespace

Model parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& what) {
  if (bytes.size() < 8) throw Error(fmt::format("{}: truncated: {} bytes, no safetensors header", what, bytes.size()));
  const std::uint64_t header_len = io::load_le<std::uint64_t>(bytes.data());
  if (header_len > bytes.size() - 8) {
    throw Error(fmt::format("{}: truncated: header length {} runs past the end of the file ({} bytes)", what,
                            header_len, bytes.size()));
  }
  const std::span<const std::uint8_t> data = bytes.subspan(8 + header_len);
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: corrupt safetensors header: {}", what, e.what()));
  }
  if (!header.is_object()) throw Error(fmt::format("{}: corrupt safetensors header: not a JSON object", what));

  Model model;
  model.name = std::filesystem::path(what).stem().string();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const auto fail = [&](const std::string& problem) {
      return Error(fmt::format("{}: tensor '{}': {}", what, name, problem));
    };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      throw fail("entry needs dtype, shape and data_offsets");
    }
    const json& dtype_j = entry["dtype"];
    const json& shape_j = entry["shape"];
    const json& offsets_j = entry["data_offsets"];
    if (!dtype_j.is_string()) throw fail("dtype is not a string");
    const std::string dtype = dtype_j.get<std::string>();
    const std::size_t item = dtype_size(dtype);
    if (item == 0) throw fail(fmt::format("unsupported dtype {} (supported: F32, F16, BF16)", dtype));
    Tensor t;
    if (!shape_j.is_array()) throw fail("shape is not an array");
    for (const json& d : shape_j) {
      if (!d.is_number_unsigned()) throw fail(fmt::format("bad shape dimension {}", d.dump()));
      t.shape.push_back(static_cast<std::int64_t>(std::min<std::uint64_t>(d.get<std::uint64_t>(), INT64_MAX)));
    }
    std::int64_t n = 0;
    try {
      n = shape_numel(t.shape);
    } catch (const Error& e) {
      throw fail(e.what());
    }
    if (!offsets_j.is_array() || offsets_j.size() != 2 || !offsets_j[0].is_number_unsigned() ||
        !offsets_j[1].is_number_unsigned()) {
      throw fail("data_offsets must be two non-negative integers");
    }
    const auto begin = offsets_j[0].get<std::uint64_t>();
    const auto end = offsets_j[1].get<std::uint64_t>();
    if (begin > end || end > data.size()) {
      throw fail(fmt::format("data_offsets [{}, {}] outside the {} data bytes (truncated or corrupt)", begin, end,
                             data.size()));
    }
    if (static_cast<std::uint64_t>(n) > (end - begin) / item || static_cast<std::uint64_t>(n) * item != end - begin) {
      throw fail(fmt::format("shape {} of {} needs {} bytes, data_offsets give {}", shape_string(t.shape), dtype,
                             static_cast<std::uint64_t>(n) * item, end - begin));
    }
    ranges.emplace_back(begin, end);
    t.data.resize(static_cast<std::size_t>(n));
    const std::uint8_t* p = data.data() + begin;
    for (std::size_t i = 0; i < t.data.size(); ++i) {
      if (dtype == "F32") t.data[i] = io::load_le<float>(p + 4 * i);
      else if (dtype == "F16") t.data[i] = io::half_to_float(io::load_le<std::uint16_t>(p + 2 * i));
      else t.data[i] = io::bf16_to_float(io::load_le<std::uint16_t>(p + 2 * i));
    }
    model.initializers[name] = std::move(t);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      throw Error(fmt::format("{}: corrupt: tensors overlap at data offset {}", what, ranges[i].first));
    }
  }
  return model;
}

Model load_safetensors(const std::string& path) { return parse_safetensors(read_file(path), path); }

std::vector<std::uint8_t> serialize_safetensors(const std::map<std::string, Tensor>& tensors) {
  json header = json::object();
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const std::uint64_t size = t.data.size() * 4;
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<std::uint8_t> out(8 + text.size() + offset);
  const std::uint64_t header_len = text.size();
  std::memcpy(out.data(), &header_len, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  out.resize(8 + text.size());
  for (const auto& [name, t] : tensors) {
    for (const float v : t.data) io::append_le(out, v);
  }
  return out;
}

}  // namespace eie
