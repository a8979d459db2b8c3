// `eie demo`: the whole story on the built-in default, one section per capability (see demo_*.cpp).
#include <fmt/core.h>

#include "command.h"

namespace eie::cli {
namespace {

const CommandRegistration registration(90, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("demo", "The whole story end to end on the built-in default");
  auto context = std::make_shared<DemoContext>();
  cmd->add_option("--seed", context->seed, "Seed for everything random in the demo")->capture_default_str();
  cmd->add_flag("--quick", context->quick, "Smaller sizes (used by the tests)");
  cmd->callback([context] {
    fmt::print("eie demo: Deep Compression and the Efficient Inference Engine, end to end.\n");
    run_demo_sections(*context);
    fmt::print("\nDemo finished.\n");
  });
});

}  // namespace
}  // namespace eie::cli
