// .eie reader: checks the preamble (magic, version, header CRC-32), then every section's offset, length and
// CRC-32 before any is used, then decodes each layer (sizes are checked against the section lengths before
// anything is allocated) and the model's structure. Every error names the file and the section or field.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/core.h>

#include "eie/io.h"
#include "io/bytes.h"
#include "io/container.h"
#include "io/json_header.h"

namespace eie {
namespace {

using nlohmann::json;

struct Section {
  std::string name;
  std::span<const std::uint8_t> bytes;
};

class Reader {
 public:
  Reader(std::span<const std::uint8_t> bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  EieFile read();

 private:
  [[nodiscard]] Error fail(const std::string& place, const std::string& problem) const {
    return Error(fmt::format("{}: {}: {}", what_, place, problem));
  }
  const json& field(const json& obj, const char* key, const std::string& place) const {
    if (!obj.is_object() || !obj.contains(key)) throw fail(place, fmt::format("field '{}' is missing", key));
    return obj[key];
  }
  std::int64_t integer(const json& obj, const char* key, const std::string& place, std::int64_t lo,
                       std::int64_t hi) const {
    const json& v = field(obj, key, place);
    if (!v.is_number_integer()) throw fail(place, fmt::format("field '{}' is not an integer", key));
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
      throw fail(place, fmt::format("field '{}' = {} is out of range", key, v.dump()));
    }
    const auto x = v.get<std::int64_t>();
    if (x < lo || x > hi) throw fail(place, fmt::format("field '{}' = {} is out of range [{}, {}]", key, x, lo, hi));
    return x;
  }
  std::string string(const json& obj, const char* key, const std::string& place) const {
    const json& v = field(obj, key, place);
    if (!v.is_string()) throw fail(place, fmt::format("field '{}' is not a string", key));
    return v.get<std::string>();
  }
  const json& array(const json& obj, const char* key, const std::string& place) const {
    const json& v = field(obj, key, place);
    if (!v.is_array()) throw fail(place, fmt::format("field '{}' is not an array", key));
    return v;
  }
  std::vector<std::string> strings(const json& obj, const char* key, const std::string& place) const {
    std::vector<std::string> out;
    for (const json& s : array(obj, key, place)) {
      if (!s.is_string()) throw fail(place, fmt::format("field '{}' holds a non-string", key));
      out.push_back(s.get<std::string>());
    }
    return out;
  }
  std::vector<std::int64_t> shape(const json& obj, const std::string& place) const {
    std::vector<std::int64_t> out;
    for (const json& d : array(obj, "shape", place)) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < -1) throw fail(place, "bad dimension in 'shape'");
      out.push_back(d.get<std::int64_t>());
    }
    return out;
  }
  // The section referenced by obj[key]["section"].
  const Section& section(const json& obj, const char* key, const std::string& place) const {
    const auto i = integer(field(obj, key, place), "section", place + " " + key, 0,
                           static_cast<std::int64_t>(sections_.size()) - 1);
    return sections_[static_cast<std::size_t>(i)];
  }

  void read_sections(const json& header, std::span<const std::uint8_t> data);
  Attribute attribute(const json& a, const std::string& place) const;
  void read_graph(const json& model, Model& out) const;
  std::vector<float> floats(const Section& s, std::int64_t count, const std::string& place) const;
  void read_layer(const json& layer, EieFile& file, std::vector<LayerReport>& reports) const;

  std::span<const std::uint8_t> bytes_;
  std::string what_;
  std::vector<Section> sections_;
};

void Reader::read_sections(const json& header, std::span<const std::uint8_t> data) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const json& s : array(header, "sections", "header")) {
    const std::string place = fmt::format("section {}", sections_.size());
    const std::string name = string(s, "name", place);
    const std::string named = fmt::format("section '{}'", name);
    const auto offset = static_cast<std::uint64_t>(integer(s, "offset", named, 0, INT64_MAX));
    const auto length = static_cast<std::uint64_t>(integer(s, "length", named, 0, INT64_MAX));
    const auto crc = static_cast<std::uint32_t>(integer(s, "crc32", named, 0, UINT32_MAX));
    if (offset > data.size() || length > data.size() - offset) {
      throw fail(named, fmt::format("offset {} + length {} runs past the end of the file (the data area holds {} "
                                    "bytes)", offset, length, data.size()));
    }
    const Section sec{name, data.subspan(offset, length)};
    const std::uint32_t actual = io::crc32_of(sec.bytes);
    if (actual != crc) throw fail(named, fmt::format("bad checksum (stored {:08x}, computed {:08x})", crc, actual));
    ranges.emplace_back(offset, offset + length);
    sections_.push_back(sec);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      throw fail("sections", fmt::format("two sections overlap at data offset {}", ranges[i].first));
    }
  }
}

