#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "sim_test_util.h"

namespace eie::sim {
namespace {

using eie::test::expect_error;

TEST(SimConfig, defaults_are_the_paper_design) {
  const Config c;
  c.validate();
  EXPECT_EQ(c.num_pes, 64);
  EXPECT_EQ(c.fifo_depth, 8);
  EXPECT_EQ(c.sram_width_bits, 64);
  EXPECT_EQ(c.entries_per_line(), 8);
  EXPECT_EQ(c.clock_mhz, 800.0);
}

TEST(SimConfig, out_of_range_values_name_the_field) {
  auto with = [](auto change) { Config c; change(c); return c; };
  expect_error([&] { with([](Config& c) { c.num_pes = 0; }).validate(); }, {"num_pes", "1..1024", "0"});
  expect_error([&] { with([](Config& c) { c.num_pes = 1025; }).validate(); }, {"num_pes", "1025"});
  expect_error([&] { with([](Config& c) { c.fifo_depth = 257; }).validate(); }, {"fifo_depth", "257"});
  expect_error([&] { with([](Config& c) { c.sram_width_bits = 8; }).validate(); }, {"sram_width_bits", "8"});
  expect_error([&] { with([](Config& c) { c.sram_width_bits = 60; }).validate(); },
               {"sram_width_bits = 60", "multiple", "8-bit entry"});
  expect_error([&] { with([](Config& c) { c.frac_bits = 16; }).validate(); }, {"frac_bits", "16"});
  expect_error([&] { with([](Config& c) { c.clock_mhz = -5; }).validate(); }, {"clock_mhz", "-5"});
}

TEST(SimConfig, json_round_trip_and_errors) {
  Config c;
  c.num_pes = 16;
  c.fifo_depth = 4;
  c.reuse_line = false;
  c.ccu_latency = 5;
  EXPECT_EQ(config_from_json(to_json(c), "x.json"), c);
  EXPECT_EQ(config_from_json(to_json(Config{}), "x.json"), Config{});  // -1 (auto) survives the round trip
  expect_error([] { config_from_json(nlohmann::json{{"num_pe", 4}}, "cfg.json"); }, {"cfg.json", "unknown key 'num_pe'"});
  expect_error([] { config_from_json(nlohmann::json{{"num_pes", "4"}}, "cfg.json"); }, {"cfg.json", "num_pes", "integer"});
  expect_error([] { config_from_json(nlohmann::json{{"num_pes", 4.5}}, "cfg.json"); }, {"num_pes", "integer"});
  expect_error([] { config_from_json(nlohmann::json{{"fifo_depth", 0}}, "cfg.json"); }, {"cfg.json", "fifo_depth", "0"});
  expect_error([] { config_from_json(nlohmann::json::array(), "cfg.json"); }, {"cfg.json", "object"});
  expect_error([] { load_config("/nonexistent/sim.json"); }, {"/nonexistent/sim.json", "cannot open"});
  const std::string path = std::string(EIE_BINARY_DIR) + "/sim_config_test.json";
  {
    std::ofstream out(path);
    out << "{\"num_pes\": 32, ";
  }
  expect_error([&] { load_config(path); }, {path, "not valid JSON"});
  {
    std::ofstream out(path);
    out << "{\"num_pes\": 32, \"sram_width_bits\": 128}";
  }
  const Config loaded = load_config(path);
  EXPECT_EQ(loaded.num_pes, 32);
  EXPECT_EQ(loaded.sram_width_bits, 128);
  EXPECT_EQ(loaded.fifo_depth, 8);
  std::remove(path.c_str());
}

TEST(SimConfig, bad_inputs_to_simulate) {
  const CompressedLayer layer = test::layer_from_columns(4, {{0}, {1}});
  expect_error([&] { simulate(layer, std::vector<float>(3, 1.0f), Config{}); }, {"takes 2 inputs", "got 3"});
  Config small;
  small.num_pes = 1;
  small.spmat_sram_kb = 1;
  const CompressedLayer big = eie::test::LayerTester().rows(200).cols(100).density(0.5).build(1);
  expect_error([&] { simulate(big, std::vector<float>(100, 1.0f), small); },
               {"needs", "entries", "PE 0", "bytes more than the 1 KB sparse-matrix SRAM"});
  Config narrow;
  narrow.weight_bits = 2;
  narrow.sram_width_bits = 48;
  expect_error([&] { simulate(layer, std::vector<float>(2, 1.0f), narrow); }, {"4-bit codebook", "weight_bits = 2"});
  std::vector<float> nan_input{1.0f, std::numeric_limits<float>::quiet_NaN()};
  expect_error([&] { simulate(layer, nan_input, Config{}); }, {"input activation 1", "not finite"});
}

TEST(SimConfig, malformed_encoding_is_an_error) {
  const CompressedLayer layer = test::layer_from_columns(8, {{0, 4}, {1}});
  Config c = test::config_with(2);
  const std::vector<std::int32_t> x{256, 256};
  EieEncoding enc = encode_eie(layer, 2);
  enc.pes[0].entries[1].z = 9;  // row 0 + 1 + 9 = 10 of PE 0's 4 rows
  expect_error([&] { simulate_encoded(enc, x, c); }, {"PE 0", "column 0", "row 10", "4 rows"});
  enc = encode_eie(layer, 2);
  enc.pes[1].col_ptr[2] = 5;
  expect_error([&] { simulate_encoded(enc, x, c); }, {"PE 1", "column pointers"});
  enc = encode_eie(layer, 2);
  enc.pes.pop_back();
  expect_error([&] { simulate_encoded(enc, x, c); }, {"1 PE slices for 2 PEs"});
  expect_error([&] { simulate_encoded(encode_eie(layer, 4), x, c); }, {"encoded for 4 PEs", "num_pes = 2"});
}

TEST(SimConfig, sweep_parameter_errors) {
  expect_error([] { run_sweep(Config{}, "banks", {1}, {"NT-LSTM"}, 1, 1); }, {"unknown parameter 'banks'"});
  expect_error([] { run_sweep(Config{}, "pes", {4, 2048}, {"NT-LSTM"}, 1, 1); }, {"pes=2048", "num_pes"});
  expect_error([] { run_suite(Config{}, {"Alex-9"}, 1, 1); }, {"unknown benchmark layer 'Alex-9'"});
}

}  // namespace
}  // namespace eie::sim
