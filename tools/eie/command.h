// How the `eie` command is put together: every subcommand lives in its own file and registers itself with one
// static CommandRegistration; the demo is a sequence of sections, each a DemoSection registered the same way
// by the capability it shows. Adding a command or a demo section touches no other file.
#pragma once

#include <any>
#include <functional>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "eie/engine.h"

namespace eie::cli {

// Adds one subcommand (with its options and callback) to the root app. `order` sorts --help.
struct CommandRegistration {
  CommandRegistration(int order, std::function<void(CLI::App& root)> add);
};
void add_registered_commands(CLI::App& root);

// State the demo's sections hand to each other (e.g. the compressed model for the simulator section).
class DemoContext {
 public:
  std::uint64_t seed = 1;
  bool quick = false;  // --quick: smaller sizes, for tests

  template <typename T>
  void put(const std::string& key, T value) { values_[key] = std::move(value); }
  template <typename T>
  const T* get(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : std::any_cast<T>(&it->second);
  }

 private:
  std::map<std::string, std::any> values_;
};

struct DemoSection {
  DemoSection(int order, std::string title, std::function<void(DemoContext&)> run);
};
void run_demo_sections(DemoContext& context);

// True when stdout is a terminal (progress bars show only then).
bool stdout_is_terminal();

// --compact-codes (bench, run, eval): EngineOptions::compact_codes. Adds the flag; check_compact_codes throws an
// Error when it is given without --precision int8, the only precision whose layout has them.
void add_compact_codes_flag(CLI::App* cmd, bool* compact_codes);
void check_compact_codes(bool compact_codes, Precision precision);

// --layout (bench, run, eval): EngineOptions::layout. parse_layout_option throws an Error naming the option and
// the value when it is not a layout; what a layer, the CPU or the precision cannot take the Engine names.
void add_layout_option(CLI::App* cmd, std::string* layout);
Layout parse_layout_option(const std::string& layout);

}  // namespace eie::cli