Attribute Reader::attribute(const json& a, const std::string& place) const {
  if (!a.is_object() || a.size() != 1) throw fail(place, "an attribute is an object with one typed value");
  const std::string type = a.items().begin().key();
  const json& v = a.items().begin().value();
  const auto bad = [&] { return fail(place, fmt::format("bad '{}' value {}", type, v.dump())); };
  // A number, or "inf", "-inf" or "nan" (JSON has none of those).
  const auto float_value = [&](const json& x) -> float {
    if (x.is_number()) return x.get<float>();
    if (x == "inf") return std::numeric_limits<float>::infinity();
    if (x == "-inf") return -std::numeric_limits<float>::infinity();
    if (x == "nan") return std::numeric_limits<float>::quiet_NaN();
    throw bad();
  };
  try {
    if (type == "int" && v.is_number_integer()) return v.get<std::int64_t>();
    if (type == "float") return float_value(v);
    if (type == "string" && v.is_string()) return v.get<std::string>();
    if (type == "ints" && v.is_array()) return v.get<std::vector<std::int64_t>>();
    if (type == "floats" && v.is_array()) {
      std::vector<float> values;
      for (const json& x : v) values.push_back(float_value(x));
      return values;
    }
    if (type == "strings" && v.is_array()) return v.get<std::vector<std::string>>();
  } catch (const json::exception&) {
    throw bad();
  }
  throw bad();
}

void Reader::read_graph(const json& model, Model& out) const {
  out.name = string(model, "name", "model");
  for (const char* key : {"inputs", "outputs"}) {
    for (const json& v : array(model, key, "model")) {
      const std::string place = fmt::format("model {}", key);
      ValueInfo info{string(v, "name", place), shape(v, place)};
      if (v.contains("type")) info.type = string(v, "type", place);
      (key[0] == 'i' ? out.inputs : out.outputs).push_back(std::move(info));
    }
  }
  for (const json& n : array(model, "nodes", "model")) {
    Node node;
    node.name = string(n, "name", "node");
    const std::string place = fmt::format("node '{}'", node.name);
    node.op_type = string(n, "op_type", place);
    node.inputs = strings(n, "inputs", place);
    node.outputs = strings(n, "outputs", place);
    const json& attributes = field(n, "attributes", place);
    if (!attributes.is_object()) throw fail(place, "field 'attributes' is not an object");
    for (const auto& [key, a] : attributes.items()) {
      node.attributes[key] = attribute(a, fmt::format("{} attribute '{}'", place, key));
    }
    out.nodes.push_back(std::move(node));
  }
}

