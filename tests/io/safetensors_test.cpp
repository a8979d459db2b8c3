#include <cstring>

#include "common/test_util.h"
#include "io/io_test_util.h"

namespace eie {
namespace {

std::vector<std::uint8_t> file_with(const std::string& header, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out(8 + header.size() + data.size());
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  if (!data.empty()) std::memcpy(out.data() + 8 + header.size(), data.data(), data.size());
  return out;
}

TEST(Safetensors, write_then_read_is_exact) {
  std::map<std::string, Tensor> tensors;
  tensors["fc1.weight"] = Tensor{{2, 3}, {1, -2, 3.5f, 0, 1e-7f, -1e7f}};
  tensors["fc1.bias"] = Tensor{{2}, {0.25f, -0.5f}};
  const Model m = parse_safetensors(serialize_safetensors(tensors), "dir/model.safetensors");
  EXPECT_EQ(m.name, "model");
  EXPECT_EQ(m.initializers, tensors);
  const auto slots = m.weight_slots();
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].name, "fc1.weight");
}

TEST(Safetensors, reads_f16_and_bf16) {
  // F16 1.0 = 0x3c00, -0.5 = 0xb800; BF16 1.0 = 0x3f80, -2.0 = 0xc000
  const std::vector<std::uint8_t> data = {0x00, 0x3c, 0x00, 0xb8, 0x80, 0x3f, 0x00, 0xc0};
  const std::string header = R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                             R"("b":{"dtype":"BF16","shape":[1,2],"data_offsets":[4,8]},"__metadata__":{"x":"y"}})";
  const Model m = parse_safetensors(file_with(header, data), "m.safetensors");
  EXPECT_EQ(m.initializers.at("a").data, (std::vector<float>{1.0f, -0.5f}));
  EXPECT_EQ(m.initializers.at("b").data, (std::vector<float>{1.0f, -2.0f}));
}

TEST(Safetensors, truncated_file_is_an_error) {
  std::map<std::string, Tensor> tensors;
  tensors["w"] = Tensor{{2, 2}, {1, 2, 3, 4}};
  auto bytes = serialize_safetensors(tensors);
  bytes.pop_back();
  test::expect_error([&] { parse_safetensors(bytes, "m.safetensors"); },
                     {"m.safetensors", "tensor 'w'", "truncated or corrupt"});
  bytes.resize(20);
  test::expect_error([&] { parse_safetensors(bytes, "m.safetensors"); },
                     {"m.safetensors", "truncated", "header length"});
  test::expect_error([&] { parse_safetensors(std::vector<std::uint8_t>(3), "m.safetensors"); },
                     {"m.safetensors", "truncated"});
}

TEST(Safetensors, corrupt_header_is_an_error) {
  test::expect_error([] { parse_safetensors(file_with("{\"w\": [1,", {}), "m.safetensors"); },
                     {"m.safetensors", "corrupt safetensors header"});
  test::expect_error([] { parse_safetensors(file_with("[1]", {}), "m.safetensors"); },
                     {"m.safetensors", "not a JSON object"});
  test::expect_error([] { parse_safetensors(file_with(R"({"w":{"dtype":"F32"}})", {}), "m.safetensors"); },
                     {"m.safetensors", "tensor 'w'", "data_offsets"});
  test::expect_error(
      [] { parse_safetensors(file_with(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", {0, 0, 0, 0}),
                             "m.safetensors"); },
      {"tensor 'w'", "bad shape dimension -1"});
}

TEST(Safetensors, unsupported_dtype_names_tensor_and_dtype) {
  const std::string header = R"({"steps":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})";
  test::expect_error([&] { parse_safetensors(file_with(header, std::vector<std::uint8_t>(8)), "m.safetensors"); },
                     {"m.safetensors", "tensor 'steps'", "unsupported dtype I64"});
}

TEST(Safetensors, offsets_must_match_shape_and_stay_inside) {
  const std::vector<std::uint8_t> data(16);
  test::expect_error(
      [&] { parse_safetensors(file_with(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", data),
                              "m.safetensors"); },
      {"tensor 'w'", "needs 16 bytes, data_offsets give 12"});
  test::expect_error(
      [&] { parse_safetensors(file_with(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}})", data),
                              "m.safetensors"); },
      {"tensor 'w'", "outside the 16 data bytes"});
  test::expect_error(
      [&] { parse_safetensors(file_with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data),
                              "m.safetensors"); },
      {"m.safetensors", "overlap"});
}

}  // namespace
}  // namespace eie
