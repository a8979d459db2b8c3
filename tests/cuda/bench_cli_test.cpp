// `eie bench --device cuda` on the command line: without a GPU, one line naming the CUDA call and exit status
// 1; with one, the JSON of the CPU bench with the four GPU implementations. Timings are never asserted.
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/run_eie.h"
#include "cuda_test_util.h"

namespace eie::test {
namespace {

class CudaBenchCli : public TempDirTest {
 protected:
  CudaBenchCli() : TempDirTest("cuda_bench_cli_test") {}
};

TEST_F(CudaBenchCli, suite_layer_to_json_or_one_line_without_a_gpu) {
  const CliResult r = run_eie("bench --suite eie-paper --layers NT-LSTM --device cuda --batch 1,3 --budget 0.01 --json " +
                              file("b.json"));
  const std::string reason = cuda_unavailable_reason();
  if (!reason.empty()) {
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_EQ(r.output.rfind("eie: cudaGetDeviceCount: ", 0), 0u) << r.output;
    EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "not one line: " << r.output;
    return;
  }
  ASSERT_EQ(r.status, 0) << r.output;
  std::ifstream in(file("b.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_TRUE(j["machine"].contains("gpu"));
  EXPECT_TRUE(j["machine"].contains("driver_cuda_version"));
  ASSERT_EQ(j["results"].size(), 8u);  // 2 batches x 4 implementations
  for (const auto& row : j["results"]) {
    EXPECT_EQ(row["layer"], "NT-LSTM");
    EXPECT_EQ(row["device"], "cuda");
    EXPECT_TRUE(row["impl"] == "eie-cuda" || row["impl"] == "cublas" || row["impl"] == "cublas-fp16" ||
                row["impl"] == "cusparse") << row;
    EXPECT_GT(row["median_us"].get<double>(), 0.0);
    EXPECT_GE(row["p99_us"].get<double>(), row["median_us"].get<double>());
    EXPECT_GT(row["back_to_back_median_us"].get<double>(), 0.0);
  }
  EXPECT_EQ(j["results"][0]["batch"], 1);
  EXPECT_EQ(j["results"][4]["batch"], 3);
}

TEST_F(CudaBenchCli, bad_device_options) {
  const auto expect = [&](const std::string& args, const std::string& fragment) {
    const CliResult r = run_eie("bench " + args);
    EXPECT_EQ(r.status, 1) << args << ": " << r.output;
    EXPECT_NE(r.output.find(fragment), std::string::npos) << args << ": " << r.output;
  };
  expect("--suite eie-paper --device tpu", "--device: 'tpu' is not a device (cpu or cuda)");
  expect("--suite eie-paper --device cuda --threads 2", "not used with --device cuda");
  expect("--suite eie-paper --device cuda --kernel scalar", "not used with --device cuda");
}

}  // namespace
}  // namespace eie::test
