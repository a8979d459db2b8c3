// Huffman encoding and table-driven decoding. The decoder loads 64 bits at the current bit position (one
// unaligned load; the last bytes come from a zero-padded copy so it never reads past the input), looks the low
// bits up in a table of (coded symbol, length), falls back to walking the canonical code for the rare longer
// codes, and expands a coded symbol to its group of source symbols from a second table. Input that runs out
// or holds no code is an Error, checked on every symbol.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "eie/compress.h"

namespace eie {
namespace {

constexpr int kLookupBits = 12;

std::uint32_t reverse_bits(std::uint32_t code, int length) {
  std::uint32_t r = 0;
  for (int i = 0; i < length; ++i) r |= ((code >> i) & 1u) << (length - 1 - i);
  return r;
}

struct Decoder {
  int lookup_bits = 0;
  std::vector<std::uint32_t> lookup;  // coded symbol | length << 16; length 0 = a longer code or no code
  // Canonical walk for codes longer than lookup_bits.
  std::array<std::int64_t, kHuffmanMaxLength + 1> first_code{};
  std::array<std::int64_t, kHuffmanMaxLength + 1> first_index{};
  std::array<std::int64_t, kHuffmanMaxLength + 1> count{};
  std::vector<std::uint16_t> by_code;  // coded symbols in canonical order
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
        lookup[fill] = static_cast<std::uint32_t>(s) | static_cast<std::uint32_t>(len) << 16;
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
    for (std::size_t s = 0; s < table.symbols(); ++s) {  // canonical order: by length, then by symbol
      const int len = table.length(s);
      if (len == 0) continue;
      const auto l = static_cast<std::size_t>(len);
      by_code[static_cast<std::size_t>(first_index[l] + placed[l]++)] = static_cast<std::uint16_t>(s);
    }
  }

