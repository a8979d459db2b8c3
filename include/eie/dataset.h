// eie/dataset.h: labelled image data sets in the IDX format of MNIST and Fashion-MNIST.
//
// An IDX file is a 4-byte magic (0, 0, type, number of dimensions), one big-endian uint32 per dimension, then
// the elements. eie reads unsigned-byte files (type 0x08), raw or gzip-compressed (zlib reads both), and
// validates everything: the magic, the dimensions, the exact number of data bytes, the labels' range and that
// images and labels agree in count. Every failure is an eie::Error naming the file. No libtorch here: the
// engine evaluates on these arrays too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace eie {

// One IDX file of unsigned bytes: its dimensions and its elements, row-major.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;
};

// Reads a raw or gzip IDX file of unsigned bytes. Throws Error naming `path` when the file is missing or
// unreadable, the magic is wrong, a dimension is zero or absurd, or there are fewer or more data bytes than
// the header says.
IdxArray read_idx(const std::string& path);

// Images (count x rows x cols bytes, 0 = background) with one label 0..9 each.
struct ImageSet {
  std::int64_t count = 0;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols
  std::vector<std::uint8_t> labels;  // count, each < num_classes
  static constexpr int num_classes = 10;

  std::int64_t image_size() const { return rows * cols; }
  // The first n images (all when n >= count): for short tests and quick demos.
  ImageSet head(std::int64_t n) const;
};

// Reads an image file (3 dimensions) and its label file (1 dimension). Throws Error naming the file when one
// is invalid, when a label is outside 0..9, or when the counts differ.
ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path);

// The four files of an MNIST-format data set in `dir`: train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each either raw or with a .gz suffix. Throws Error naming
// the directory or the missing file.
struct MnistDataset {
  std::string dir;
  ImageSet train;
  ImageSet test;
};
MnistDataset load_mnist_dataset(const std::string& dir);
// One half of it: "train" or "t10k" (the test set).
ImageSet load_mnist_split(const std::string& dir, const std::string& split);

// Where the default data set lives (Debian's dataset-fashion-mnist).
inline constexpr const char* default_dataset_dir = "/usr/share/datasets/fashion-mnist";

}  // namespace eie
