// NEON kernel over the sell16 layout (layer_plan.h), any batch: the AVX-512 kernel's structure (one tier of 16
// slots, one window of 16 activations, no gather) at four lanes per vector. NEON has no 32-bit permute, but its
// byte table lookup tbl picks 16 bytes from a 16-byte register at once, so the 16 floats of a lookup are handled
// as four byte planes (plane j: byte j of each float): the codebook's planes are built once (ld4), the window's
// at each load (ld4 deinterleaves 64 bytes as it loads), and one tbl per plane decodes all 16 lanes, the code
// (low nibble of the slot) indexing the codebook's planes and the column (high nibble) the window's. Two rounds
// of zips turn each set of four planes back into 16 floats, and four FMAs add the tier. 32- and 64-entry
// codebooks look up two or four registers per plane (tbl2, tbl4), the code's bits 4 and 5 taken from the tier's
// bit planes. A lane without an entry gets the column index 0xff, which tbl reads as 0: it adds 0 times its
// weight and never reads an activation, so NaN and Inf propagate exactly as in the reference.
// Instructions per slot (docs/pending/arm64.md counts them in the compiled loop): about 2.2 for a 16-entry
// codebook at batch 1, where the scalar csr16 loop spends about 6 per stored entry.
#include <arm_neon.h>

#include <algorithm>
#include <cstdint>

#include "engine/kernels/kernel.h"

