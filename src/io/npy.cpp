// NumPy .npy (format 1.0-3.0): one little-endian array in C order, float (<f4, <f8, <f2), integer (<i8, <i4,
// <i2, |i1 and unsigned) or bool (|b1). eie holds every tensor in fp32, so an integer must be exact there
// (|v| <= 2^24: token ids, indices, masks); a larger one is an error naming the element. The header is a Python
// dict literal; only its three keys are read, with a parser strict enough to reject anything else.
#include <cctype>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

#include "eie/io.h"
#include "io/bytes.h"

namespace eie {
namespace {

constexpr std::uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

// A dtype eie reads: numpy's kind letter, the item size, and the element type's name (ONNX's, lower case).
struct NpyType {
  const char* descr;
  char kind;  // 'f' float, 'i' signed, 'u' unsigned, 'b' bool
  std::size_t item;
  const char* name;
};

const NpyType* find_npy_type(const std::string& descr) {
  static constexpr NpyType types[] = {
      {"f4", 'f', 4, "float"}, {"f8", 'f', 8, "double"}, {"f2", 'f', 2, "float16"}, {"i8", 'i', 8, "int64"},
      {"i4", 'i', 4, "int32"}, {"i2", 'i', 2, "int16"},  {"i1", 'i', 1, "int8"},    {"u8", 'u', 8, "uint64"},
      {"u4", 'u', 4, "uint32"}, {"u2", 'u', 2, "uint16"}, {"u1", 'u', 1, "uint8"},  {"b1", 'b', 1, "bool"},
  };
  // Little-endian ('<'), native ('=', little on every machine eie builds for) or byte-order-free ('|', one byte).
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '=' && descr[0] != '|')) return nullptr;
  for (const NpyType& t : types) {
    if (descr.compare(1, 2, t.descr) == 0 && (descr[0] != '|' || t.item == 1)) return &t;
  }
  return nullptr;
}

std::size_t skip_space(const std::string& s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// The value of `key` in the header's dict literal: a quoted string (quotes kept), True, False or a tuple.
// A hand parser rather than std::regex: it is stricter, and GCC 12's <regex> trips -Wmaybe-uninitialized
// under the sanitizers.
std::string dict_value(const std::string& header, const std::string& key, const std::string& what) {
  const auto missing = [&] { return Error(fmt::format("{}: npy header has no '{}'", what, key)); };
  std::size_t at = std::string::npos;
  for (const char quote : {'\'', '"'}) {
    const std::size_t k = header.find(quote + key + quote);
    if (k != std::string::npos && k < at) at = k;
  }
  if (at == std::string::npos) throw missing();
  std::size_t i = skip_space(header, at + key.size() + 2);
  if (i >= header.size() || header[i] != ':') throw missing();
  i = skip_space(header, i + 1);
  if (i >= header.size()) throw missing();
  std::size_t end = std::string::npos;
  if (header[i] == '\'' || header[i] == '"') {
    end = header.find(header[i], i + 1);
    if (end != std::string::npos) ++end;
  } else if (header[i] == '(') {
    end = header.find(')', i);
    if (end != std::string::npos) ++end;
  } else {
    for (const char* word : {"True", "False"}) {
      if (header.compare(i, std::strlen(word), word) == 0) end = i + std::strlen(word);
    }
  }
  if (end == std::string::npos) throw Error(fmt::format("{}: npy header has a malformed '{}'", what, key));
  return header.substr(i, end - i);
}

// "(3, 4)" -> {3, 4}; "(3,)" -> {3}; "()" -> {} (a scalar). Anything but digits, commas and spaces is an error.
std::vector<std::int64_t> parse_shape(const std::string& text, const std::string& what) {
  const auto bad = [&] { return Error(fmt::format("{}: bad shape {}", what, text)); };
  std::vector<std::int64_t> shape;
  const std::string body = text.substr(1, text.size() - 2);
  std::size_t i = skip_space(body, 0);
  while (i < body.size()) {
    std::size_t j = i;
    while (j < body.size() && std::isdigit(static_cast<unsigned char>(body[j]))) ++j;
    if (j == i) throw bad();
    if (j - i > 15) throw Error(fmt::format("{}: shape {} is too large", what, text));
    shape.push_back(std::stoll(body.substr(i, j - i)));
    i = skip_space(body, j);
    if (i == body.size()) break;
    if (body[i] != ',') throw bad();
    i = skip_space(body, i + 1);
  }
  return shape;
}

}  // namespace

