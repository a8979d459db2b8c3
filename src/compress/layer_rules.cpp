// Per-layer overrides "pattern=value,...": globs over layer names, the last matching rule wins, so a bare
// default can be followed by specific overrides ("0.1,fc8=0.25").
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "eie/compress.h"

namespace eie {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string format_value(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view name) {
  // Iterative wildcard matching with backtracking to the last '*': linear in practice, no recursion.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

LayerRules LayerRules::parse(std::string_view text, std::string_view option) {
  const std::string opt(option);
  std::vector<LayerRule> rules;
  if (trim(text).empty()) throw Error(opt + ": empty rule list");
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = trim(text.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) throw Error(opt + ": empty item in '" + std::string(text) + "'");
    const std::size_t eq = item.rfind('=');
    LayerRule rule;
    std::string_view value_text = item;
    if (eq == std::string_view::npos) {
      rule.pattern = "*";
    } else {
      rule.pattern = std::string(trim(item.substr(0, eq)));
      value_text = trim(item.substr(eq + 1));
      if (rule.pattern.empty()) throw Error(opt + ": '" + std::string(item) + "' has no layer pattern before '='");
      if (value_text.empty()) throw Error(opt + ": '" + std::string(item) + "' has no value after '='");
    }
    const std::string value_string(value_text);
    char* end = nullptr;
    errno = 0;
    rule.value = std::strtod(value_string.c_str(), &end);
    if (end != value_string.c_str() + value_string.size() || errno != 0 || !std::isfinite(rule.value)) {
      throw Error(opt + ": '" + value_string + "' in '" + std::string(item) + "' is not a number");
    }
    rules.push_back(std::move(rule));
    if (comma == text.size()) break;
  }
  return LayerRules(std::move(rules));
}

LayerRules LayerRules::parse_density(std::string_view text, std::string_view option) {
  LayerRules rules = parse(text, option);
  for (const LayerRule& r : rules.rules()) {
    if (!(r.value > 0.0 && r.value <= 1.0)) {
      throw Error(std::string(option) + ": density for '" + r.pattern + "' must be in (0, 1], got " +
                  format_value(r.value));
    }
  }
  return rules;
}

LayerRules LayerRules::parse_bits(std::string_view text, std::string_view option) {
  LayerRules rules = parse(text, option);
  for (const LayerRule& r : rules.rules()) {
    if (r.value != std::floor(r.value) || r.value < 1 || r.value > 8) {
      throw Error(std::string(option) + ": bits for '" + r.pattern + "' must be an integer in 1..8, got " +
                  format_value(r.value));
    }
  }
  return rules;
}

LayerRules LayerRules::parse_quality(std::string_view text, std::string_view option) {
  LayerRules rules = parse(text, option);
  for (const LayerRule& r : rules.rules()) {
    if (r.value < 0) {
      throw Error(std::string(option) + ": quality for '" + r.pattern + "' must be >= 0, got " +
                  format_value(r.value));
    }
  }
  return rules;
}

std::optional<double> LayerRules::lookup(std::string_view layer) const {
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (glob_match(it->pattern, layer)) return it->value;
  }
  return std::nullopt;
}

void LayerRules::check_all_match(std::span<const std::string> layers, std::string_view option) const {
  for (const LayerRule& rule : rules_) {
    const bool any = std::any_of(layers.begin(), layers.end(),
                                 [&](const std::string& name) { return glob_match(rule.pattern, name); });
    if (any) continue;
    std::string names;
    for (std::size_t i = 0; i < layers.size() && i < 8; ++i) names += (i ? ", " : "") + layers[i];
    if (layers.size() > 8) names += ", ...";
    throw Error(std::string(option) + ": pattern '" + rule.pattern + "' matches no layer (layers: " +
                (names.empty() ? std::string("none") : names) + ")");
  }
}

}  // namespace eie