  // Decodes one coded symbol from `bits` (LSB = next bit); returns its length, or 0 for no code.
  int slow(std::uint64_t bits, std::uint32_t& symbol) const {
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

std::int64_t power(std::int64_t base, int exponent) {
  std::int64_t r = 1;
  for (int i = 0; i < exponent; ++i) r *= base;
  return r;
}

// Groups of `group` symbols as one coded symbol: s_0 + s_1 * alphabet + ...
std::vector<std::uint16_t> pack(std::span<const std::uint8_t> symbols, int alphabet, int group) {
  const auto g = static_cast<std::size_t>(group);
  std::vector<std::uint16_t> packed((symbols.size() + g - 1) / g, 0);
  for (std::size_t k = 0; k < packed.size(); ++k) {
    std::uint32_t v = 0;
    for (std::size_t j = std::min(g, symbols.size() - k * g); j-- > 0;) {
      v = v * static_cast<std::uint32_t>(alphabet) + symbols[k * g + j];
    }
    packed[k] = static_cast<std::uint16_t>(v);
  }
  return packed;
}

// The decoding loop. A 64-bit buffer holds the next bits (LSB first) and is refilled to >= 56 bits with one
// unaligned load whenever fewer than 24 (the longest code) remain, so the critical path per symbol is one
// table lookup and one shift. The last 8 bytes are fed one at a time, then zeros.
template <bool kGrouped>
void decode_symbols(const Decoder& decoder, std::span<const std::uint8_t> bytes, std::int64_t bit_count,
                    std::int64_t count, std::size_t group, std::span<const std::uint8_t> expand,
                    std::span<std::uint8_t> out, const std::string& name) {
  const std::uint64_t mask = (std::uint64_t{1} << decoder.lookup_bits) - 1;
  const std::uint8_t* data = bytes.data();
  const std::size_t size = bytes.size();
  const std::size_t n_out = out.size();
  std::uint64_t buffer = 0;
  int available = 0;
  std::size_t next = 0;       // the next byte to load
  std::int64_t position = 0;  // bits consumed
  for (std::int64_t i = 0; i < count; ++i) {
    if (available < kHuffmanMaxLength) {
      if (next + 8 <= size) {
        std::uint64_t word;
        std::memcpy(&word, data + next, 8);
        buffer |= word << available;
        next += static_cast<std::size_t>((63 - available) >> 3);
        available |= 56;
      } else {
        while (available <= 56) {
          const std::uint64_t byte = next < size ? data[next] : 0;
          ++next;
          buffer |= byte << available;
          available += 8;
        }
      }
    }
    const std::uint32_t entry = decoder.lookup[buffer & mask];
    int length = static_cast<int>(entry >> 16);
    std::uint32_t symbol = entry & 0xFFFFu;
    if (length == 0) {
      length = decoder.slow(buffer, symbol);
      if (length == 0) throw Error(name + ": no code at bit " + std::to_string(position));
    }
    buffer >>= length;
    available -= length;
    position += length;
    if (position > bit_count) {
      throw Error(name + ": ends after " + std::to_string(i) + " of " + std::to_string(count) + " coded symbols");
    }
    if constexpr (kGrouped) {
      const std::size_t at = static_cast<std::size_t>(i) * group;
      if (at + 8 <= n_out) {
        std::memcpy(out.data() + at, expand.data() + symbol * 8, 8);  // the extra bytes are overwritten next
      } else {
        std::memcpy(out.data() + at, expand.data() + symbol * 8, std::min(group, n_out - at));
      }
    } else {
      out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(symbol);
    }
  }
}

}  // namespace

HuffmanStream huffman_compress(std::span<const std::uint8_t> symbols, int max_length) {
  int alphabet = 1;
  for (std::uint8_t s : symbols) alphabet = std::max(alphabet, s + 1);
  HuffmanStream best;
  std::int64_t best_bits = -1;
  std::vector<std::uint64_t> frequencies;
  for (int group = 1; group <= 8 && power(alphabet, group) <= static_cast<std::int64_t>(kHuffmanMaxSymbols);
       ++group) {
    if (group > 1 && symbols.size() < 2) break;
    const std::vector<std::uint16_t> packed = pack(symbols, alphabet, group);
    frequencies.assign(static_cast<std::size_t>(power(alphabet, group)), 0);
    for (std::uint16_t s : packed) ++frequencies[s];
    HuffmanTable table;
    try {
      table = HuffmanTable::from_frequencies(frequencies, max_length);
    } catch (const Error&) {
      if (group == 1) throw;
      break;  // more distinct groups than max_length bits can code
    }
    std::int64_t bits = table.serialized_bits();
    for (std::size_t s = 0; s < table.symbols(); ++s) {
      bits += static_cast<std::int64_t>(frequencies[s]) * table.length(s);
    }
    if (best_bits >= 0 && bits >= best_bits) continue;
    best_bits = bits;
    best.table = std::move(table);
    best.group = group;
    std::vector<std::uint32_t> reversed(best.table.symbols());
    for (std::size_t s = 0; s < reversed.size(); ++s) reversed[s] = reverse_bits(best.table.code(s), best.table.length(s));
    BitWriter writer;
    for (std::uint16_t s : packed) writer.put(reversed[s], best.table.length(s));
    best.bit_count = writer.bit_count();
    best.bytes = writer.finish();
  }
  best.alphabet = alphabet;
  best.symbols = static_cast<std::int64_t>(symbols.size());
  return best;
}

void huffman_decode(const HuffmanStream& stream, std::span<std::uint8_t> out, std::string_view what) {
  const std::string name(what);
  if (stream.alphabet < 1 || stream.alphabet > 256) {
    throw Error(name + ": alphabet must be in 1..256, got " + std::to_string(stream.alphabet));
  }
  if (stream.group < 1 || stream.group > 8 ||
      power(stream.alphabet, stream.group) > static_cast<std::int64_t>(kHuffmanMaxSymbols)) {
    throw Error(name + ": group " + std::to_string(stream.group) + " of a " + std::to_string(stream.alphabet) +
                "-symbol alphabet is out of range");
  }
  if (stream.symbols < 0 || static_cast<std::size_t>(stream.symbols) > out.size()) {
    throw Error(name + ": " + std::to_string(stream.symbols) + " symbols do not fit the output of " +
                std::to_string(out.size()));
  }
  const std::span<const std::uint8_t> bytes = stream.bytes;
  const std::int64_t total_bits = static_cast<std::int64_t>(bytes.size()) * 8;
  if (stream.bit_count < 0 || stream.bit_count > total_bits) {
    throw Error(name + ": " + std::to_string(stream.bit_count) + " bits do not fit in " +
                std::to_string(bytes.size()) + " bytes");
  }
  const std::int64_t count = stream.coded_symbols();
  if (count == 0) return;
  if (count > stream.bit_count) {  // every code takes at least one bit
    throw Error(name + ": " + std::to_string(stream.symbols) + " symbols cannot fit in " +
                std::to_string(stream.bit_count) + " bits");
  }
  if (stream.table.symbols() == 0) {
    throw Error(name + ": " + std::to_string(stream.symbols) + " symbols with an empty table");
  }
  if (static_cast<std::int64_t>(stream.table.symbols()) > power(stream.alphabet, stream.group)) {
    throw Error(name + ": table has " + std::to_string(stream.table.symbols()) + " symbols, more than " +
                std::to_string(power(stream.alphabet, stream.group)) + " groups");
  }
  const Decoder decoder(stream.table);
  // Each coded symbol's group of source symbols, `group` bytes apiece (8 with padding, for one 8-byte copy).
  const auto g = static_cast<std::size_t>(stream.group);
  const auto n_out = static_cast<std::size_t>(stream.symbols);
  std::vector<std::uint8_t> expand;
  if (g > 1) {
    expand.assign(stream.table.symbols() * 8, 0);
    for (std::size_t s = 0; s < stream.table.symbols(); ++s) {
      std::size_t v = s;
      for (std::size_t j = 0; j < g; ++j, v /= static_cast<std::size_t>(stream.alphabet)) {
        expand[s * 8 + j] = static_cast<std::uint8_t>(v % static_cast<std::size_t>(stream.alphabet));
      }
    }
  }
  if (g == 1) {
    decode_symbols<false>(decoder, bytes, stream.bit_count, count, 1, {}, out, name);
  } else {
    decode_symbols<true>(decoder, bytes, stream.bit_count, count, g, expand, out.first(n_out), name);
  }
}

std::vector<std::uint8_t> huffman_decompress(const HuffmanStream& stream, std::string_view what) {
  if (stream.symbols < 0 || stream.symbols > stream.bit_count * std::max(1, std::min(8, stream.group))) {
    throw Error(std::string(what) + ": " + std::to_string(stream.symbols) + " symbols cannot fit in " +
                std::to_string(stream.bit_count) + " bits");
  }
  std::vector<std::uint8_t> out(static_cast<std::size_t>(stream.symbols));
  huffman_decode(stream, out, what);
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
