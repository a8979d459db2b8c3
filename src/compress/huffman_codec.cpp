// Huffman encoding and table-driven decoding. The decoder loads 64 bits at the current bit position (one
// unaligned load; the last bytes come from a zero-padded copy so it never reads past the input), looks the low
// kLookupBits up in a table of (symbol, length), and falls back to walking the canonical code for the rare
// longer codes. Input that runs out or holds no code is an Error, checked on every symbol.
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "eie/compress.h"

namespace eie {
namespace {

constexpr int kLookupBits = 11;

std::uint32_t reverse_bits(std::uint32_t code, int length) {
  std::uint32_t r = 0;
  for (int i = 0; i < length; ++i) r |= ((code >> i) & 1u) << (length - 1 - i);
  return r;
}

struct Decoder {
  int lookup_bits = 0;
  std::vector<std::uint16_t> lookup;  // symbol | length << 8; length 0 = no code starts here / a longer code
  // Canonical walk for codes longer than lookup_bits.
  std::array<std::int64_t, kHuffmanMaxLength + 1> first_code{};
  std::array<std::int64_t, kHuffmanMaxLength + 1> first_index{};
  std::array<std::int64_t, kHuffmanMaxLength + 1> count{};
  std::vector<std::uint8_t> by_code;  // symbols in canonical order
  int max_length = 0;

  explicit Decoder(const HuffmanTable& table) {
    max_length = table.max_length();
    lookup_bits = std::min(kLookupBits, std::max(1, max_length));
    lookup.assign(std::size_t{1} << lookup_bits, 0);
    for (std::size_t s = 0; s < table.symbols(); ++s) {
      const int len = table.length(s);
      if (len == 0) continue;
      ++count[static_cast<std::size_t>(len)];
      if (len > lookup_bits) continue;
      const std::uint32_t reversed = reverse_bits(table.code(s), len);
      for (std::uint32_t fill = reversed; fill < lookup.size(); fill += 1u << len) {
        lookup[fill] = static_cast<std::uint16_t>(s | static_cast<std::size_t>(len) << 8);
      }
    }
    std::int64_t code = 0, index = 0;
    for (int l = 1; l <= kHuffmanMaxLength; ++l) {
      code = (code + count[static_cast<std::size_t>(l - 1)]) << 1;  // count[0] = 0: the first code is 0
      first_code[static_cast<std::size_t>(l)] = code;
      first_index[static_cast<std::size_t>(l)] = index;
      index += count[static_cast<std::size_t>(l)];
    }
    by_code.resize(static_cast<std::size_t>(index));
    std::array<std::int64_t, kHuffmanMaxLength + 1> placed{};
    // Canonical order: by length, then by symbol; codes of one length are consecutive.
    for (std::size_t s = 0; s < table.symbols(); ++s) {
      const int len = table.length(s);
      if (len == 0) continue;
      const auto l = static_cast<std::size_t>(len);
      by_code[static_cast<std::size_t>(first_index[l] + placed[l]++)] = static_cast<std::uint8_t>(s);
    }
  }

