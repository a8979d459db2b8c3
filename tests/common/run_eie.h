// Runs the built `eie` binary for command-line tests (build the `eie` target first; `cmake --build` does).
// Header-only because EIE_BINARY_DIR is defined per test executable. The environment variable EIE_BINARY
// names another binary: for test executables moved off the build tree (scripts/cuda-check's bundle).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace eie::test {

struct CliResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command line; its exit status (-1 when it did not exit) and its stdout and stderr.
inline CliResult run_command(const std::string& command) {
  CliResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot start: " << command;
    return r;
  }
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CliResult run_eie(const std::string& args) {
  const char* from_environment = std::getenv("EIE_BINARY");
  const std::string binary = from_environment != nullptr ? from_environment : EIE_BINARY_DIR "/tools/eie/eie";
  if (!std::filesystem::exists(binary)) ADD_FAILURE() << binary << " is missing: build the eie target";
  return run_command(binary + " " + args);
}

// A fixture with a fresh directory under the build tree for a test's files, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  explicit TempDirTest(const std::string& prefix = "cli_test") : prefix_(prefix) {}
  void SetUp() override {
    dir_ = std::filesystem::path(EIE_BINARY_DIR) / (prefix_ + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  std::string prefix_;
  std::filesystem::path dir_;
};

}  // namespace eie::test
