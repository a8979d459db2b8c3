#include "eie/onednn_baseline.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "baseline/check_sizes.h"

namespace eie {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// The range of the inputs: the largest magnitude and whether any sign bit is set (-0 counts as negative: it
// only picks the s8 path), from the floats' bits, an integer pass that the compiler vectorises; NaN and Inf have
// the largest exponent.
struct Range {
  float largest = 0.0f;
  bool negative = false;
  bool finite = true;
};

Range range_of(const float* x, std::size_t n) {
  std::uint32_t top = 0, signs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, x + i, sizeof bits);
    signs |= bits;
    top = std::max(top, bits & 0x7fffffffu);
  }
  Range r;
  r.finite = top < 0x7f800000u;
  r.negative = (signs >> 31) != 0;
  r.largest = std::bit_cast<float>(top);
  return r;
}

}  // namespace

int onednn_int8_weight_levels() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx2_vnni:
    case dnnl::cpu_isa::avx512_core_vnni:
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx:
      return 127;
    default:
      return 63;
  }
}

// One quantization of the inputs and one matmul that takes its bytes (int8), or the matmul alone (fp32).
struct QuantizedPath {
  dnnl::reorder quantize;
  memory bytes;  // the quantized inputs, batch x cols
  dnnl::matmul matmul;
};

struct OnednnBaseline::Primitives {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  OnednnPrecision precision = OnednnPrecision::fp32;
  memory weights;  // reordered once into the primitive's layout
  memory input, output;  // fp32, batch x cols and batch x rows; their handles point at each run's spans
  dnnl::matmul fp32;
  QuantizedPath unsigned_inputs, signed_inputs;  // int8: inputs without negative values, and with them
  float weight_step = 1.0f;
  float input_step = 1.0f, input_inverse = 1.0f, output_scale = 1.0f;  // this run's, read by the primitives
  memory input_scale_memory, output_scale_memory;
  std::vector<float> bias;
};

const char* onednn_impl_name(OnednnPrecision precision) {
  return precision == OnednnPrecision::fp32 ? "onednn-fp32" : "onednn-int8";
}

void set_onednn_threads(int threads) {
  if (threads < 1) throw Error("oneDNN baseline: threads = " + std::to_string(threads) + " must be at least 1");
  omp_set_num_threads(threads);
}

OnednnBaseline::OnednnBaseline(const CompressedLayer& layer, OnednnPrecision precision, std::int64_t batch,
                               int threads)
    : OnednnBaseline(layer.to_dense(), layer.rows, layer.cols, layer.bias, precision, batch, threads) {}

