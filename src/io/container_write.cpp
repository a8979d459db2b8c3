// .eie writer: JSON header describing the graph and every layer, then 8-byte aligned binary sections (dense
// tensors as fp32, per compressed layer its bit-packed column pointers, Huffman-coded weight codes and
// Huffman-coded relative indices, and its bias), each listed in the header with offset, length and CRC-32.
#include <bit>
#include <cmath>
#include <set>

#include <fmt/core.h>

#include "eie/io.h"
#include "eie/version.h"
#include "io/bytes.h"
#include "io/container.h"

namespace eie {
namespace io {

std::vector<std::string> compressed_order(const Model& model) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  for (const Node& node : model.nodes) {
    for (const std::string& in : node.inputs) {
      if (model.compressed.count(in) && seen.insert(in).second) order.push_back(in);
    }
  }
  for (const auto& [name, w] : model.compressed) {
    if (seen.insert(name).second) order.push_back(name);
  }
  return order;
}

int pointer_width(std::int64_t entries) {
  return std::max(1, static_cast<int>(std::bit_width(static_cast<std::uint64_t>(entries))));
}

}  // namespace io

namespace {

using nlohmann::json;

struct Encoded {
  RelativeCsc csc;
  HuffmanStream codes;
  HuffmanStream index;
};

Encoded encode_layer(const CompressedLayer& layer, int index_bits) {
  Encoded e{.csc = encode_relative_csc(layer, index_bits), .codes = {}, .index = {}};
  e.codes = huffman_compress(e.csc.codes);
  e.index = huffman_compress(e.csc.index);
  return e;
}

int index_bits_of(const EieFile& file, const std::string& name) {
  const auto it = file.index_bits.find(name);
  return it == file.index_bits.end() ? kFcIndexBits : it->second;
}

json report_json(const LayerReport& r) {
  return {{"name", r.name}, {"rows", r.rows}, {"cols", r.cols}, {"weights", r.weights}, {"stored", r.stored},
          {"density", r.density}, {"weight_bits", r.weight_bits}, {"weight_bits_huffman", r.weight_bits_huffman},
          {"index_bits", r.index_bits}, {"index_bits_huffman", r.index_bits_huffman}, {"bits_pq", r.bits_pq},
          {"bits_pqh", r.bits_pqh}, {"ratio_pq", r.ratio_pq}, {"ratio_pqh", r.ratio_pqh}};
}

// JSON has no infinities or NaN: those float attribute values are written as the strings "inf", "-inf" and "nan"
// (a causal mask's ConstantOfShape fills with -inf).
json float_json(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

json attribute_json(const Attribute& a) {
  if (const auto* v = std::get_if<std::int64_t>(&a)) return {{"int", *v}};
  if (const auto* v = std::get_if<float>(&a)) return {{"float", float_json(*v)}};
  if (const auto* v = std::get_if<std::string>(&a)) return {{"string", *v}};
  if (const auto* v = std::get_if<std::vector<std::int64_t>>(&a)) return {{"ints", *v}};
  if (const auto* v = std::get_if<std::vector<float>>(&a)) {
    json values = json::array();
    for (const float x : *v) values.push_back(float_json(x));
    return {{"floats", values}};
  }
  return {{"strings", std::get<std::vector<std::string>>(a)}};
}

class SectionWriter {
 public:
  std::size_t add(std::string name, std::vector<std::uint8_t> bytes) {
    data_.resize((data_.size() + io::kSectionAlignment - 1) / io::kSectionAlignment * io::kSectionAlignment, 0);
    table_.push_back({{"name", std::move(name)}, {"offset", data_.size()}, {"length", bytes.size()},
                      {"crc32", io::crc32_of(bytes)}});
    data_.insert(data_.end(), bytes.begin(), bytes.end());
    return table_.size() - 1;
  }
  json table() const { return table_; }
  const std::vector<std::uint8_t>& data() const { return data_; }

 private:
  json table_ = json::array();
  std::vector<std::uint8_t> data_;
};

std::vector<std::uint8_t> float_bytes(const std::vector<float>& values) {
  std::vector<std::uint8_t> out;
  out.reserve(values.size() * 4);
  for (const float v : values) io::append_le(out, v);
  return out;
}

json stream_json(std::size_t section, const HuffmanStream& s) {
  return {{"section", section}, {"bits", s.bit_count}, {"alphabet", s.alphabet}, {"group", s.group}};
}

json value_infos(const std::vector<ValueInfo>& values) {
  json out = json::array();
  for (const ValueInfo& v : values) {
    out.push_back({{"name", v.name}, {"shape", v.shape}});
    if (v.type != "float") out.back()["type"] = v.type;  // absent means float (files written before types)
  }
  return out;
}

}  // namespace

CompressionReport make_report(const EieFile& file) {
  std::vector<LayerReport> layers;
  for (const std::string& name : io::compressed_order(file.model)) {
    const Encoded e = encode_layer(file.model.compressed.at(name).layer, index_bits_of(file, name));
    layers.push_back(report_layer(e.csc, e.codes, e.index));
  }
  return summarize(std::move(layers));
}

std::vector<std::uint8_t> serialize_eie(const EieFile& file) {
  const Model& model = file.model;
  model.validate();
  SectionWriter sections;
  // "version" is the container format's; "writer" the eie release that wrote the file (for bug reports).
  json header = {{"format", "eie"}, {"version", kEieFormatVersion}, {"writer", std::string("eie ") + kVersion},
                 {"settings", file.settings}};
  json nodes = json::array();
  for (const Node& node : model.nodes) {
    json attributes = json::object();
    for (const auto& [key, value] : node.attributes) attributes[key] = attribute_json(value);
    nodes.push_back({{"op_type", node.op_type}, {"name", node.name}, {"inputs", node.inputs},
                     {"outputs", node.outputs}, {"attributes", attributes}});
  }
  header["model"] = {{"name", model.name}, {"inputs", value_infos(model.inputs)},
                     {"outputs", value_infos(model.outputs)}, {"nodes", nodes}};
  json tensors = json::array();
  for (const auto& [name, t] : model.initializers) {
    tensors.push_back({{"name", name}, {"shape", t.shape}, {"data", {{"section", sections.add(name, float_bytes(t.data))}}}});
  }
  header["tensors"] = tensors;
  json layers = json::array();
  std::vector<LayerReport> reports;
  for (const std::string& name : io::compressed_order(model)) {
    const CompressedWeight& w = model.compressed.at(name);
    const int index_bits = index_bits_of(file, name);
    const Encoded e = encode_layer(w.layer, index_bits);
    reports.push_back(report_layer(e.csc, e.codes, e.index));
    const int ptr_bits = io::pointer_width(e.csc.entries());
    BitWriter pointers;
    for (const std::uint32_t p : e.csc.col_ptr) pointers.put(p, ptr_bits);
    const auto stream_bytes = [](const HuffmanStream& s) {
      std::vector<std::uint8_t> out = s.table.serialize();
      out.insert(out.end(), s.bytes.begin(), s.bytes.end());
      return out;
    };
    json layer = {
        {"name", name}, {"rows", w.layer.rows}, {"cols", w.layer.cols}, {"shape", w.shape},
        {"layout", to_string(w.layout)}, {"index_bits", index_bits}, {"pointer_bits", ptr_bits},
        {"entries", e.csc.entries()}, {"stored", w.layer.nnz()}, {"filler_entries", e.csc.filler_entries},
        {"codebook", {{"bits", w.layer.codebook.bits()}, {"zero_reserved", w.layer.codebook.zero_reserved()},
                      {"values", w.layer.codebook.values()}}},
        {"provenance", {{"method", w.layer.provenance.method}, {"density", w.layer.provenance.density},
                        {"bits", w.layer.provenance.bits}}},
        {"pointers", {{"section", sections.add(name + "/pointers", pointers.finish())}}},
        {"codes", stream_json(sections.add(name + "/codes", stream_bytes(e.codes)), e.codes)},
        {"index", stream_json(sections.add(name + "/index", stream_bytes(e.index)), e.index)},
        {"statistics", report_json(reports.back())}};
    if (!w.layer.bias.empty()) layer["bias"] = {{"section", sections.add(name + "/bias", float_bytes(w.layer.bias))}};
    layers.push_back(layer);
  }
  header["layers"] = layers;
  header["statistics"] = report_json(summarize(reports).total);
  header["sections"] = sections.table();
  const std::string text = header.dump();
  std::vector<std::uint8_t> out(io::kEieMagic.begin(), io::kEieMagic.end());
  io::append_le<std::uint32_t>(out, kEieFormatVersion);
  io::append_le<std::uint32_t>(out, static_cast<std::uint32_t>(text.size()));
  const std::span<const std::uint8_t> text_bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  io::append_le<std::uint32_t>(out, io::crc32_of(text_bytes));
  io::append_le<std::uint32_t>(out, 0);
  out.insert(out.end(), text_bytes.begin(), text_bytes.end());
  out.insert(out.end(), sections.data().begin(), sections.data().end());
  return out;
}

void save_eie(const std::string& path, const EieFile& file) {
  std::vector<std::uint8_t> bytes;
  try {
    bytes = serialize_eie(file);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
  write_file_atomic(path, bytes);
}

}  // namespace eie
