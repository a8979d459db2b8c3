// The IDX reader on small files written here (raw and gzip) and on the installed Fashion-MNIST when present.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <array>
#include <fstream>

#include <unistd.h>

#include "common/test_util.h"
#include "eie/core.h"
#include "eie/dataset.h"

namespace eie {
namespace {

namespace fs = std::filesystem;
using test::expect_error;

std::vector<std::uint8_t> idx_bytes(std::vector<std::uint32_t> dims, std::int64_t data_bytes, std::uint8_t fill = 3) {
  std::vector<std::uint8_t> out = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(d >> s));
  }
  for (std::int64_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<std::uint8_t>((fill + i) % 10));
  return out;
}

class IdxDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("eie_idx_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::vector<std::uint8_t>& bytes, bool gzip = false) {
    const std::string path = (dir_ / name).string();
    if (gzip) {
      gzFile f = gzopen(path.c_str(), "wb");
      gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(f);
    } else {
      std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                 static_cast<std::streamsize>(bytes.size()));
    }
    return path;
  }
  // A complete small data set: 5 training and 3 test images of 4 x 3.
  void write_dataset(bool gzip) {
    const std::string gz = gzip ? ".gz" : "";
    write("train-images-idx3-ubyte" + gz, idx_bytes({5, 4, 3}, 60), gzip);
    write("train-labels-idx1-ubyte" + gz, idx_bytes({5}, 5), gzip);
    write("t10k-images-idx3-ubyte" + gz, idx_bytes({3, 4, 3}, 36), gzip);
    write("t10k-labels-idx1-ubyte" + gz, idx_bytes({3}, 3), gzip);
  }

  fs::path dir_;
};