OnednnBaseline::OnednnBaseline(std::span<const float> dense, std::int64_t rows, std::int64_t cols,
                               std::vector<float> bias, OnednnPrecision precision, std::int64_t batch, int threads)
    : rows_(rows), cols_(cols), batch_(batch), threads_(threads), p_(std::make_unique<Primitives>()) {
  if (static_cast<std::int64_t>(dense.size()) != rows * cols) {
    throw Error("oneDNN baseline: weights have " + std::to_string(dense.size()) + " floats, expected " +
                std::to_string(rows * cols));
  }
  if (!bias.empty() && static_cast<std::int64_t>(bias.size()) != rows) {
    throw Error("oneDNN baseline: bias has " + std::to_string(bias.size()) + " floats, expected " +
                std::to_string(rows));
  }
  if (batch < 1) throw Error("oneDNN baseline: batch = " + std::to_string(batch) + " must be at least 1");
  set_onednn_threads(threads);  // oneDNN sizes its work split for the threads it sees at creation
  Primitives& p = *p_;
  p.precision = precision;
  p.bias = std::move(bias);
  const memory::dims src_dims{batch, cols_}, weight_dims{cols_, rows_}, dst_dims{batch, rows_};
  // The decompressed layer is row-major rows x cols, W; the matmul's weights are K x N = W^T, that is W read
  // with format_tag::ba.
  p.input = memory({src_dims, dt::f32, tag::ab}, p.engine, DNNL_MEMORY_NONE);
  p.output = memory({dst_dims, dt::f32, tag::ab}, p.engine, DNNL_MEMORY_NONE);
  if (precision == OnednnPrecision::fp32) {
    const dnnl::matmul::primitive_desc pd(
        dnnl::matmul::desc({src_dims, dt::f32, tag::ab}, {weight_dims, dt::f32, tag::any}, {dst_dims, dt::f32, tag::ab}),
        p.engine);
    memory user_weights({weight_dims, dt::f32, tag::ba}, p.engine, const_cast<float*>(dense.data()));  // read only
    p.weights = memory(pd.weights_desc(), p.engine);
    dnnl::reorder(user_weights, p.weights).execute(p.stream, user_weights, p.weights);
    p.fp32 = dnnl::matmul(pd);
    p.stream.wait();
    return;
  }

  // int8: the weights to -L..L with step max |w| / L (onednn_int8_weight_levels).
  float largest = 0.0f;
  for (float w : dense) largest = std::max(largest, std::fabs(w));
  p.weight_step = largest > 0.0f ? largest / static_cast<float>(onednn_int8_weight_levels()) : 1.0f;
  std::vector<std::int8_t> quantized(dense.size());
  for (std::size_t i = 0; i < dense.size(); ++i) {
    quantized[i] = static_cast<std::int8_t>(std::nearbyint(dense[i] / p.weight_step));
  }
  p.input_scale_memory = memory({{1}, dt::f32, tag::a}, p.engine, &p.input_inverse);
  p.output_scale_memory = memory({{1}, dt::f32, tag::a}, p.engine, &p.output_scale);
  dnnl::primitive_attr scaled;  // both primitives take their scale at run time, one per call
  scaled.set_output_scales(0, {DNNL_RUNTIME_F32_VAL});
  const auto make_path = [&](dt input_type) {
    QuantizedPath path;
    const memory::desc bytes_desc(src_dims, input_type, tag::ab);
    path.bytes = memory(bytes_desc, p.engine);
    path.quantize = dnnl::reorder(dnnl::reorder::primitive_desc(p.engine, p.input.get_desc(), p.engine, bytes_desc,
                                                                scaled));
    const dnnl::matmul::primitive_desc pd(
        dnnl::matmul::desc(bytes_desc, {weight_dims, dt::s8, tag::any}, {dst_dims, dt::f32, tag::ab}), scaled,
        p.engine);
    if (!p.weights) {
      memory user_weights({weight_dims, dt::s8, tag::ba}, p.engine, quantized.data());
      p.weights = memory(pd.weights_desc(), p.engine);
      dnnl::reorder(user_weights, p.weights).execute(p.stream, user_weights, p.weights);
      p.stream.wait();
    } else if (pd.weights_desc() != p.weights.get_desc()) {
      throw Error("oneDNN baseline: the u8 and s8 matmuls chose different weight layouts");
    }
    path.matmul = dnnl::matmul(pd);
    return path;
  };
  p.unsigned_inputs = make_path(dt::u8);
  p.signed_inputs = make_path(dt::s8);
}

OnednnBaseline::~OnednnBaseline() = default;
OnednnBaseline::OnednnBaseline(OnednnBaseline&&) noexcept = default;

std::int64_t OnednnBaseline::bytes() const { return static_cast<std::int64_t>(p_->weights.get_desc().get_size()); }

void OnednnBaseline::run_batch(std::span<const float> x, std::span<float> y) const {
  baseline::check_sizes(onednn_impl_name(p_->precision), x, y, rows_, cols_, batch_);
  set_onednn_threads(threads_);
  Primitives& p = *p_;
  p.input.set_data_handle(const_cast<float*>(x.data()));  // read only: the primitives take it as a source
  p.output.set_data_handle(y.data());
  if (p.precision == OnednnPrecision::fp32) {
    p.fp32.execute(p.stream, {{DNNL_ARG_SRC, p.input}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, p.output}});
  } else {
    const Range r = range_of(x.data(), x.size());
    if (!r.finite) throw Error(std::string(onednn_impl_name(p.precision)) + ": input x holds NaN or Inf");
    p.input_step = r.largest > 0.0f ? r.largest / (r.negative ? 127.0f : 255.0f) : 1.0f;
    p.input_inverse = 1.0f / p.input_step;
    p.output_scale = p.input_step * p.weight_step;
    QuantizedPath& path = r.negative ? p.signed_inputs : p.unsigned_inputs;
    path.quantize.execute(p.stream, {{DNNL_ARG_FROM, p.input}, {DNNL_ARG_TO, path.bytes},
                                     {DNNL_ARG_ATTR_OUTPUT_SCALES, p.input_scale_memory}});
    path.matmul.execute(p.stream, {{DNNL_ARG_SRC, path.bytes}, {DNNL_ARG_WEIGHTS, p.weights},
                                   {DNNL_ARG_DST, p.output}, {DNNL_ARG_ATTR_OUTPUT_SCALES, p.output_scale_memory}});
  }
  p.stream.wait();
  if (!p.bias.empty()) {
    for (std::int64_t b = 0; b < batch_; ++b) {
      float* out = y.data() + b * rows_;
      for (std::int64_t r = 0; r < rows_; ++r) out[r] += p.bias[static_cast<std::size_t>(r)];
    }
  }
}

}  // namespace eie
