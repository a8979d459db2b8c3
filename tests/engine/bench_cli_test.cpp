// `eie bench` on the command line: its documented JSON, a model's layers, and bad options answered
// with one line and exit status 1. Timings are never asserted (they belong to benchmarks), only their shape.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "common/run_eie.h"
#include "eie/engine.h"
#include "engine/kernels/kernel.h"

namespace eie::test {
namespace {

// eie, dense and CSR; in builds with oneDNN also onednn-fp32 and onednn-int8.
#ifdef EIE_HAVE_ONEDNN
constexpr std::size_t kImpls = 5;
#else
constexpr std::size_t kImpls = 3;
#endif

class BenchCli : public TempDirTest {
 protected:
  BenchCli() : TempDirTest("bench_cli_test") {}
  // The JSON that `--json file(name)` wrote.
  nlohmann::json json_file(const std::string& name) {
    std::ifstream in(file(name));
    return nlohmann::json::parse(in);
  }
};

TEST_F(BenchCli, suite_layer_to_json) {
  const CliResult r = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1,3 --threads 1 --budget 0.01 --json " +
                              file("b.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json j = json_file("b.json");
  EXPECT_TRUE(j["machine"].contains("cpu"));
#if defined(__x86_64__)
  // The dense baseline runs OpenBLAS's kernels for this CPU's vector instructions, also where OpenBLAS does not
  // know the CPU's model (the command then restarts itself with OPENBLAS_CORETYPE set).
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    const std::string core = j["machine"]["openblas_core"];
    EXPECT_TRUE(core == "Haswell" || core == "Zen" || core == "SkylakeX" || core == "Cooperlake" ||
                core == "SapphireRapids") << core;
  }
#endif
  ASSERT_EQ(j["results"].size(), 2 * kImpls);  // 2 batches x the implementations
  for (const auto& row : j["results"]) {
    EXPECT_EQ(row["layer"], "NT-LSTM");
    EXPECT_EQ(row["threads"], 1);
    EXPECT_TRUE(row["impl"] == "eie" || row["impl"] == "dense" || row["impl"] == "csr" ||
                (kImpls == 5 && (row["impl"] == "onednn-fp32" || row["impl"] == "onednn-int8"))) << row;
    if (row["impl"] == "onednn-fp32") {
      EXPECT_LT(row["max_relative_difference_vs_dense"].get<double>(), 1e-3) << row;
    }
    if (row["impl"] == "onednn-int8") {
      EXPECT_LT(row["max_difference_of_largest_output_vs_dense"].get<double>(), 1.0 / 32) << row;
      EXPECT_GT(row["bytes"].get<std::int64_t>(), 0) << row;
    }
    EXPECT_GT(row["median_us"].get<double>(), 0.0);
    EXPECT_GE(row["p99_us"].get<double>(), row["median_us"].get<double>());
    ASSERT_EQ(row["round_median_us"].size(), 5u) << row;  // the implementations take turns in 5 rounds
    for (const auto& m : row["round_median_us"]) EXPECT_GT(m.get<double>(), 0.0);
  }
  EXPECT_NE(r.output.find("each round alone: "), std::string::npos) << r.output;
  EXPECT_EQ(j["results"][0]["batch"], 1);
  EXPECT_EQ(j["results"][kImpls]["batch"], 3);
  // oneDNN's table and geometric means.
  EXPECT_EQ(r.output.find("over oneDNN int8") != std::string::npos, kImpls == 5) << r.output;
  // The batch-1 layout against the paper's EIE encoding, once per layer.
  ASSERT_EQ(j["memory"].size(), 1u);
  const nlohmann::json& m = j["memory"][0];
  EXPECT_EQ(m["layer"], "NT-LSTM");
  EXPECT_GT(m["engine_batch1_bytes"].get<std::int64_t>(), 0);
  EXPECT_GT(m["eie_encoded_bytes"].get<std::int64_t>(), 0);
  EXPECT_GT(m["dense_fp32_bytes"].get<std::int64_t>(), m["engine_batch1_bytes"].get<std::int64_t>());
  EXPECT_NE(r.output.find("Memory, the batch-1 layout against the paper's 64-PE EIE encoding"), std::string::npos);
}

// --input-density overrides the suite's Table III densities; --skip-zero-activations plans csc, which a 2%
// input (far below any break-even) runs on, and the JSON names it.
TEST_F(BenchCli, suite_with_sparse_inputs_skips_zero_activations) {
  const CliResult r = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1 --threads 1 --budget 0.01 "
                              "--input-density 0.02 --skip-zero-activations --json " + file("s.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("inputs synthetic, 2% non-zero"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("visiting only the non-zero activations (spmv_csc__scalar, input density < break-even): NT-LSTM"),
            std::string::npos) << r.output;
  const nlohmann::json j = json_file("s.json");
  ASSERT_EQ(j["results"].size(), kImpls);
  EXPECT_EQ(j["results"][0]["impl"], "eie");
  EXPECT_EQ(j["results"][0]["kernel"], "spmv_csc__scalar");
  // Without the flag the same input runs on the usual layout.
  const CliResult plain = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1 --threads 1 --budget 0.01 "
                                  "--input-density 0.02 --json " + file("p.json"));
  ASSERT_EQ(plain.status, 0) << plain.output;
  EXPECT_NE(json_file("p.json")["results"][0]["kernel"], "spmv_csc__scalar");
}

TEST_F(BenchCli, precision_bf16) {
  if (!precision_available(Precision::bf16)) {
    const CliResult r = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1 --threads 1 --precision bf16");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("--precision: 'bf16' needs AVX-512 BF16"), std::string::npos) << r.output;
    GTEST_SKIP() << "this CPU lacks AVX-512 BF16";
  }
  const CliResult r = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1,3 --threads 1 --budget 0.01 "
                              "--precision bf16 --json " + file("bf.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("precision bf16"), std::string::npos) << r.output;
  const nlohmann::json j = json_file("bf.json");
  EXPECT_EQ(j["precision"], "bf16");
  EXPECT_NE(j["command"].get<std::string>().find("--precision bf16"), std::string::npos) << j["command"];
  for (std::size_t i : {std::size_t{0}, kImpls}) {
    EXPECT_EQ(j["results"][i]["impl"], "eie");
    EXPECT_EQ(j["results"][i]["kernel"], "spmv_sell16x2_cb16__avx512bf16");
    EXPECT_LT(j["results"][i]["max_difference_of_largest_output_vs_dense"].get<double>(), 1.0 / 32);
  }
}

TEST_F(BenchCli, precision_int8) {
  if (!precision_available(Precision::int8)) {
    const CliResult r = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1 --threads 1 --precision int8");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("--precision: 'int8' needs AVX-512 VNNI"), std::string::npos) << r.output;
    GTEST_SKIP() << "this CPU lacks AVX-512 VNNI or VBMI";
  }
  const CliResult r = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1,3 --threads 1 --budget 0.01 "
                              "--precision int8 --json " + file("i8.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("precision int8"), std::string::npos) << r.output;
  const nlohmann::json j = json_file("i8.json");
  EXPECT_EQ(j["precision"], "int8");
  // sell16x4 where the CPU has AVX-512 VNNI and VBMI, else sell16 in int8 on AVX2.
  const bool avx512 = engine::avx512_int8_available();
  for (std::size_t i : {std::size_t{0}, kImpls}) {
    EXPECT_EQ(j["results"][i]["impl"], "eie");
    EXPECT_EQ(j["results"][i]["kernel"], avx512 ? "spmv_sell16x4_cb16__avx512vnni" : "spmv_sell16i8_cb16__avx2");
    EXPECT_LT(j["results"][i]["max_difference_of_largest_output_vs_dense"].get<double>(), 1.0 / 32);
  }
  // --compact-codes: sell16x4c on every layer it applies to (sell16 in int8 has no compact form); refused without
  // int8.
  const CliResult c = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1 --threads 1 --budget 0.01 "
                              "--precision int8 --compact-codes --json " + file("i8c.json"));
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_NE(c.output.find("precision int8 with compact codes"), std::string::npos) << c.output;
  const nlohmann::json jc = json_file("i8c.json");
  EXPECT_EQ(jc["compact_codes"], true);
  EXPECT_EQ(jc["results"][0]["kernel"], avx512 ? "spmv_sell16x4c_cb16__avx512vnni" : "spmv_sell16i8_cb16__avx2");
  const CliResult refused = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1 --compact-codes");
  EXPECT_EQ(refused.status, 1) << refused.output;
  EXPECT_NE(refused.output.find("--compact-codes: a layout of precision int8, not used with precision fp32"),
            std::string::npos) << refused.output;
}

// --layout forces the layout every compressed layer runs on: the plan's kernel says which.
TEST_F(BenchCli, forced_layout) {
  const CliResult r = run_eie("bench --suite eie-paper --layers NT-LSTM --batch 1 --threads 1 --budget 0.01 "
                              "--layout tcsr --json " + file("l.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json j = json_file("l.json");
  EXPECT_EQ(j["layout"], "tcsr");
  bool found = false;
  for (const auto& row : j["results"]) {
    if (row["impl"] != "eie") continue;
    found = true;
    EXPECT_EQ(row["kernel"].get<std::string>().rfind("spmm_tcsr_cb", 0), 0u) << row;
  }
  EXPECT_TRUE(found) << j;
}

TEST_F(BenchCli, a_models_compressed_layers) {
  const std::string model = file("mlp.eie");
  ASSERT_EQ(run_eie("compress " + std::string(EIE_SOURCE_DIR) + "/tests/io/data/mlp_python.onnx -o " + model +
                    " --density '*=0.5' --bits 4").status, 0);
  const CliResult r = run_eie("bench " + model + " --batch 1 --threads 1 --budget 0.01 --input-density 0.5");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("inputs synthetic, 50% non-zero"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\nw1 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\nw2 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("M x V"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" 3x4 "), std::string::npos) << r.output;  // w1: 3 outputs x 4 inputs
  EXPECT_NE(r.output.find("Whole network"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("batch   1, 1 thread : eie"), std::string::npos) << r.output;
  // The whole network on oneDNN too, in builds with it.
  EXPECT_EQ(r.output.find("oneDNN int8") != std::string::npos, kImpls == 5) << r.output;
}

// A transformer language model with dynamic batch and sequence axes and token ids as input: the whole network is
// timed as one decode step (sequence length 1).
TEST_F(BenchCli, a_language_models_decode_step) {
  const std::string model = file("gpt.eie");
  ASSERT_EQ(run_eie("compress " + std::string(EIE_SOURCE_DIR) + "/tests/engine/data/tiny_gpt.onnx -o " + model +
                    " --density 0.25 --bits 4").status, 0);
  const CliResult r =
      run_eie("bench " + model + " --batch 1 --threads 1 --budget 0.01 --profile --json " + file("b.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("batch   1, 1 thread : eie"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("per operator, every node timed"), std::string::npos) << r.output;
  const nlohmann::json j = json_file("b.json");
  // --profile: every operator of the network with its node count, the stored weights' products among them.
  ASSERT_EQ(j["network"].size(), 1u);
  std::map<std::string, nlohmann::json> profile;
  for (const auto& p : j["network"][0]["profile"]) profile[p["operator"].get<std::string>()] = p;
  ASSERT_TRUE(profile.count("MatMul (weight)")) << j["network"][0];
  EXPECT_GT(profile["MatMul (weight)"]["nodes"].get<int>(), 0);
  EXPECT_GT(profile["MatMul (weight)"]["eie_us"].get<double>(), 0.0);
  EXPECT_GT(profile["MatMul (weight)"]["dense_us"].get<double>(), 0.0);
  EXPECT_TRUE(profile.count("Gather")) << j["network"][0];  // the token embedding
  ASSERT_FALSE(j["results"].empty());
  for (const auto& row : j["results"]) {
    if (row["impl"] != "eie") continue;
    ASSERT_TRUE(row.contains("rows") && row.contains("cols")) << row;
    EXPECT_GT(row["rows"].get<int>(), 0) << row;
    EXPECT_GT(row["cols"].get<int>(), 0) << row;
  }
}

TEST_F(BenchCli, bad_options) {
  const auto expect = [&](const std::string& args, const std::string& fragment) {
    const CliResult r = run_eie("bench " + args);
    EXPECT_EQ(r.status, 1) << args << ": " << r.output;
    EXPECT_NE(r.output.find(fragment), std::string::npos) << args << ": " << r.output;
  };
  expect("", "give a model file (.eie) or --suite eie-paper");
  expect("--suite imagenet", "'imagenet' is not a suite");
  expect("--suite eie-paper --batch 0", "--batch: '0' is not an integer in 1..256");
  expect("--suite eie-paper --layers Alex-9", "Alex-9");
  expect(file("missing.eie"), "missing.eie");
  expect("--suite eie-paper --profile", "--profile: only with a model file");
  expect("--suite eie-paper --precision fp16", "precision 'fp16' is not one of fp32, bf16");
  expect("--suite eie-paper --layout ell", "--layout: layout 'ell' is not one of auto, sell16");
  expect("--suite eie-paper --layers NT-LSTM --layout sell16x2 --budget 0.01", "layout sell16x2 needs precision bf16");
}

}  // namespace
}  // namespace eie::test
