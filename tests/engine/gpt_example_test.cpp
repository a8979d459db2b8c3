// scripts/gpt-example as a test, on a model small enough to train for a few steps in seconds: the corpus, the
// export with dynamic axes, `eie run` within 1e-4 of PyTorch, compression and perplexity, `eie bench` (one decode
// step) and `eie sim` all run. Skipped (with the reason) when /usr/bin/python3 cannot import torch, onnx and numpy
// or the fortunes corpus is missing.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/run_eie.h"

namespace eie::test {
namespace {

class GptExample : public TempDirTest {
 protected:
  GptExample() : TempDirTest("gpt_example_test") {}
};

TEST_F(GptExample, tiny_model_end_to_end) {
  if (std::system("/usr/bin/python3 -c 'import torch, onnx, numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch, onnx and numpy (scripts/install-deps installs "
                    "python3-torch python3-onnx python3-numpy)";
  }
  if (!std::filesystem::exists("/usr/share/games/fortunes/fortunes")) {
    GTEST_SKIP() << "no fortunes corpus (scripts/install-deps installs the fortunes package)";
  }
  // Retraining with eie.torch (a fraction of a second per phase: at least a step each) where this build has the
  // Python module.
  const bool retrain = std::filesystem::exists(EIE_BINARY_DIR "/python/eie/torch.py");
  const std::string command = EIE_SOURCE_DIR "/scripts/gpt-example --eie " EIE_BINARY_DIR "/tools/eie/eie --out " +
                              file("out") +
                              " --layers 1 --width 32 --heads 2 --context 16 --steps 3 --windows 2"
                              " --bench-budget 0.01 --retrain-minutes " + (retrain ? "0.01" : "0");
  const auto [status, output] = run_command(command);
  EXPECT_EQ(status, 0) << output;
  for (const char* line : {"trained 3 steps", "eie run vs PyTorch, ids 3x16", "perplexity on 32 held-back bytes",
                           "M x V", "batch   1, 1 thread : eie", "Whole network"}) {
    EXPECT_NE(output.find(line), std::string::npos) << line << "\n" << output;
  }
  EXPECT_TRUE(std::filesystem::exists(file("out/gpt.json")));
  if (retrain) {
    EXPECT_NE(output.find("steps of retraining with eie.torch"), std::string::npos) << output;
    EXPECT_TRUE(std::filesystem::exists(file("out/gpt-retrained.eie")));
  }
}

}  // namespace
}  // namespace eie::test
