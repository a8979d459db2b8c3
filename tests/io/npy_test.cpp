#include <unistd.h>

#include <cstring>

#include "common/test_util.h"
#include "io/io_test_util.h"

namespace eie {
namespace {

std::vector<std::uint8_t> npy_bytes(const std::string& header_dict, const std::vector<std::uint8_t>& data) {
  std::string header = header_dict;
  header.append(63 - (10 + header.size()) % 64, ' ');
  header.push_back('\n');
  std::vector<std::uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.push_back(static_cast<std::uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<std::uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

template <typename T>
std::vector<std::uint8_t> raw(const std::vector<T>& values) {
  std::vector<std::uint8_t> out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

TEST(Npy, write_then_read_is_exact) {
  test::ScratchDir dir;
  Tensor t;
  t.shape = {3, 5};
  for (int i = 0; i < 15; ++i) t.data.push_back(static_cast<float>(i) * 0.37f - 2.0f);
  write_npy(dir.file("w.npy"), t);
  EXPECT_EQ(read_npy(dir.file("w.npy")), t);
  const Model m = load_npy(dir.file("w.npy"));
  EXPECT_EQ(m.name, "w");
  EXPECT_EQ(m.initializers.at("w"), t);
  ASSERT_EQ(m.weight_slots().size(), 1u);
  EXPECT_EQ(m.weight_slots()[0].rows, 3);
}

TEST(Npy, one_dimensional_and_scalar_shapes_round_trip) {
  test::ScratchDir dir;
  Tensor v{{4}, {1, 2, 3, 4}};
  write_npy(dir.file("v.npy"), v);
  EXPECT_EQ(read_npy(dir.file("v.npy")), v);
  Tensor s{{}, {7}};
  write_npy(dir.file("s.npy"), s);
  EXPECT_EQ(read_npy(dir.file("s.npy")), s);
}

TEST(Npy, reads_f8_and_f2) {
  const auto f8 = npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", raw<double>({1.5, -2.25}));
  EXPECT_EQ(parse_npy(f8, "f8.npy").data, (std::vector<float>{1.5f, -2.25f}));
  // 1.0 = 0x3c00, -2.0 = 0xc000, smallest subnormal 2^-24 = 0x0001
  const auto f2 = npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }",
                            raw<std::uint16_t>({0x3c00, 0xc000, 0x0001}));
  EXPECT_EQ(parse_npy(f2, "f2.npy").data, (std::vector<float>{1.0f, -2.0f, 5.9604644775390625e-08f}));
}

TEST(Npy, fortran_order_is_rejected) {
  const auto b = npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", raw<float>({1, 2, 3, 4}));
  test::expect_error([&] { parse_npy(b, "w.npy"); }, {"w.npy", "fortran_order", "C order"});
}

TEST(Npy, unsupported_dtype_names_it) {
  const auto c8 = npy_bytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", raw<float>({1, 2}));
  test::expect_error([&] { parse_npy(c8, "w.npy"); }, {"w.npy", "unsupported dtype '<c8'"});
  const auto be = npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", raw<int>({1}));
  test::expect_error([&] { parse_npy(be, "w.npy"); }, {"w.npy", "'>f4'"});
  const auto wide_bool = npy_bytes("{'descr': '|i4', 'fortran_order': False, 'shape': (1,), }", raw<int>({1}));
  test::expect_error([&] { parse_npy(wide_bool, "w.npy"); }, {"w.npy", "'|i4'"});
}

TEST(Npy, reads_integer_and_bool_arrays_with_their_type) {
  std::string type;
  const auto i8 = npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 3), }",
                            raw<std::int64_t>({0, -16777216, 50256}));
  const Tensor t = parse_npy(i8, "ids.npy", &type);
  EXPECT_EQ(type, "int64");
  EXPECT_EQ(t.shape, (Shape{1, 3}));
  EXPECT_EQ(t.data, (std::vector<float>{0, -16777216, 50256}));
  const auto i4 = npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", raw<std::int32_t>({1, -2}));
  EXPECT_EQ(parse_npy(i4, "i4.npy", &type).data, (std::vector<float>{1, -2}));
  EXPECT_EQ(type, "int32");
  const auto b1 = npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                            std::vector<std::uint8_t>{1, 0, 1});
  EXPECT_EQ(parse_npy(b1, "mask.npy", &type).data, (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(type, "bool");
  const auto u1 = npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }",
                            std::vector<std::uint8_t>{255, 7});
  EXPECT_EQ(parse_npy(u1, "u1.npy", &type).data, (std::vector<float>{255, 7}));
  EXPECT_EQ(type, "uint8");
  const auto i1 =
      npy_bytes("{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }", std::vector<std::uint8_t>{0xff});
  EXPECT_EQ(parse_npy(i1, "i1.npy").data, (std::vector<float>{-1}));
}

TEST(Npy, integers_fp32_cannot_hold_are_an_error) {
  const auto big = npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                             raw<std::int64_t>({1, 16777217}));
  test::expect_error([&] { parse_npy(big, "ids.npy"); }, {"ids.npy", "element 1 is 16777217", "exactly"});
  const auto huge = npy_bytes("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }",
                              raw<std::uint64_t>({~std::uint64_t{0}}));
  test::expect_error([&] { parse_npy(huge, "ids.npy"); }, {"ids.npy", "element 0 is 18446744073709551615"});
  const auto not_bool = npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
                                  std::vector<std::uint8_t>{1, 2});
  test::expect_error([&] { parse_npy(not_bool, "mask.npy"); }, {"mask.npy", "element 1 of a bool array is 2"});
}

TEST(Npy, truncated_data_is_an_error) {
  auto b = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", raw<float>({1, 2, 3, 4}));
  b.pop_back();
  test::expect_error([&] { parse_npy(b, "w.npy"); }, {"w.npy", "truncated", "needs 16 data bytes, the file has 15"});
  test::expect_error([&] { parse_npy(std::vector<std::uint8_t>(b.begin(), b.begin() + 20), "w.npy"); },
                     {"w.npy", "truncated"});
}

TEST(Npy, bad_magic_and_bad_shape) {
  test::expect_error([] { parse_npy(std::vector<std::uint8_t>(20, 'x'), "w.npy"); }, {"w.npy", "bad magic"});
  const auto b = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", raw<float>({1, 2}));
  test::expect_error([&] { parse_npy(b, "w.npy"); }, {"w.npy", "shape"});
}

TEST(Npy, a_vector_is_not_a_weight_matrix) {
  test::ScratchDir dir;
  write_npy(dir.file("b.npy"), Tensor{{3}, {1, 2, 3}});
  test::expect_error([&] { load_npy(dir.file("b.npy")); }, {"b.npy", "rank >= 2", "[3]"});
}

TEST(Io, missing_file_names_it) {
  test::expect_error([] { read_file("/nonexistent/eie/file.npy"); }, {"/nonexistent/eie/file.npy", "cannot open"});
}

TEST(Io, failed_atomic_write_leaves_nothing_behind) {
  test::ScratchDir dir;
  const std::vector<std::uint8_t> bytes = {1, 2, 3};
  write_file_atomic(dir.file("a.bin"), bytes);
  EXPECT_EQ(read_file(dir.file("a.bin")), bytes);
  // A directory in the way: the rename fails, the temporary file is removed.
  std::filesystem::create_directories(dir.file("sub.bin"));
  std::filesystem::create_directories(dir.file("sub.bin/x"));
  test::expect_error([&] { write_file_atomic(dir.file("sub.bin"), bytes); }, {"sub.bin", "write failed"});
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"a.bin", "sub.bin"}));
}

}  // namespace
}  // namespace eie