TEST_F(IdxDir, raw_and_gzip_read_the_same) {
  const auto bytes = idx_bytes({2, 3, 4}, 24);
  const IdxArray raw = read_idx(write("raw", bytes));
  const IdxArray gz = read_idx(write("raw.gz", bytes, true));
  EXPECT_EQ(raw.dims, (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_EQ(raw.dims, gz.dims);
  EXPECT_EQ(raw.data, gz.data);
  EXPECT_EQ(raw.data, std::vector<std::uint8_t>(bytes.begin() + 16, bytes.end()));
}

TEST_F(IdxDir, dataset_directory_raw_and_gzip) {
  for (bool gzip : {false, true}) {
    write_dataset(gzip);
    const MnistDataset data = load_mnist_dataset(dir_.string());
    EXPECT_EQ(data.train.count, 5);
    EXPECT_EQ(data.test.count, 3);
    EXPECT_EQ(data.train.rows, 4);
    EXPECT_EQ(data.train.cols, 3);
    EXPECT_EQ(data.train.labels, (std::vector<std::uint8_t>{3, 4, 5, 6, 7}));
    EXPECT_EQ(data.test.head(2).count, 2);
    EXPECT_EQ(data.test.head(2).pixels.size(), 24u);
    for (const auto& entry : fs::directory_iterator(dir_)) fs::remove(entry.path());
  }
}

TEST_F(IdxDir, missing_file) {
  expect_error([&] { read_idx((dir_ / "nothing").string()); }, {"nothing", "no such file"});
}

TEST_F(IdxDir, missing_directory) {
  expect_error([&] { load_mnist_dataset((dir_ / "absent").string()); }, {"absent", "no such data directory"});
}

TEST_F(IdxDir, missing_file_in_directory) {
  write_dataset(false);
  fs::remove(dir_ / "t10k-labels-idx1-ubyte");
  expect_error([&] { load_mnist_dataset(dir_.string()); }, {"missing t10k-labels-idx1-ubyte"});
}

TEST_F(IdxDir, wrong_magic) {
  auto bytes = idx_bytes({4}, 4);
  bytes[0] = 0x1f;
  expect_error([&] { read_idx(write("bad", bytes)); }, {"bad", "wrong magic 0x1f000801"});
}

TEST_F(IdxDir, unsupported_element_type) {
  auto bytes = idx_bytes({4}, 4);
  bytes[2] = 0x0d;
  expect_error([&] { read_idx(write("float", bytes)); }, {"float", "element type 0x0d"});
}

TEST_F(IdxDir, wrong_dimension_count) {
  auto bytes = idx_bytes({4}, 4);
  bytes[3] = 0;
  expect_error([&] { read_idx(write("dims", bytes)); }, {"dims", "wrong dimension count 0"});
}

TEST_F(IdxDir, zero_count) {
  expect_error([&] { read_idx(write("zero", idx_bytes({0, 28, 28}, 0))); }, {"zero", "wrong count", "dimension 0 is 0"});
}

TEST_F(IdxDir, truncated_header) {
  auto bytes = idx_bytes({60000, 28, 28}, 0);
  bytes.resize(9);
  expect_error([&] { read_idx(write("short", bytes)); }, {"short", "truncated IDX header"});
}

TEST_F(IdxDir, fewer_bytes_than_the_header_says) {
  for (bool gzip : {false, true}) {
    expect_error([&] { read_idx(write("trunc", idx_bytes({10, 4, 4}, 150), gzip)); },
                 {"trunc", "truncated", "promises 160 data bytes, the file has 150"});
  }
}

TEST_F(IdxDir, a_tiny_file_claiming_gigabytes_allocates_only_what_it_has) {
  // fuzz/regressions/idx_huge_dims_tiny_file.idx: 65535 x 25186 bytes promised, 12 present. The reader used to
  // allocate the promised 1.6 GB first.
  const std::vector<std::uint8_t> bytes = {0, 0, 8, 2, 0, 0, 0xff, 0xff, 0, 0, 0x62, 0x62, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  for (bool gzip : {false, true}) {
    expect_error([&] { read_idx(write("huge", bytes, gzip)); },
                 {"huge", "truncated", "promises 1650564510 data bytes, the file has 12"});
  }
}

TEST_F(IdxDir, more_bytes_than_the_header_says) {
  expect_error([&] { read_idx(write("long", idx_bytes({10}, 11))); }, {"long", "more data bytes", "wrong count"});
}

TEST_F(IdxDir, corrupt_gzip_stream) {
  auto bytes = idx_bytes({100, 8, 8}, 6400);
  const std::string path = write("corrupt.gz", bytes, true);
  std::vector<char> gz(fs::file_size(path));
  std::ifstream(path, std::ios::binary).read(gz.data(), static_cast<std::streamsize>(gz.size()));
  for (std::size_t i = 20; i < gz.size() - 8; i += 3) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(gz.data(), static_cast<std::streamsize>(gz.size()));
  expect_error([&] { read_idx(path); }, {"corrupt.gz"});
}

TEST_F(IdxDir, image_and_label_counts_disagree) {
  const std::string images = write("images", idx_bytes({5, 2, 2}, 20));
  const std::string labels = write("labels", idx_bytes({4}, 4));
  expect_error([&] { read_idx_images(images, labels); }, {"labels", "4 labels", "has 5 images"});
}

TEST_F(IdxDir, label_out_of_range) {
  const std::string images = write("images", idx_bytes({2, 2, 2}, 8));
  auto bytes = idx_bytes({2}, 2);
  bytes.back() = 10;
  const std::string labels = write("labels", bytes);
  expect_error([&] { read_idx_images(images, labels); }, {"labels", "label 10 at index 1"});
}

TEST_F(IdxDir, labels_given_as_images) {
  const std::string labels = write("labels", idx_bytes({4}, 4));
  expect_error([&] { read_idx_images(labels, labels); }, {"labels", "3 dimensions"});
}

TEST(IdxFashionMnist, installed_dataset_has_the_documented_shape) {
  if (!fs::exists(default_dataset_dir)) GTEST_SKIP() << default_dataset_dir << " not installed";
  const ImageSet test = load_mnist_split(default_dataset_dir, "t10k");
  EXPECT_EQ(test.count, 10000);
  EXPECT_EQ(test.rows, 28);
  EXPECT_EQ(test.cols, 28);
  std::array<int, 10> per_class{};
  for (std::uint8_t l : test.labels) ++per_class[l];
  for (int c : per_class) EXPECT_EQ(c, 1000);  // Fashion-MNIST's test set is balanced
}

}  // namespace
}  // namespace eie
