// Fixed point and the golden fixed-point M x V. One word format (Config::arith_bits, frac_bits) for
// activations, codebook weights and accumulators, as the paper's 16-bit datapath: a 2-word product is shifted
// back by frac_bits rounding half up, and every add saturates. Saturation makes the order of the adds matter,
// so the reference adds each row's terms in increasing column order, which is the order in which the PEs see
// them (the CCU broadcasts in increasing j and each PE keeps it).
#include <cmath>
#include <string>

#include "eie/sim.h"

namespace eie::sim {

std::int32_t FixedFormat::saturate(std::int64_t v) const {
  if (v > max()) return static_cast<std::int32_t>(max());
  if (v < min()) return static_cast<std::int32_t>(min());
  return static_cast<std::int32_t>(v);
}

std::int32_t FixedFormat::quantize(double v) const {
  const double scaled = std::ldexp(v, frac);
  if (scaled >= static_cast<double>(max())) return static_cast<std::int32_t>(max());
  if (scaled <= static_cast<double>(min())) return static_cast<std::int32_t>(min());
  return saturate(std::llround(scaled));
}

double FixedFormat::to_double(std::int32_t v) const { return std::ldexp(static_cast<double>(v), -frac); }

std::int64_t FixedFormat::rescale(std::int64_t product) const {
  if (frac == 0) return product;
  return (product + (std::int64_t{1} << (frac - 1))) >> frac;
}

FixedFormat fixed_format(const Config& config) { return FixedFormat{config.arith_bits, config.frac_bits}; }

std::vector<std::int32_t> quantize(std::span<const float> x, const FixedFormat& format) {
  std::vector<std::int32_t> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) throw Error("input activation " + std::to_string(i) + " is not finite");
    out[i] = format.quantize(x[i]);
  }
  return out;
}

std::vector<std::int32_t> fixed_reference(const CompressedLayer& layer, std::span<const std::int32_t> x,
                                          const FixedFormat& format) {
  if (x.size() != static_cast<std::size_t>(layer.cols)) {
    throw Error("fixed_reference: layer '" + layer.name + "' takes " + std::to_string(layer.cols) + " inputs, got " +
                std::to_string(x.size()));
  }
  std::vector<std::int32_t> codebook(layer.codebook.size());
  for (std::size_t c = 0; c < codebook.size(); ++c) codebook[c] = format.quantize(layer.codebook[c]);
  std::vector<std::int32_t> y(static_cast<std::size_t>(layer.rows), 0);
  for (std::size_t i = 0; i < layer.bias.size(); ++i) y[i] = format.quantize(layer.bias[i]);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    const std::int32_t a = x[static_cast<std::size_t>(j)];
    if (a == 0) continue;
    for (std::uint32_t e = layer.col_ptr[static_cast<std::size_t>(j)]; e < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++e) {
      std::int32_t& acc = y[layer.row_idx[e]];
      acc = format.mac(acc, codebook[layer.codes[e]], a);
    }
  }
  return y;
}

}  // namespace eie::sim
