// eie <command> [options]. Exit status: 0 success, 1 user error (bad file, bad option: one line on stderr),
// 2 internal error.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "command.h"
#include "eie/baseline.h"
#include "eie/core.h"
#include "eie/version.h"

int main(int argc, char** argv) {
  // OpenBLAS chose its kernels when it loaded. Where it fell back to slower ones than this CPU runs (a model its
  // version does not know), start again with OPENBLAS_CORETYPE set, once (the variable is then set), so that dense
  // layers and the dense baselines run OpenBLAS at its best; if the restart fails, go on with its own choice.
  if (const char* core = eie::openblas_core_this_cpu_needs()) {
    setenv("OPENBLAS_CORETYPE", core, 1);
    execv("/proc/self/exe", argv);
  }
  CLI::App app{"eie: Deep Compression and the Efficient Inference Engine.\n"
               "Makes trained networks small and runs them in their compressed form.",
               "eie"};
  app.set_version_flag("--version", std::string("eie ") + eie::kVersion);
  app.require_subcommand(1);
  app.fallthrough();
  eie::cli::add_registered_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "eie: {}\n", e.what());
    return 1;
  } catch (const eie::Error& e) {
    fmt::print(stderr, "eie: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "eie: internal error: {}\n", e.what());
    return 2;
  }
  return 0;
}