Tensor parse_npy(std::span<const std::uint8_t> bytes, const std::string& what, std::string* type) {
  if (bytes.size() < 10 || !std::equal(std::begin(kMagic), std::end(kMagic), bytes.begin())) {
    throw Error(fmt::format("{}: not a NumPy .npy file (bad magic)", what));
  }
  const int major = bytes[6];
  if (major < 1 || major > 3) throw Error(fmt::format("{}: unsupported .npy format version {}", what, major));
  std::size_t header_len = 0;
  std::size_t start = 10;
  if (major == 1) {
    header_len = io::load_le<std::uint16_t>(&bytes[8]);
  } else {
    if (bytes.size() < 12) throw Error(fmt::format("{}: truncated .npy header", what));
    header_len = io::load_le<std::uint32_t>(&bytes[8]);
    start = 12;
  }
  if (header_len > bytes.size() - start) {
    throw Error(fmt::format("{}: truncated: header of {} bytes runs past the end of the file", what, header_len));
  }
  const std::string header(reinterpret_cast<const char*>(&bytes[start]), header_len);
  std::string descr = dict_value(header, "descr", what);
  descr = descr.substr(1, descr.size() - 2);
  const std::string fortran = dict_value(header, "fortran_order", what);
  const std::string shape_text = dict_value(header, "shape", what);
  if (fortran == "True") {
    throw Error(fmt::format("{}: fortran_order arrays are not supported (save it in C order: "
                            "numpy.ascontiguousarray)", what));
  }
  if (fortran != "False") throw Error(fmt::format("{}: bad fortran_order value {}", what, fortran));
  const NpyType* dtype = find_npy_type(descr);
  if (dtype == nullptr) {
    throw Error(fmt::format("{}: unsupported dtype '{}' (supported: <f4, <f8, <f2, <i8, <i4, <i2, |i1, <u8, <u4, "
                            "<u2, |u1, |b1)", what, descr));
  }
  const std::size_t item = dtype->item;
  if (type) *type = dtype->name;

  Tensor t;
  t.shape = parse_shape(shape_text, what);
  const std::int64_t n = shape_numel(t.shape);
  const std::size_t data_start = start + header_len;
  const std::size_t available = bytes.size() - data_start;
  if (static_cast<std::uint64_t>(n) > available / item || static_cast<std::size_t>(n) * item != available) {
    throw Error(fmt::format("{}: {}: shape {} of {} needs {} data bytes, the file has {}", what,
                            static_cast<std::uint64_t>(n) > available / item ? "truncated" : "trailing data",
                            shape_string(t.shape), descr, static_cast<std::uint64_t>(n) * item, available));
  }
  t.data.resize(static_cast<std::size_t>(n));
  const std::uint8_t* p = bytes.data() + data_start;
  const auto exact = [&](auto v, std::size_t i) {
    constexpr double kExact = 16777216.0;  // 2^24: every integer up to it is a float
    const auto d = static_cast<double>(v);
    if (d > kExact || d < -kExact) {
      throw Error(fmt::format("{}: element {} is {}, which fp32 cannot hold exactly (|v| <= 2^24)", what, i, v));
    }
    return static_cast<float>(v);
  };
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    const std::uint8_t* e = p + item * i;
    switch (dtype->kind) {
      case 'f':
        t.data[i] = item == 4   ? io::load_le<float>(e)
                    : item == 8 ? static_cast<float>(io::load_le<double>(e))
                                : io::half_to_float(io::load_le<std::uint16_t>(e));
        break;
      case 'i':
        t.data[i] = item == 8   ? exact(io::load_le<std::int64_t>(e), i)
                    : item == 4 ? exact(io::load_le<std::int32_t>(e), i)
                    : item == 2 ? static_cast<float>(io::load_le<std::int16_t>(e))
                                : static_cast<float>(static_cast<std::int8_t>(*e));
        break;
      case 'u':
        t.data[i] = item == 8   ? exact(io::load_le<std::uint64_t>(e), i)
                    : item == 4 ? exact(io::load_le<std::uint32_t>(e), i)
                    : item == 2 ? static_cast<float>(io::load_le<std::uint16_t>(e))
                                : static_cast<float>(*e);
        break;
      default:  // bool: numpy writes 0 or 1; anything else is not a bool array
        if (*e > 1) throw Error(fmt::format("{}: element {} of a bool array is {} (expected 0 or 1)", what, i, *e));
        t.data[i] = static_cast<float>(*e);
        break;
    }
  }
  return t;
}

Tensor read_npy(const std::string& path, std::string* type) { return parse_npy(read_file(path), path, type); }

void write_npy(const std::string& path, const Tensor& tensor) {
  std::string dims;  // "3, 4" or "3," (a one-element tuple needs its comma)
  for (std::size_t i = 0; i < tensor.shape.size(); ++i) dims += fmt::format("{}{}", i ? ", " : "", tensor.shape[i]);
  if (tensor.shape.size() == 1) dims += ",";
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
  header.append(63 - (10 + header.size()) % 64, ' ');  // data starts on a 64-byte boundary
  header.push_back('\n');
  // Reserved whole: also keeps GCC 12's -Wstringop-overflow (AArch64, -O3) from a false alarm on the inserts.
  std::vector<std::uint8_t> out;
  out.reserve(std::size(kMagic) + 4 + header.size() + 4 * tensor.data.size());
  out.insert(out.end(), std::begin(kMagic), std::end(kMagic));
  out.push_back(1);
  out.push_back(0);
  io::append_le<std::uint16_t>(out, static_cast<std::uint16_t>(header.size()));
  out.insert(out.end(), header.begin(), header.end());
  for (const float v : tensor.data) io::append_le(out, v);
  write_file_atomic(path, out);
}

Model load_npy(const std::string& path) {
  Model m;
  m.name = std::filesystem::path(path).stem().string();
  Tensor t = read_npy(path);
  if (t.shape.size() < 2) {
    throw Error(fmt::format("{}: a weight matrix needs rank >= 2, got shape {}", path, shape_string(t.shape)));
  }
  m.initializers[m.name] = std::move(t);
  return m;
}

}  // namespace eie
