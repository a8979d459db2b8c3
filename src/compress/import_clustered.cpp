// Exact import of a weight pruned and clustered elsewhere: its distinct non-zero values become the codebook and
// its zeros the mask, so nothing is re-pruned or re-clustered and the decompressed weights are the input's.
#include <algorithm>
#include <bit>

#include "compress/checks.h"
#include "eie/compress.h"

namespace eie {

std::optional<CompressedLayer> import_clustered(std::string name, std::int64_t rows, std::int64_t cols,
                                                std::span<const float> weights, int bits, bool smallest_bits,
                                                bool distinct_too) {
  if (rows < 1 || cols < 1 || static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) != weights.size()) {
    throw Error("layer '" + name + "': shape " + std::to_string(rows) + " x " + std::to_string(cols) +
                " does not match " + std::to_string(weights.size()) + " weights");
  }
  if (bits < 1 || bits > 8) throw Error("layer '" + name + "': bits must be in 1..8, got " + std::to_string(bits));
  check_finite(weights, name);
  const std::size_t capacity = std::size_t{1} << bits;
  std::vector<float> values;
  std::size_t nonzeros = 0;
  for (const float w : weights) {
    if (w == 0.0f) continue;  // +0 and -0 alike: both decompress to the reserved zero
    ++nonzeros;
    // Few distinct values by assumption; stop scanning as soon as there are too many.
    if (std::find(values.begin(), values.end(), w) == values.end()) {
      values.push_back(w);
      if (values.size() > capacity) return std::nullopt;
    }
  }
  const bool has_zero = nonzeros < weights.size();
  if (values.size() + (has_zero ? 1 : 0) > capacity || (values.size() == nonzeros && !distinct_too)) {
    return std::nullopt;
  }
  std::sort(values.begin(), values.end());
  std::vector<std::uint8_t> codes(weights.size(), 0);
  const int first = has_zero ? 1 : 0;  // the reserved zero is code 0
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0.0f) continue;
    const auto at = std::lower_bound(values.begin(), values.end(), weights[i]) - values.begin();
    codes[i] = static_cast<std::uint8_t>(at + first);
  }
  if (has_zero) values.insert(values.begin(), 0.0f);
  const int codebook_bits =
      smallest_bits ? std::max(1, static_cast<int>(std::bit_width(values.size() - 1))) : bits;
  const bool reserved = has_zero;
  CompressedLayer layer = CompressedLayer::from_codes(rows, cols, codes, Codebook(std::move(values), codebook_bits,
                                                                                  reserved));
  layer.name = std::move(name);
  layer.provenance.method = "imported";
  layer.provenance.density = layer.density();
  layer.provenance.bits = codebook_bits;
  layer.validate();
  return layer;
}

}  // namespace eie
