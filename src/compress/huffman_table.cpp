// Canonical Huffman tables. Code lengths come from package-merge (Larmore and Hirschberg), which is optimal
// under a length limit, so a limit costs nothing on ordinary streams and keeps the decoder's tables small. The
// codes are canonical (shorter codes first, then by symbol), so the lengths alone describe the table.
#include <algorithm>
#include <numeric>
#include <string>

#include "eie/compress.h"

namespace eie {
namespace {

struct PackageNode {
  std::uint64_t weight;
  int symbol;  // >= 0 for a leaf
  int left, right;
};

void count_leaves(const std::vector<PackageNode>& nodes, int at, std::vector<std::uint8_t>& lengths) {
  // Explicit stack: packages nest up to max_length deep.
  std::vector<int> stack{at};
  while (!stack.empty()) {
    const PackageNode& node = nodes[static_cast<std::size_t>(stack.back())];
    stack.pop_back();
    if (node.symbol >= 0) {
      ++lengths[static_cast<std::size_t>(node.symbol)];
    } else {
      stack.push_back(node.left);
      stack.push_back(node.right);
    }
  }
}

}  // namespace

HuffmanTable HuffmanTable::from_frequencies(std::span<const std::uint64_t> frequencies, int max_length) {
  if (max_length < 1 || max_length > kHuffmanMaxLength) {
    throw Error("huffman: max code length must be in 1.." + std::to_string(kHuffmanMaxLength) + ", got " +
                std::to_string(max_length));
  }
  if (frequencies.size() > kHuffmanMaxSymbols) throw Error("huffman: more than 65536 symbols");
  std::vector<int> used;
  for (std::size_t s = 0; s < frequencies.size(); ++s) {
    if (frequencies[s] > 0) used.push_back(static_cast<int>(s));
  }
  std::vector<std::uint8_t> lengths(frequencies.size(), 0);
  if (used.size() == 1) {
    lengths[static_cast<std::size_t>(used[0])] = 1;
  } else if (used.size() > 1) {
    if (used.size() > (std::size_t{1} << max_length)) {
      throw Error("huffman: " + std::to_string(used.size()) + " symbols do not fit in " +
                  std::to_string(max_length) + "-bit codes");
    }
    std::stable_sort(used.begin(), used.end(), [&](int a, int b) {
      return frequencies[static_cast<std::size_t>(a)] < frequencies[static_cast<std::size_t>(b)];
    });
    std::vector<PackageNode> nodes;
    std::vector<int> leaves;
    for (int s : used) {
      leaves.push_back(static_cast<int>(nodes.size()));
      nodes.push_back({frequencies[static_cast<std::size_t>(s)], s, -1, -1});
    }
    std::vector<int> current = leaves;
    for (int level = 1; level < max_length; ++level) {
      std::vector<int> packages;
      for (std::size_t i = 0; i + 1 < current.size(); i += 2) {
        const auto a = current[i], b = current[i + 1];
        packages.push_back(static_cast<int>(nodes.size()));
        nodes.push_back({nodes[static_cast<std::size_t>(a)].weight + nodes[static_cast<std::size_t>(b)].weight,
                         -1, a, b});
      }
      std::vector<int> merged;
      merged.reserve(leaves.size() + packages.size());
      std::merge(leaves.begin(), leaves.end(), packages.begin(), packages.end(), std::back_inserter(merged),
                 [&](int a, int b) {
                   return nodes[static_cast<std::size_t>(a)].weight < nodes[static_cast<std::size_t>(b)].weight;
                 });
      current.swap(merged);
    }
    for (std::size_t i = 0; i < 2 * used.size() - 2; ++i) count_leaves(nodes, current[i], lengths);
  }
  return from_lengths(std::move(lengths));
}

HuffmanTable HuffmanTable::from_lengths(std::vector<std::uint8_t> lengths) {
  if (lengths.size() > kHuffmanMaxSymbols) throw Error("huffman table: more than 65536 symbols");
  while (!lengths.empty() && lengths.back() == 0) lengths.pop_back();
  HuffmanTable table;
  std::vector<std::uint32_t> per_length(kHuffmanMaxLength + 1, 0);
  std::size_t used = 0;
  for (std::size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] > kHuffmanMaxLength) {
      throw Error("huffman table: symbol " + std::to_string(s) + " has code length " + std::to_string(lengths[s]) +
                  ", more than " + std::to_string(kHuffmanMaxLength));
    }
    if (lengths[s] == 0) continue;
    ++per_length[lengths[s]];
    ++used;
    table.max_length_ = std::max<int>(table.max_length_, lengths[s]);
  }
  // Kraft sum in units of 2^-24: exactly 2^24 for a complete code.
  std::uint64_t kraft = 0;
  for (int l = 1; l <= kHuffmanMaxLength; ++l) kraft += std::uint64_t{per_length[l]} << (kHuffmanMaxLength - l);
  const std::uint64_t full = std::uint64_t{1} << kHuffmanMaxLength;
  const bool single = used == 1 && table.max_length_ == 1;
  if (used == 1 && !single) throw Error("huffman table: a single symbol must have code length 1");
  if (used > 1 && kraft != full) {
    throw Error(std::string("huffman table: code lengths are ") +
                (kraft > full ? "over-subscribed" : "incomplete") + " (Kraft sum " +
                std::to_string(static_cast<double>(kraft) / static_cast<double>(full)) + ")");
  }
  std::vector<std::uint32_t> next(kHuffmanMaxLength + 2, 0);
  std::uint32_t code = 0;
  for (int l = 1; l <= kHuffmanMaxLength; ++l) {
    code = (code + per_length[l - 1]) << 1;
    next[l] = code;
  }
  table.codes_.assign(lengths.size(), 0);
  for (std::size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] != 0) table.codes_[s] = next[lengths[s]]++;
  }
  table.lengths_ = std::move(lengths);
  return table;
}

