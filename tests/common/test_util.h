// Shared test helpers: replayable seeds and a fluent tester that builds random layers (XNNPACK style).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "eie/core.h"

namespace eie::test {

// The seed for random tests: gtest's --gtest_random_seed when given, else 1, so every run is replayable.
// Tests print it through SCOPED_TRACE(seed_trace()) so a failure names the seed to rerun with.
std::uint64_t seed();
std::string seed_trace();

// Expects `call` to throw eie::Error whose message contains every one of `fragments`.
void expect_error(const std::function<void()>& call, std::initializer_list<std::string> fragments);

// Builds a random layer: LayerTester().rows(100).cols(30).density(0.1).bits(4).build(seed).
class LayerTester {
 public:
  LayerTester& rows(std::int64_t v) { spec_.rows = v; return *this; }
  LayerTester& cols(std::int64_t v) { spec_.cols = v; return *this; }
  LayerTester& density(double v) { spec_.density = v; return *this; }
  LayerTester& bits(int v) { spec_.bits = v; return *this; }
  LayerTester& bias(bool v) { spec_.bias = v; return *this; }
  CompressedLayer build(std::uint64_t seed) const {
    SyntheticLayerSpec spec = spec_;
    spec.seed = seed;
    return synthetic_layer(spec);
  }
  std::string describe() const;

 private:
  SyntheticLayerSpec spec_{.name = "test", .rows = 16, .cols = 16, .density = 0.1, .bits = 4, .bias = true,
                           .seed = 1};
};

// Maximum of |a - b| / max(1, |b|) over the elements; sizes must match.
double max_relative_error(std::span<const double> a, std::span<const double> b);

}  // namespace eie::test
