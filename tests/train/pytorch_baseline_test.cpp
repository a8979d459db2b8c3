// scripts/pytorch-baseline --deep-compression as a test, on 2,000 training images and one dense epoch: the
// PyTorch recipe trains, eie.torch compresses it in the script's loop and exports an .eie that `eie info` reads.
// Skipped (with the reason) when /usr/bin/python3 cannot import torch and numpy or this build has no Python
// module or data set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/run_eie.h"

namespace eie::test {
namespace {

class PytorchBaseline : public TempDirTest {
 protected:
  PytorchBaseline() : TempDirTest("pytorch_baseline_test") {}
};

TEST_F(PytorchBaseline, deep_compression_with_eie_torch_in_the_scripts_loop) {
  if (std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch and numpy";
  }
  if (!std::filesystem::exists(EIE_BINARY_DIR "/python/eie/torch.py")) GTEST_SKIP() << "no Python module built";
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
  const auto [status, output] =
      run_command("PYTHONPATH=" EIE_BINARY_DIR "/python " EIE_SOURCE_DIR "/scripts/pytorch-baseline --model "
                  "lenet-300-100 --seeds 1 --epochs 1 --train-limit 2000 --deep-compression --out " + file("out"));
  ASSERT_EQ(status, 0) << output;
  for (const char* line : {"lenet-300-100 seed 1: ", ", deep compression ", "x P+Q+H"}) {
    EXPECT_NE(output.find(line), std::string::npos) << line << "\n" << output;
  }
  const std::string model = file("out/lenet-300-100-s1.eie");
  ASSERT_TRUE(std::filesystem::exists(model)) << output;
  const CliResult info = run_eie("info " + model);
  EXPECT_EQ(info.status, 0) << info.output;
  EXPECT_NE(info.output.find("ip1.weight"), std::string::npos) << info.output;
}

}  // namespace
}  // namespace eie::test
