// IDX reader (MNIST, Fashion-MNIST). zlib's gz* functions read gzip and raw files alike, so one path serves
// both; every length is checked against the header before it is trusted.
#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <type_traits>

#include <cstdio>
#include <zlib.h>

#include "eie/core.h"
#include "eie/dataset.h"

namespace eie {
namespace {

constexpr std::int64_t max_idx_bytes = std::int64_t{1} << 31;  // 2 GiB: far beyond any MNIST-format file

// fmt is not a dependency of io; this is all the formatting the reader needs.
std::string hex_byte(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02x", v & 0xffu);
  return buf;
}

template <typename T>
std::string str(const T& v) {
  if constexpr (std::is_convertible_v<T, std::string>) {
    return std::string(v);
  } else {
    return std::to_string(v);
  }
}

// format("a {} b {}", x, y): positional {} only.
template <typename... Args>
std::string format(const std::string& pattern, const Args&... args) {
  const std::string values[] = {str(args)...};
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{' && i + 1 < pattern.size() && pattern[i + 1] == '}' && next < sizeof...(Args)) {
      out += values[next++];
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(format("{}: no such file", path));
    if (std::filesystem::is_directory(path, ec)) throw Error(format("{}: is a directory, not an IDX file", path));
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) throw Error(format("{}: cannot open", path));
    gzbuffer(file_, 1 << 17);
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to n bytes; returns how many were read. Throws on a corrupt gzip stream.
  std::int64_t read(std::uint8_t* out, std::int64_t n) {
    std::int64_t done = 0;
    while (done < n) {
      const auto chunk = static_cast<unsigned>(std::min<std::int64_t>(n - done, 1 << 30));
      const int got = gzread(file_, out + done, chunk);
      if (got < 0) {
        int code = 0;
        const char* message = gzerror(file_, &code);
        throw Error(format("{}: corrupt gzip data ({})", path_, message));
      }
      if (got == 0) break;
      done += got;
    }
    return done;
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

std::string join_dims(const std::vector<std::int64_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  GzFile file(path);
  std::array<std::uint8_t, 4> magic{};
  if (file.read(magic.data(), 4) != 4) throw Error(format("{}: truncated IDX header (fewer than 4 bytes)", path));
  if (magic[0] != 0 || magic[1] != 0) {
    throw Error(format("{}: wrong magic 0x{}{}{}{} (an IDX file starts with two zero bytes)", path,
                     hex_byte(magic[0]), hex_byte(magic[1]), hex_byte(magic[2]), hex_byte(magic[3])));
  }
  if (magic[2] != 0x08) {
    throw Error(format("{}: IDX element type 0x{} is not supported (only unsigned bytes, 0x08)", path,
                     hex_byte(magic[2])));
  }
  const int num_dims = magic[3];
  if (num_dims < 1 || num_dims > 4) throw Error(format("{}: wrong dimension count {} in the magic (1..4)", path, num_dims));
  IdxArray array;
  std::int64_t total = 1;
  for (int d = 0; d < num_dims; ++d) {
    std::array<std::uint8_t, 4> b{};
    if (file.read(b.data(), 4) != 4) throw Error(format("{}: truncated IDX header (dimension {} missing)", path, d));
    const std::int64_t n = (std::int64_t{b[0]} << 24) | (std::int64_t{b[1]} << 16) | (std::int64_t{b[2]} << 8) | b[3];
    if (n == 0) throw Error(format("{}: wrong count: dimension {} is 0", path, d));
    array.dims.push_back(n);
    total *= n;
    if (total > max_idx_bytes) {
      throw Error(format("{}: wrong count: dimensions {} exceed {} bytes", path, join_dims(array.dims), max_idx_bytes));
    }
  }
  // Grow the buffer as data arrives rather than trusting the header: a 20-byte file claiming 1.6 GB must not
  // allocate 1.6 GB (found by fuzz/idx_reader_fuzz.cpp).
  std::int64_t got = 0;
  while (got < total) {
    const std::int64_t chunk = std::min<std::int64_t>(total - got, std::max<std::int64_t>(got, 1 << 20));
    array.data.resize(static_cast<std::size_t>(got + chunk));
    const std::int64_t n = file.read(array.data.data() + got, chunk);
    got += n;
    if (n < chunk) break;
  }
  array.data.resize(static_cast<std::size_t>(got));
  if (got < total) {
    throw Error(format("{}: truncated: the header ({}) promises {} data bytes, the file has {}", path,
                            join_dims(array.dims), total, got));
  }
  std::uint8_t extra = 0;
  if (file.read(&extra, 1) != 0) {
    throw Error(format("{}: more data bytes than the header ({}) says ({}): wrong count", path,
                            join_dims(array.dims), total));
  }
  return array;
}

ImageSet ImageSet::head(std::int64_t n) const {
  ImageSet out = *this;
  if (n >= count) return out;
  out.count = std::max<std::int64_t>(n, 0);
  out.pixels.resize(static_cast<std::size_t>(out.count * image_size()));
  out.labels.resize(static_cast<std::size_t>(out.count));
  return out;
}

ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  if (images.dims.size() != 3) {
    throw Error(format("{}: an image file has 3 dimensions (count x rows x cols), this one has {}", images_path,
                            images.dims.size()));
  }
  IdxArray labels = read_idx(labels_path);
  if (labels.dims.size() != 1) {
    throw Error(format("{}: a label file has 1 dimension, this one has {}", labels_path, labels.dims.size()));
  }
  if (images.dims[0] != labels.dims[0]) {
    throw Error(format("{}: {} labels, but {} has {} images", labels_path, labels.dims[0], images_path,
                            images.dims[0]));
  }
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= ImageSet::num_classes) {
      throw Error(format("{}: label {} at index {} is outside 0..{}", labels_path, int{labels.data[i]}, i,
                              ImageSet::num_classes - 1));
    }
  }
  ImageSet set;
  set.count = images.dims[0];
  set.rows = images.dims[1];
  set.cols = images.dims[2];
  set.pixels = std::move(images.data);
  set.labels = std::move(labels.data);
  return set;
}

namespace {

std::string find_file(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {name, name + ".gz"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / candidate;
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) return p.string();
  }
  throw Error(format("{}: missing {} (or {}.gz)", dir, name, name));
}

}  // namespace

ImageSet load_mnist_split(const std::string& dir, const std::string& split) {
  if (split != "train" && split != "t10k") throw Error(format("data split '{}': expected train or t10k", split));
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw Error(format("{}: no such data directory", dir));
  return read_idx_images(find_file(dir, split + "-images-idx3-ubyte"), find_file(dir, split + "-labels-idx1-ubyte"));
}

MnistDataset load_mnist_dataset(const std::string& dir) {
  MnistDataset data;
  data.dir = dir;
  data.train = load_mnist_split(dir, "train");
  data.test = load_mnist_split(dir, "t10k");
  if (data.train.rows != data.test.rows || data.train.cols != data.test.cols) {
    throw Error(format("{}: training images are {} x {} but test images are {} x {}", dir, data.train.rows,
                            data.train.cols, data.test.rows, data.test.cols));
  }
  return data;
}

}  // namespace eie