std::vector<float> Reader::floats(const Section& s, std::int64_t count, const std::string& place) const {
  if (count < 0 || s.bytes.size() / 4 != static_cast<std::uint64_t>(count) || s.bytes.size() % 4 != 0) {
    throw fail(fmt::format("{} (section '{}')", place, s.name),
               fmt::format("holds {} bytes, expected {} fp32 values", s.bytes.size(), count));
  }
  std::vector<float> out(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = io::load_le<float>(s.bytes.data() + 4 * i);
  return out;
}

void Reader::read_layer(const json& layer, EieFile& file, std::vector<LayerReport>& reports) const {
  const std::string name = string(layer, "name", "layer");
  const std::string place = fmt::format("layer '{}'", name);
  RelativeCsc csc;
  csc.name = name;
  csc.rows = integer(layer, "rows", place, 1, UINT32_MAX);
  csc.cols = integer(layer, "cols", place, 1, UINT32_MAX);
  csc.index_bits = static_cast<int>(integer(layer, "index_bits", place, 1, 8));
  const int ptr_bits = static_cast<int>(integer(layer, "pointer_bits", place, 1, 32));
  const std::int64_t entries = integer(layer, "entries", place, 0, UINT32_MAX);
  const json& cb = field(layer, "codebook", place);
  std::vector<float> values;
  for (const json& v : array(cb, "values", place + " codebook")) {
    if (!v.is_number()) throw fail(place + " codebook", "a value is not a number");
    values.push_back(v.get<float>());
  }
  const json& zero_reserved = field(cb, "zero_reserved", place + " codebook");
  if (!zero_reserved.is_boolean()) throw fail(place + " codebook", "field 'zero_reserved' is not a boolean");
  try {
    csc.codebook = Codebook(values, static_cast<int>(integer(cb, "bits", place + " codebook", 1, 8)),
                            zero_reserved.get<bool>());
  } catch (const Error& e) {
    throw fail(place + " codebook", e.what());
  }
  const json& prov = field(layer, "provenance", place);
  csc.provenance.method = string(prov, "method", place + " provenance");
  const json& density = field(prov, "density", place + " provenance");
  if (!density.is_number()) throw fail(place + " provenance", "field 'density' is not a number");
  csc.provenance.density = density.get<double>();
  csc.provenance.bits = static_cast<int>(integer(prov, "bits", place + " provenance", 0, 8));

  // Column pointers: (cols + 1) values of ptr_bits bits each.
  const Section& pointers = section(layer, "pointers", place);
  const std::uint64_t pointer_bits_total = static_cast<std::uint64_t>(csc.cols + 1) * static_cast<std::uint64_t>(ptr_bits);
  if (pointers.bytes.size() != (pointer_bits_total + 7) / 8) {
    throw fail(fmt::format("section '{}'", pointers.name),
               fmt::format("holds {} bytes, {} pointers of {} bits need {}", pointers.bytes.size(), csc.cols + 1,
                           ptr_bits, (pointer_bits_total + 7) / 8));
  }
  BitReader pointer_reader(pointers.bytes);
  csc.col_ptr.resize(static_cast<std::size_t>(csc.cols) + 1);
  for (std::size_t j = 0; j < csc.col_ptr.size(); ++j) {
    csc.col_ptr[j] = pointer_reader.get(ptr_bits);
    if ((j == 0 && csc.col_ptr[j] != 0) || (j > 0 && csc.col_ptr[j] < csc.col_ptr[j - 1]) ||
        csc.col_ptr[j] > static_cast<std::uint64_t>(entries)) {
      throw fail(fmt::format("section '{}'", pointers.name),
                 fmt::format("column pointer {} = {} is out of order or past the {} entries", j, csc.col_ptr[j],
                             entries));
    }
  }
  if (csc.col_ptr.back() != static_cast<std::uint64_t>(entries)) {
    throw fail(fmt::format("section '{}'", pointers.name),
               fmt::format("the last column pointer is {}, expected {} entries", csc.col_ptr.back(), entries));
  }

  // The two Huffman streams: table, then payload. Each entry takes at least one bit, which bounds `entries`.
  HuffmanStream streams[2];
  std::vector<std::uint8_t>* targets[2] = {&csc.codes, &csc.index};
  const char* keys[2] = {"codes", "index"};
  for (int s = 0; s < 2; ++s) {
    const Section& sec = section(layer, keys[s], place);
    const std::string sec_place = fmt::format("section '{}'", sec.name);
    std::size_t consumed = 0;
    streams[s].table = HuffmanTable::deserialize(sec.bytes, &consumed, what_ + ": " + sec_place + ": huffman table");
    const auto payload = sec.bytes.subspan(consumed);
    const json& meta = field(layer, keys[s], place);
    const std::string meta_place = place + " " + keys[s];
    streams[s].bit_count = integer(meta, "bits", meta_place, 0, INT64_MAX);
    streams[s].alphabet = static_cast<int>(integer(meta, "alphabet", meta_place, 1, 256));
    streams[s].group = static_cast<int>(integer(meta, "group", meta_place, 1, 8));
    streams[s].symbols = entries;
    if (static_cast<std::uint64_t>(streams[s].bit_count + 7) / 8 != payload.size()) {
      throw fail(sec_place, fmt::format("payload of {} bytes does not hold {} bits", payload.size(),
                                        streams[s].bit_count));
    }
    // Every coded symbol (a group of `group` entries) takes at least one bit: this bounds the allocation.
    if (entries > streams[s].bit_count * streams[s].group) {
      throw fail(sec_place, fmt::format("{} entries cannot fit in {} bits", entries, streams[s].bit_count));
    }
    streams[s].bytes.assign(payload.begin(), payload.end());
    targets[s]->resize(static_cast<std::size_t>(entries));
    huffman_decode(streams[s], *targets[s], what_ + ": " + sec_place);
  }
  if (layer.contains("bias")) csc.bias = floats(section(layer, "bias", place), csc.rows, place + " bias");
  for (std::size_t k = 0; k < csc.codes.size(); ++k) {
    if (csc.codebook.zero_reserved() && csc.codes[k] == 0) ++csc.filler_entries;
  }

  CompressedWeight weight;
  try {
    weight.layer = decode_relative_csc(csc);
  } catch (const Error& e) {
    throw fail(place, e.what());
  }
  weight.shape = shape(layer, place);
  try {
    weight.layout = weight_layout_from_string(string(layer, "layout", place));
  } catch (const Error& e) {
    throw fail(place, e.what());
  }
  if (file.model.compressed.count(name)) throw fail(place, "is defined twice");
  reports.push_back(report_layer(csc, streams[0], streams[1]));
  file.index_bits[name] = csc.index_bits;
  file.model.compressed[name] = std::move(weight);
}

EieFile Reader::read() {
  if (bytes_.size() < io::kEieMagic.size() || !std::equal(io::kEieMagic.begin(), io::kEieMagic.end(), bytes_.begin())) {
    throw Error(fmt::format("{}: not an .eie file (wrong magic)", what_));
  }
  if (bytes_.size() < io::kPreambleBytes) throw fail("preamble", "truncated");
  const auto version = io::load_le<std::uint32_t>(&bytes_[8]);
  if (version > kEieFormatVersion) {
    throw fail("preamble", fmt::format("format version {} is newer than this eie reads ({}): upgrade eie", version,
                                       kEieFormatVersion));
  }
  if (version == 0) throw fail("preamble", "format version 0 is invalid");
  const auto header_len = io::load_le<std::uint32_t>(&bytes_[12]);
  const auto header_crc = io::load_le<std::uint32_t>(&bytes_[16]);
  if (header_len > bytes_.size() - io::kPreambleBytes) {
    throw fail("header", fmt::format("length {} runs past the end of the file ({} bytes)", header_len, bytes_.size()));
  }
  const auto header_bytes = bytes_.subspan(io::kPreambleBytes, header_len);
  if (const std::uint32_t actual = io::crc32_of(header_bytes); actual != header_crc) {
    throw fail("header", fmt::format("bad checksum (stored {:08x}, computed {:08x})", header_crc, actual));
  }
  const json header = io::parse_json_header(header_bytes.begin(), header_bytes.end(), what_ + ": header");
  if (!header.is_object()) throw fail("header", "not a JSON object");
  if (string(header, "format", "header") != "eie") throw fail("header", "field 'format' is not \"eie\"");
  read_sections(header, bytes_.subspan(io::kPreambleBytes + header_len));

  EieFile file;
  file.file_bytes = static_cast<std::int64_t>(bytes_.size());
  file.settings = field(header, "settings", "header");
  if (header.contains("writer")) file.writer = string(header, "writer", "header");
  read_graph(field(header, "model", "header"), file.model);
  for (const json& t : array(header, "tensors", "header")) {
    const std::string name = string(t, "name", "tensor");
    const std::string place = fmt::format("tensor '{}'", name);
    Tensor tensor;
    tensor.shape = shape(t, place);
    std::int64_t n = 0;
    try {
      n = shape_numel(tensor.shape);
    } catch (const Error& e) {
      throw fail(place, e.what());
    }
    tensor.data = floats(section(t, "data", place), n, place);
    if (!file.model.initializers.emplace(name, std::move(tensor)).second) throw fail(place, "is defined twice");
  }
  std::vector<LayerReport> reports;
  for (const json& layer : array(header, "layers", "header")) read_layer(layer, file, reports);
  try {
    file.model.validate();
  } catch (const Error& e) {
    throw fail("model", e.what());
  }
  file.report = summarize(std::move(reports));
  return file;
}

}  // namespace

EieFile parse_eie(std::span<const std::uint8_t> bytes, const std::string& what) {
  return Reader(bytes, what).read();
}

EieFile load_eie(const std::string& path) { return parse_eie(read_file(path), path); }

}  // namespace eie
