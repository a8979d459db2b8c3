// `eie sim` on the command line: results as JSON, and every bad option or config file answered with exit
// status 1, one line naming the parameter and the value, and no output file. Runs the built binary (build
// the `eie` target first; `cmake --build` does).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/run_eie.h"
#include "common/test_util.h"

namespace eie::sim {
namespace {

using test::CliResult;
CliResult eie_cli(const std::string& args) { return test::run_eie(args); }

class SimCli : public test::TempDirTest {
 protected:
  SimCli() : TempDirTest("sim_cli_test") {}
  void write(const std::string& name, const std::string& text) const { std::ofstream(file(name)) << text; }

  void expect_cli_error(const std::string& args, std::initializer_list<std::string> fragments) const {
    SCOPED_TRACE(args);
    const CliResult r = eie_cli(args + " --json " + file("out.json"));
    EXPECT_EQ(r.status, 1) << r.output;
    for (const std::string& f : fragments) {
      EXPECT_NE(r.output.find(f), std::string::npos) << "missing '" << f << "' in: " << r.output;
    }
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_FALSE(std::filesystem::exists(file("out.json")));
    EXPECT_FALSE(std::filesystem::exists(file("out.json.tmp")));
  }
};

// The table names both measures of busy PEs; the sweep's figures are drawn by the command (gnuplot), not the
// library, and land beside the CSV and JSON.
TEST_F(SimCli, table_says_which_efficiency_is_which_and_sweep_draws_figures) {
  CliResult r = eie_cli("sim --layer NT-LSTM --pes 16");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("useful"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("load eff: PE-cycles processing an entry, padding included"), std::string::npos)
      << r.output;
  r = eie_cli("sim --layer NT-LSTM --sweep fifo=2,8 --out " + file("s"));
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* name : {"s.csv", "s.json", "s_fig8.png", "s_fig8.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(file(name))) << name << " in " << r.output;
  }
  EXPECT_FALSE(std::filesystem::exists(file("s_fig8.gp")));
  EXPECT_FALSE(std::filesystem::exists(file("s_fig8.png.tmp")));
}

TEST_F(SimCli, layer_to_json_with_config_from_file_and_options) {
  write("design.json", R"({"num_pes": 16, "sram_width_bits": 128})");
  const CliResult r = eie_cli("sim --layer NT-LSTM --config " + file("design.json") + " --fifo 4 --json " + file("out.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("NT-LSTM"), std::string::npos);
  EXPECT_NE(r.output.find("16 PEs"), std::string::npos);
  std::ifstream in(file("out.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["config"]["num_pes"], 16);
  EXPECT_EQ(j["config"]["sram_width_bits"], 128);
  EXPECT_EQ(j["config"]["fifo_depth"], 4);
  ASSERT_EQ(j["layers"].size(), 1u);
  EXPECT_EQ(j["layers"][0]["name"], "NT-LSTM");
  EXPECT_GT(j["layers"][0]["cycles"].get<std::int64_t>(), 0);
  EXPECT_TRUE(j["layers"][0]["output_matches_reference"].get<bool>());
  // The config written is a config that can be read back.
  std::ofstream(file("again.json")) << j["config"].dump();
  EXPECT_EQ(eie_cli("sim --layer NT-LSTM --config " + file("again.json")).status, 0);
}

TEST_F(SimCli, bad_options_and_config_files) {
  // One case per kind of check (every range and key is covered by config_test.cpp without a process each).
  expect_cli_error("sim --layer NT-LSTM --pes 0", {"num_pes", "1..1024", "got 0"});
  expect_cli_error("sim --layer NT-LSTM --sram-width 60", {"sram_width_bits = 60", "multiple"});
  expect_cli_error("sim --layer NT-LSTM --spmat-sram-kb 1", {"NT-LSTM", "bytes more than the 1 KB"});
  expect_cli_error("sim --layer Alex-9", {"unknown benchmark layer 'Alex-9'"});
  expect_cli_error("sim --suite imagenet", {"unknown suite 'imagenet'"});
  expect_cli_error("sim", {"--suite eie-paper or --layer"});
  expect_cli_error("sim --layer NT-LSTM --sweep fifo=1,x", {"'x' is not an integer"});
  expect_cli_error("sim --layer NT-LSTM --config " + file("missing.json"), {"missing.json", "cannot open"});
  write("typo.json", R"({"num_pe": 4})");
  expect_cli_error("sim --layer NT-LSTM --config " + file("typo.json"), {"typo.json", "unknown key 'num_pe'"});
  write("type.json", R"({"num_pes": "four"})");
  expect_cli_error("sim --layer NT-LSTM --config " + file("type.json"), {"type.json", "num_pes", "integer"});
}

TEST_F(SimCli, json_into_a_missing_directory_fails_cleanly) {
  const CliResult r = eie_cli("sim --layer NT-LSTM --json " + file("no/such/dir/out.json"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("cannot write"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace eie::sim
