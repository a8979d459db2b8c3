// What the graph rewrites that fuse a pattern of nodes into one share (fuse_layer_norms, fuse_gelus): who reads
// each tensor, and the graph with each matched pattern replaced by its fused node.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eie/model.h"

namespace eie::fusion {

// Where each tensor is read: node indices, and whether a graph output is one of the readers.
struct Readers {
  std::map<std::string, std::vector<std::size_t>> nodes;
  std::set<std::string> graph_outputs;

  explicit Readers(const Model& model);
  // The one node reading `name` (which no graph output is), or none.
  std::optional<std::size_t> only(const std::string& name) const;
};

// A pattern found: its nodes' indices (sorted), and the node that replaces them.
using Match = std::pair<std::vector<std::size_t>, Node>;

// Tries `match` at every node not yet part of a pattern, in graph order; the graph with each pattern replaced by
// its node, or nullopt when none was found. Every input of a fused node exists before the pattern's first node
// and its output is read only after the last, so the fused node takes the last node's place.
template <class MatchAt>
std::optional<Model> replace_patterns(const Model& model, MatchAt&& match) {
  std::vector<Match> found;
  std::set<std::size_t> taken;
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    if (taken.count(i)) continue;
    if (std::optional<Match> m = match(i)) {
      taken.insert(m->first.begin(), m->first.end());
      found.push_back(std::move(*m));
    }
  }
  if (found.empty()) return std::nullopt;
  std::map<std::size_t, const Node*> replacement;
  for (const auto& [nodes, node] : found) replacement[nodes.back()] = &node;
  Model fused = model;
  fused.nodes.clear();
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    if (const auto it = replacement.find(i); it != replacement.end()) fused.nodes.push_back(*it->second);
    else if (!taken.count(i)) fused.nodes.push_back(model.nodes[i]);
  }
  return fused;
}

// The one node reading `name` (which no graph output is) when it is an `op` with one output, or none.
std::optional<std::size_t> only_reader(const Model& model, const Readers& readers, const std::string& name,
                                       const std::string& op);
// The other input of a two-input node that reads `input`.
std::optional<std::string> other_input(const Node& n, const std::string& input);
// The value of a one-element constant, or none.
std::optional<float> scalar_constant(const Model& model, const std::string& name);
// The one-element constant beside `input` in a two-input node, or none.
std::optional<float> other_scalar(const Model& model, const Node& n, const std::string& input);

}  // namespace eie::fusion