  // Decodes one symbol from `bits` (LSB = next bit); returns its length, or 0 for no code.
  int slow(std::uint64_t bits, std::uint8_t& symbol) const {
    std::int64_t code = 0;
    for (int l = 1; l <= max_length; ++l) {
      code = (code << 1) | static_cast<std::int64_t>((bits >> (l - 1)) & 1u);
      const auto at = static_cast<std::size_t>(l);
      const std::int64_t offset = code - first_code[at];
      if (offset >= 0 && offset < count[at]) {
        symbol = by_code[static_cast<std::size_t>(first_index[at] + offset)];
        return l;
      }
    }
    return 0;
  }
};

}  // namespace

HuffmanStream huffman_compress(std::span<const std::uint8_t> symbols, int max_length) {
  std::array<std::uint64_t, 256> frequencies{};
  for (std::uint8_t s : symbols) ++frequencies[s];
  HuffmanStream stream;
  stream.table = HuffmanTable::from_frequencies(frequencies, max_length);
  stream.symbols = static_cast<std::int64_t>(symbols.size());
  std::array<std::uint32_t, 256> reversed{};
  std::array<int, 256> lengths{};
  for (std::size_t s = 0; s < stream.table.symbols(); ++s) {
    lengths[s] = stream.table.length(s);
    reversed[s] = reverse_bits(stream.table.code(s), lengths[s]);
  }
  BitWriter writer;
  for (std::uint8_t s : symbols) writer.put(reversed[s], lengths[s]);
  stream.bit_count = writer.bit_count();
  stream.bytes = writer.finish();
  return stream;
}

void huffman_decode(const HuffmanTable& table, std::span<const std::uint8_t> bytes, std::int64_t count,
                    std::span<std::uint8_t> out, std::string_view what) {
  const std::string name(what);
  if (count < 0 || static_cast<std::size_t>(count) > out.size()) {
    throw Error(name + ": " + std::to_string(count) + " symbols do not fit the output of " +
                std::to_string(out.size()));
  }
  if (count == 0) return;
  if (count > static_cast<std::int64_t>(bytes.size()) * 8) {  // every code takes at least one bit
    throw Error(name + ": " + std::to_string(count) + " symbols cannot fit in " + std::to_string(bytes.size()) +
                " bytes");
  }
  if (table.symbols() == 0) throw Error(name + ": " + std::to_string(count) + " symbols with an empty table");
  const Decoder decoder(table);
  const std::uint64_t mask = (std::uint64_t{1} << decoder.lookup_bits) - 1;
  const std::int64_t total_bits = static_cast<std::int64_t>(bytes.size()) * 8;
  const std::size_t fast_end = bytes.size() >= 8 ? bytes.size() - 7 : 0;  // byte positions with 8 readable
  std::array<std::uint8_t, 16> tail{};
  std::int64_t position = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto byte = static_cast<std::size_t>(position >> 3);
    std::uint64_t word;
    if (byte < fast_end) {
      std::memcpy(&word, bytes.data() + byte, 8);
    } else {
      tail.fill(0);
      if (byte < bytes.size()) std::memcpy(tail.data(), bytes.data() + byte, bytes.size() - byte);
      std::memcpy(&word, tail.data(), 8);
    }
    const std::uint64_t bits = word >> (position & 7);
    const std::uint16_t entry = decoder.lookup[bits & mask];
    int length = entry >> 8;
    std::uint8_t symbol = static_cast<std::uint8_t>(entry);
    if (length == 0) {
      length = decoder.slow(bits, symbol);
      if (length == 0) throw Error(name + ": no code at bit " + std::to_string(position));
    }
    position += length;
    if (position > total_bits) {
      throw Error(name + ": ends after " + std::to_string(i) + " of " + std::to_string(count) + " symbols");
    }
    out[static_cast<std::size_t>(i)] = symbol;
  }
}

std::vector<std::uint8_t> huffman_decompress(const HuffmanStream& stream, std::string_view what) {
  if (stream.bit_count < 0 || (stream.bit_count + 7) / 8 > static_cast<std::int64_t>(stream.bytes.size())) {
    throw Error(std::string(what) + ": " + std::to_string(stream.bit_count) + " bits do not fit in " +
                std::to_string(stream.bytes.size()) + " bytes");
  }
  if (stream.symbols < 0 || (stream.symbols > 0 && stream.symbols > stream.bit_count)) {
    throw Error(std::string(what) + ": " + std::to_string(stream.symbols) + " symbols cannot fit in " +
                std::to_string(stream.bit_count) + " bits");
  }
  std::vector<std::uint8_t> out(static_cast<std::size_t>(stream.symbols));
  huffman_decode(stream.table, stream.bytes, stream.symbols, out, what);
  return out;
}

double entropy_bits(std::span<const std::uint8_t> symbols) {
  std::array<std::uint64_t, 256> frequencies{};
  for (std::uint8_t s : symbols) ++frequencies[s];
  const auto n = static_cast<double>(symbols.size());
  double bits = 0.0;
  for (std::uint64_t f : frequencies) {
    if (f > 0) bits -= static_cast<double>(f) * std::log2(static_cast<double>(f) / n);
  }
  return bits;
}

}  // namespace eie