// Lengths in 5 bits each, except that a run of 4 or more absent symbols (common in the tables of grouped
// streams, whose alphabets are products) is the escape 31 followed by the run length - 1 in 12 bits.
constexpr std::uint32_t kZeroRun = 31;
constexpr int kRunBits = 12;
constexpr std::size_t kMinRun = 4;

std::vector<std::uint8_t> HuffmanTable::serialize() const {
  BitWriter writer;
  writer.put(lengths_.size(), 32);
  for (std::size_t s = 0; s < lengths_.size();) {
    std::size_t run = 0;
    while (s + run < lengths_.size() && lengths_[s + run] == 0 && run < (std::size_t{1} << kRunBits)) ++run;
    if (run >= kMinRun) {
      writer.put(kZeroRun, 5);
      writer.put(run - 1, kRunBits);
      s += run;
    } else {
      writer.put(lengths_[s], 5);
      ++s;
    }
  }
  return writer.finish();
}

std::int64_t HuffmanTable::serialized_bits() const { return static_cast<std::int64_t>(serialize().size()) * 8; }

HuffmanTable HuffmanTable::deserialize(std::span<const std::uint8_t> bytes, std::size_t* consumed,
                                       std::string_view what) {
  const std::string name(what);
  try {
    BitReader reader(bytes);
    const std::uint32_t size = reader.get(32);
    if (size > kHuffmanMaxSymbols) {
      throw Error("table has " + std::to_string(size) + " symbols, more than " + std::to_string(kHuffmanMaxSymbols));
    }
    std::vector<std::uint8_t> lengths;
    lengths.reserve(size);
    while (lengths.size() < size) {
      const std::uint32_t field = reader.get(5);
      if (field == kZeroRun) {
        const std::size_t run = reader.get(kRunBits) + std::size_t{1};
        if (lengths.size() + run > size) {
          throw Error("a run of " + std::to_string(run) + " absent symbols passes the alphabet's " +
                      std::to_string(size));
        }
        lengths.resize(lengths.size() + run, 0);
      } else if (field > static_cast<std::uint32_t>(kHuffmanMaxLength)) {
        throw Error("code length " + std::to_string(field) + " for symbol " + std::to_string(lengths.size()));
      } else {
        lengths.push_back(static_cast<std::uint8_t>(field));
      }
    }
    if (consumed) *consumed = static_cast<std::size_t>((reader.position() + 7) / 8);
    return from_lengths(std::move(lengths));
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.rfind("bit reader", 0) == 0) throw Error(name + ": truncated table (" + message + ")");
    throw Error(name + ": " + message);
  }
}

}  // namespace eie
