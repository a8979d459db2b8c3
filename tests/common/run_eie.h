// Runs the built `eie` binary for command-line tests (build the `eie` target first; `cmake --build` does).
// Header-only because EIE_BINARY_DIR is defined per test executable.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace eie::test {

struct CliResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

inline CliResult run_eie(const std::string& args) {
  const std::string binary = EIE_BINARY_DIR "/tools/eie/eie";
  if (!std::filesystem::exists(binary)) ADD_FAILURE() << binary << " is missing: build the eie target";
  CliResult r;
  FILE* pipe = ::popen((binary + " " + args + " 2>&1").c_str(), "r");
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace eie::test
