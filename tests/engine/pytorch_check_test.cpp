// scripts/pytorch-check as a test: LeNet-300-100, LeNet-5 and an LSTM language model exported from PyTorch run
// by `eie run`, uncompressed and compressed, within 1e-4 of PyTorch. Skipped (with the reason) when
// /usr/bin/python3 cannot import torch, onnx and numpy.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "common/run_eie.h"

namespace eie::test {
namespace {

TEST(PytorchCheck, exported_networks_match_pytorch) {
  if (std::system("/usr/bin/python3 -c 'import torch, onnx, numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch, onnx and numpy (scripts/install-deps installs "
                    "python3-torch python3-onnx python3-numpy)";
  }
  const auto [status, output] =
      run_command(EIE_SOURCE_DIR "/scripts/pytorch-check --eie " EIE_BINARY_DIR "/tools/eie/eie");
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("lstm-lm compressed"), std::string::npos) << output;
  std::cout << output;
}

}  // namespace
}  // namespace eie::test
