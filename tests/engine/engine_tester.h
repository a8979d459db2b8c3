// A fluent tester for the engine (XNNPACK style): EngineTester().rows(100).cols(30).batch(7).threads(3)
// .kernel(KernelIsa::avx2).test() builds a random layer and input, runs the engine and checks every output
// against core's reference within the kernels' documented error bound (common/reference_check.h).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/reference_check.h"
#include "common/test_util.h"
#include "eie/engine.h"

namespace eie::test {

class EngineTester {
 public:
  EngineTester& rows(std::int64_t v) { layer_.rows(v); return *this; }
  EngineTester& cols(std::int64_t v) { layer_.cols(v); cols_ = v; return *this; }
  EngineTester& density(double v) { layer_.density(v); return *this; }
  EngineTester& bits(int v) { layer_.bits(v); return *this; }
  EngineTester& bias(bool v) { layer_.bias(v); return *this; }
  EngineTester& activation_density(double v) { activation_density_ = v; return *this; }
  EngineTester& batch(std::int64_t v) { batch_ = v; return *this; }
  EngineTester& threads(int v) { threads_ = v; return *this; }
  EngineTester& kernel(KernelIsa v) { kernel_ = v; return *this; }
  EngineTester& relu(bool v) { relu_ = v; return *this; }
  EngineTester& skip_zero_activations(bool v) { skip_zero_activations_ = v; return *this; }
  EngineTester& precision(Precision v) { precision_ = v; return *this; }
  // EngineOptions::tcsr_min_batch (0: the planner's choice): past the batch, keeps the batch on the batch-1 layout.
  EngineTester& tcsr_min_batch(std::int64_t v) { tcsr_min_batch_ = v; return *this; }
  EngineTester& compact_codes(bool v) { compact_codes_ = v; return *this; }
  EngineTester& layout(Layout v) { layout_ = v; return *this; }
  // Negates about half of the non-zero inputs (synthetic activations are all positive, as after a ReLU).
  EngineTester& signed_inputs(bool v) { signed_inputs_ = v; return *this; }

  std::string describe() const {
    return layer_.describe() + " batch " + std::to_string(batch_) + " threads " + std::to_string(threads_) +
           " kernel " + kernel_isa_name(kernel_) + " act density " + std::to_string(activation_density_) +
           (skip_zero_activations_ ? " skip zero activations" : "") + (signed_inputs_ ? " signed inputs" : "") +
           " precision " + precision_name(precision_) + (compact_codes_ ? " compact codes" : "") +
           (tcsr_min_batch_ > 0 ? " tcsr from " + std::to_string(tcsr_min_batch_) : "") + " layout " +
           layout_name(layout_);
  }

  void test(std::uint64_t seed) const { test(layer_.build(seed), seed); }

  // Runs an already built layer (custom codebooks, hand-made edge cases).
  void test(const CompressedLayer& layer, std::uint64_t seed) const {
    SCOPED_TRACE(describe());
    EngineOptions options;
    options.threads = threads_;
    options.kernel = kernel_;
    options.output_activation = relu_ ? Activation::relu : Activation::none;
    options.max_batch = batch_;
    options.skip_zero_activations = skip_zero_activations_;
    options.precision = precision_;
    options.tcsr_min_batch = tcsr_min_batch_;
    options.compact_codes = compact_codes_;
    options.layout = layout_;
    Engine engine({layer}, options);
    if (layout_ != Layout::automatic) expect_forced_layout_runs(engine.plan_info().front());
    std::vector<float> x;
    for (std::int64_t b = 0; b < batch_; ++b) {
      const std::vector<float> xb = synthetic_activations(layer.cols, activation_density_, seed * 7919 + static_cast<std::uint64_t>(b));
      x.insert(x.end(), xb.begin(), xb.end());
    }
    if (signed_inputs_) {
      Rng rng(seed ^ 0x9E3779B97F4A7C15ull);
      for (float& v : x) v = rng.below(2) == 1 ? -v : v;
    }
    std::vector<float> y(static_cast<std::size_t>(layer.rows * batch_), std::numeric_limits<float>::quiet_NaN());
    if (batch_ == 1) {
      engine.run(x, y);
    } else {
      engine.run_batch(x, y, batch_);
    }
    // bf16 rounds both operands to 8 significant bits (unit roundoff 2^-8).
    expect_matches_reference(layer, x, y, batch_, relu_, precision_ == Precision::bf16 ? std::ldexp(1.0, -8) : 0.0,
                             precision_ == Precision::int8);
  }

 private:
  // The kernel that runs this batch reads the forced layout (csr16 and csc run batch 1 only: tcsr the others).
  void expect_forced_layout_runs(const LayerPlanInfo& plan) const {
    const std::string kernel = plan.kernel_for(batch_);
    const std::string layout = layout_name(layout_);
    // Precision int8 on AVX2 reads sell16 in 8-bit arithmetic (codebooks of at most 16 entries).
    if (layout_ == Layout::sell16 && precision_ == Precision::int8 && kernel.rfind("spmv_sell16i8_", 0) == 0) return;
    const std::string expected = batch_ > 1 && (layout_ == Layout::csr16 || layout_ == Layout::csc) ? "spmm_tcsr_cb"
                                 : layout_ == Layout::tcsr                                         ? "spmm_tcsr_cb"
                                 : layout_ == Layout::csc ? "spmv_csc__"
                                                          : "spmv_" + layout + (layout_ == Layout::sell16x4 ? "" : "_");
    EXPECT_EQ(kernel.rfind(expected, 0), 0u) << "layout " << layout << " batch " << batch_ << " ran " << kernel;
  }

  LayerTester layer_;
  std::int64_t cols_ = 16;
  double activation_density_ = 0.5;
  std::int64_t batch_ = 1;
  int threads_ = 1;
  KernelIsa kernel_ = KernelIsa::automatic;
  bool relu_ = false;
  bool skip_zero_activations_ = false;
  Precision precision_ = Precision::fp32;
  bool compact_codes_ = false;
  Layout layout_ = Layout::automatic;
  bool signed_inputs_ = false;
  std::int64_t tcsr_min_batch_ = 0;
};

// The kernels compiled into this binary that this CPU can run (scalar always).
inline std::vector<KernelIsa> available_kernels() {
  std::vector<KernelIsa> kernels;
  for (KernelIsa isa : {KernelIsa::scalar, KernelIsa::avx2, KernelIsa::avx512, KernelIsa::neon}) {
    if (kernel_isa_available(isa)) kernels.push_back(isa);
  }
  return kernels;
}

// The kernels with a sell16 kernel (the others plan csr16 for batch 1).
inline bool has_sell16(KernelIsa isa) {
  return isa == KernelIsa::avx512 || isa == KernelIsa::avx2 || isa == KernelIsa::neon;
}

}  // namespace eie::test
