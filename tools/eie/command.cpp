#include "command.h"

#include <unistd.h>

#include <vector>

#include <fmt/core.h>

namespace eie::cli {
namespace {

struct Registered {
  int order;
  std::function<void(CLI::App&)> add;
};
std::vector<Registered>& commands() {
  static std::vector<Registered> list;  // function-local: safe from static initialisation order
  return list;
}

struct Section {
  int order;
  std::string title;
  std::function<void(DemoContext&)> run;
};
std::vector<Section>& sections() {
  static std::vector<Section> list;
  return list;
}

}  // namespace

CommandRegistration::CommandRegistration(int order, std::function<void(CLI::App&)> add) {
  commands().push_back({order, std::move(add)});
}

void add_registered_commands(CLI::App& root) {
  auto list = commands();
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  for (const auto& command : list) command.add(root);
}

DemoSection::DemoSection(int order, std::string title, std::function<void(DemoContext&)> run) {
  sections().push_back({order, std::move(title), std::move(run)});
}

void run_demo_sections(DemoContext& context) {
  auto list = sections();
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  int number = 0;
  for (const auto& section : list) {
    fmt::print("\n== {}. {} ==\n\n", ++number, section.title);
    std::fflush(stdout);
    section.run(context);
  }
}

bool stdout_is_terminal() { return isatty(STDOUT_FILENO) == 1; }

void add_compact_codes_flag(CLI::App* cmd, bool* compact_codes) {
  cmd->add_flag("--compact-codes", *compact_codes,
                "With --precision int8: store every 4-bit layer's codes compact (1.25 bytes per slot instead of "
                "1.5; slower where a layer fits the caches, faster where it streams from L3). Without it only "
                "layers over 1.5x their EIE encoding or 6 MB take them");
}

void add_layout_option(CLI::App* cmd, std::string* layout) {
  cmd->add_option("--layout", *layout,
                  "Force one layout for every compressed layer: auto (the planner's choice per layer), sell16, "
                  "sell16x2 (--precision bf16), sell16x4 (--precision int8), tcsr, csr16 or csc")
      ->capture_default_str();
}

Layout parse_layout_option(const std::string& layout) {
  try {
    return parse_layout(layout);
  } catch (const Error& e) {
    throw Error(std::string("--layout: ") + e.what());
  }
}

void check_compact_codes(bool compact_codes, Precision precision) {
  if (compact_codes && precision != Precision::int8) {
    throw Error(std::string("--compact-codes: a layout of precision int8, not used with precision ") +
                precision_name(precision));
  }
}

}  // namespace eie::cli