namespace eie::engine {
namespace {

// 16 lanes of fp32, lane 4i + l in v[i][l].
struct Lanes16 {
  float32x4_t v[4];
};

// The 16 floats whose byte j is plane j's byte at each lane.
inline Lanes16 from_planes(uint8x16_t p0, uint8x16_t p1, uint8x16_t p2, uint8x16_t p3) {
  const uint8x16x2_t low = vzipq_u8(p0, p1);   // the low 16-bit halves of lanes 0-7, then of lanes 8-15
  const uint8x16x2_t high = vzipq_u8(p2, p3);  // the high halves
  const uint16x8x2_t a = vzipq_u16(vreinterpretq_u16_u8(low.val[0]), vreinterpretq_u16_u8(high.val[0]));
  const uint16x8x2_t b = vzipq_u16(vreinterpretq_u16_u8(low.val[1]), vreinterpretq_u16_u8(high.val[1]));
  return {{vreinterpretq_f32_u16(a.val[0]), vreinterpretq_f32_u16(a.val[1]), vreinterpretq_f32_u16(b.val[0]),
           vreinterpretq_f32_u16(b.val[1])}};
}

// 0xff in the lanes whose bit is set in `bits` (lane l: bit l).
inline uint8x16_t lanes_of_bits(std::uint16_t bits, uint8x16_t lane_bit) {
  const uint8x16_t both = vcombine_u8(vdup_n_u8(static_cast<std::uint8_t>(bits)),
                                      vdup_n_u8(static_cast<std::uint8_t>(bits >> 8)));
  return vtstq_u8(both, lane_bit);
}

// Decodes a tier's 16 codes into weights through the codebook's byte planes: 16 entries one register per plane,
// 32 two, 64 four.
template <int Planes>
struct Decoder {
  uint8x16_t plane[4][4];  // [byte][register]
  uint8x16_t lane_bit;
  explicit Decoder(const float* table) {
    for (int r = 0; r < (1 << Planes); ++r) {
      const uint8x16x4_t t = vld4q_u8(reinterpret_cast<const std::uint8_t*>(table + 16 * r));
      for (int j = 0; j < 4; ++j) plane[j][r] = t.val[j];
    }
    static constexpr std::uint8_t kLaneBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    lane_bit = vld1q_u8(kLaneBit);
  }
  uint8x16_t lookup(int j, uint8x16_t index) const {
    if constexpr (Planes == 0) {
      return vqtbl1q_u8(plane[j][0], index);
    } else if constexpr (Planes == 1) {
      return vqtbl2q_u8(uint8x16x2_t{{plane[j][0], plane[j][1]}}, index);
    } else {
      return vqtbl4q_u8(uint8x16x4_t{{plane[j][0], plane[j][1], plane[j][2], plane[j][3]}}, index);
    }
  }
  Lanes16 weights(const SellArgs& a, std::uint32_t k, uint8x16_t slots) const {
    uint8x16_t code = vandq_u8(slots, vdupq_n_u8(15));
    if constexpr (Planes >= 1) {
      const std::uint16_t* bits = a.code_planes + Planes * std::size_t{k};
      code = vorrq_u8(code, vandq_u8(lanes_of_bits(bits[0], lane_bit), vdupq_n_u8(16)));
      if constexpr (Planes == 2) code = vorrq_u8(code, vandq_u8(lanes_of_bits(bits[1], lane_bit), vdupq_n_u8(32)));
    }
    return from_planes(lookup(0, code), lookup(1, code), lookup(2, code), lookup(3, code));
  }
};

// Which lanes of a tier hold an entry (as in the AVX-512 kernel). stored: the tier's mask. code: a slot's code is
// 0 exactly where it holds none (a 16-entry table with a reserved zero). all: every lane, padding included; its
// code 0 decodes to 0 and adds 0 * x, exact when every activation is finite.
enum class Lanes { stored, code, all };

// The tier's column indices into the window, 0xff (which tbl reads as 0) in the lanes without an entry.
template <Lanes L, int Planes>
inline uint8x16_t columns(const SellArgs& a, std::uint32_t k, uint8x16_t slots, const Decoder<Planes>& d) {
  const uint8x16_t column = vshrq_n_u8(slots, 4);
  if constexpr (L == Lanes::stored) return vornq_u8(column, lanes_of_bits(a.masks[k], d.lane_bit));
  if constexpr (L == Lanes::code) return vornq_u8(column, vtstq_u8(slots, vdupq_n_u8(15)));
  return column;
}

// The 16 activations lane l picks from a window (its byte planes, as ld4 loads them): x[window + column[l]].
inline Lanes16 pick(const uint8x16x4_t& window, uint8x16_t column) {
  return from_planes(vqtbl1q_u8(window.val[0], column), vqtbl1q_u8(window.val[1], column),
                     vqtbl1q_u8(window.val[2], column), vqtbl1q_u8(window.val[3], column));
}

// y = bias + activation over slice s's 16 accumulators, stored to the slice's rows.
inline void finish_slice(const SellArgs& a, std::int64_t s, const float32x4_t acc[4], float* out) {
  const std::int64_t rows = std::min<std::int64_t>(16, a.rows - 16 * s);
  if (rows == 16) {
    for (int i = 0; i < 4; ++i) {
      float32x4_t y = acc[i];
      if (a.bias != nullptr) y = vaddq_f32(y, vld1q_f32(a.bias + 16 * s + 4 * i));
      if (a.activation == Activation::relu) y = vmaxq_f32(vdupq_n_f32(0.0f), y);  // NaN stays NaN
      vst1q_f32(out + 16 * s + 4 * i, y);
    }
    return;
  }
  float y[16];
  for (int i = 0; i < 4; ++i) vst1q_f32(y + 4 * i, acc[i]);
  for (std::int64_t r = 0; r < rows; ++r) out[16 * s + r] = finish(y[r], a, 16 * s + r);
}

// Batch elements [b0, b0 + N): each tier decoded once, then one window, one pick and four FMAs per element.
template <int N, int Planes, Lanes L>
void spmm_chunk(const SellArgs& a, std::int64_t b0) {
  const Decoder<Planes> decoder(a.table);
  const std::int64_t slices = (a.rows + 15) / 16;
  // Locals, so that the loops keep them in registers (a's fields could otherwise change under the tail's copy).
  const float* x = a.x + b0 * a.x_stride;
  const std::int64_t x_stride = a.x_stride, cols = a.cols;
  const std::uint8_t* slots = a.slots;
  const std::uint16_t* windows = a.windows;
  const int shift = a.window_shift;
  for (std::int64_t s = 0; s < slices; ++s) {
    float32x4_t acc[N][4];
    for (int b = 0; b < N; ++b) {
      for (int i = 0; i < 4; ++i) acc[b][i] = vdupq_n_f32(0.0f);
    }
    // Tier k, its windows' byte planes loaded by window(b, first) for each element b.
    const auto tier = [&](std::uint32_t k, auto window) {
      const uint8x16_t slot = vld1q_u8(slots + 16 * std::size_t{k});
      const Lanes16 w = decoder.weights(a, k, slot);
      const uint8x16_t column = columns<L>(a, k, slot, decoder);
      const std::int64_t first = std::int64_t{windows[k]} << shift;
      for (int b = 0; b < N; ++b) {
        const Lanes16 xv = pick(window(b, first), column);
        for (int i = 0; i < 4; ++i) acc[b][i] = vfmaq_f32(acc[b][i], w.v[i], xv.v[i]);
      }
    };
    std::uint32_t k = a.layer_ptr[2 * s];
    const std::uint32_t full_end = a.layer_ptr[2 * s + 1];
    const std::uint32_t end = a.layer_ptr[2 * s + 2];
    for (; k < full_end; ++k) {
      tier(k, [&](int b, std::int64_t first) {
        return vld4q_u8(reinterpret_cast<const std::uint8_t*>(x + b * x_stride + first));
      });
    }
    for (; k < end; ++k) {  // windows that end past the input: only the activations that exist, the others 0
      tier(k, [&](int b, std::int64_t first) {
        float part[16] = {};
        for (std::int64_t c = first; c < cols && c < first + 16; ++c) part[c - first] = x[b * x_stride + c];
        return vld4q_u8(reinterpret_cast<const std::uint8_t*>(part));
      });
    }
    for (int b = 0; b < N; ++b) finish_slice(a, s, acc[b], a.y + (b0 + b) * a.y_stride);
  }
}

// True when no batch element's input holds a NaN or an Inf.
bool input_is_finite(const SellArgs& a) {
  const float32x4_t infinity = vdupq_n_f32(__builtin_inff());
  uint32x4_t finite = vdupq_n_u32(~0u);
  bool tail_finite = true;
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const float* x = a.x + b * a.x_stride;
    std::int64_t c = 0;
    for (; c + 4 <= a.cols; c += 4) finite = vandq_u32(finite, vcltq_f32(vabsq_f32(vld1q_f32(x + c)), infinity));
    for (; c < a.cols; ++c) tail_finite = tail_finite && __builtin_isfinite(x[c]);
  }
  return tail_finite && vminvq_u32(finite) != 0;
}

template <int Planes, Lanes L>
void spmv_any_batch(const SellArgs& a) {
  // Four batch elements at a time: 16 accumulators and the decoded tier fill 24 of the 32 vector registers.
  std::int64_t b0 = 0;
  for (; b0 + 4 <= a.batch; b0 += 4) spmm_chunk<4, Planes, L>(a, b0);
  switch (a.batch - b0) {
    case 1: return spmm_chunk<1, Planes, L>(a, b0);
    case 2: return spmm_chunk<2, Planes, L>(a, b0);
    case 3: return spmm_chunk<3, Planes, L>(a, b0);
    default: return;
  }
}

}  // namespace

void spmv_sell16__neon(const SellArgs& a) {
  if (a.masks == nullptr) {  // 16-entry table with a reserved zero (layer_plan.cpp)
    return input_is_finite(a) ? spmv_any_batch<0, Lanes::all>(a) : spmv_any_batch<0, Lanes::code>(a);
  }
  switch (a.code_plane_count) {
    case 0: return spmv_any_batch<0, Lanes::stored>(a);
    case 1: return spmv_any_batch<1, Lanes::stored>(a);
    default: return spmv_any_batch<2, Lanes::stored>(a);
  }
}

}  // namespace eie::engine
