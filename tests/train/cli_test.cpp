// `eie train` / `eie eval` on bad input: exit status 1, one line naming the problem, no output file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "common/run_eie.h"

namespace {

namespace fs = std::filesystem;

using eie::test::run_eie;

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(std::string(EIE_BINARY_DIR) + "/tools/eie/eie")) GTEST_SKIP() << "eie not built";
    out_ = (fs::temp_directory_path() / ("eie_cli_" + std::to_string(::getpid()) + ".eie")).string();
    fs::remove(out_);
  }
  void TearDown() override { fs::remove(out_); }
  void expect_failure(const std::string& args, const std::string& fragment) {
    const eie::test::CliResult o = run_eie(args);
    EXPECT_EQ(o.status, 1) << o.output;
    EXPECT_NE(o.output.find(fragment), std::string::npos) << o.output;
    EXPECT_EQ(std::count(o.output.begin(), o.output.end(), '\n'), 1) << o.output;
    EXPECT_FALSE(fs::exists(out_));
  }
  std::string out_;
};

TEST_F(TrainCli, unknown_model) { expect_failure("train --model alexnet -o " + out_, "--model 'alexnet'"); }

TEST_F(TrainCli, unknown_method) {
  expect_failure("train --model lenet-5 --method magic -o " + out_, "--method 'magic'");
}

TEST_F(TrainCli, missing_data_directory) {
  expect_failure("train --model lenet-5 --data /nonexistent/fashion -o " + out_,
                 "/nonexistent/fashion: no such data directory");
}

TEST_F(TrainCli, bad_quality_pattern) {
  expect_failure("train --model lenet-300-100 --method deep-compression --quality fc9=1 -o " + out_,
                 "--quality");
}

TEST_F(TrainCli, threads_out_of_range) {
  expect_failure("train --model lenet-300-100 --threads 0 -o " + out_, "--threads");
}

// --threads reaches libtorch's settings: the JSON reports the count the run used, not the default of 2.
TEST_F(TrainCli, learning_rate_out_of_range) {
  for (const std::string lr : {"0", "-0.1", "nan", "inf", "fast"}) {
    expect_failure("train --model lenet-5 --lr " + lr + " -o " + out_, "'" + lr + "' is not a learning rate");
  }
}

TEST_F(TrainCli, threads_reported) {
  const std::string data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data)) GTEST_SKIP() << data << " missing";
  const eie::test::CliResult o = run_eie("train --model lenet-300-100 --epochs 1 --train-limit 256 --test-limit 100 "
                                         "--threads 1 --json -o " + out_);
  ASSERT_EQ(o.status, 0) << o.output;
  const std::string key = "\"threads\": ";
  const std::size_t at = o.output.find(key);
  ASSERT_NE(at, std::string::npos) << o.output;
  EXPECT_EQ(o.output.substr(at + key.size(), 2), "1\n") << o.output;
  EXPECT_TRUE(fs::exists(out_));
}

TEST_F(TrainCli, retrain_learning_rate_out_of_range) {
  expect_failure("train --model lenet-5 --method deep-compression --retrain-lr 0 -o " + out_,
                 "'0' is not a learning rate");
}

// --from takes a dense model of the --model architecture, and replaces the dense phase (its options refused).
TEST_F(TrainCli, bad_starting_model) {
  expect_failure("train --model lenet-5 --method deep-compression --from /nonexistent/dense.eie -o " + out_,
                 "/nonexistent/dense.eie");
  expect_failure("train --model lenet-5 --from /nonexistent/dense.eie -o " + out_,
                 "--from: --method dense has nothing to train");
  expect_failure("train --model lenet-5 --method ttq --epochs 3 --from /nonexistent/dense.eie -o " + out_,
                 "--epochs and --lr do not apply");
  const std::string data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data)) GTEST_SKIP() << data << " missing";
  const std::string small = out_ + ".small.eie";
  const std::string tiny = "--epochs 1 --train-limit 256 --test-limit 100 --threads 1 --json ";
  ASSERT_EQ(run_eie("train --model lenet-300-100 " + tiny + "-o " + small).status, 0);
  expect_failure("train --model lenet-5 --method dsd --from " + small + " -o " + out_,
                 small + ": the model is a lenet-300-100, --model is lenet-5");
  ASSERT_EQ(run_eie("train --model lenet-300-100 --method deep-compression --prune-iterations 1 --retrain-epochs 1 "
                    "--finetune-epochs 1 --quality 1 " + tiny + "-o " + small).status, 0);
  expect_failure("train --model lenet-300-100 --method dsd --from " + small + " -o " + out_,
                 small + ": layer 'ip1' is compressed");
  fs::remove(small);
}

TEST_F(TrainCli, eval_missing_file) { expect_failure("eval /nonexistent/model.eie", "/nonexistent/model.eie"); }

}  // namespace
