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

}  // namespace eie::cli
