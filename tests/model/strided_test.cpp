// The strided walk behind the element-wise and data-movement operators (src/model/ops/strided.h) and the
// operators on it (Add/Sub/Mul/Div/Pow/Equal, Transpose, Expand, Slice, ReduceMean), against loops that compute
// every output element's operand indices from scratch, on random shapes with size-1 and broadcast dimensions.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_util.h"
#include "eie/model.h"
#include "model/one_node_model.h"
#include "model/ops/strided.h"

namespace eie {
namespace {

// The index of flat element i of `shape`, one value per dimension.
std::vector<std::int64_t> unravel(std::int64_t i, const Shape& shape) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = i % shape[d];
    i /= shape[d];
  }
  return index;
}

std::int64_t ravel(const std::vector<std::int64_t>& index, const Shape& shape) {
  std::int64_t at = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) at = at * shape[d] + index[d];
  return at;
}

Tensor random_tensor(Rng& rng, const Shape& shape) {
  Tensor t{shape, {}};
  for (std::int64_t i = 0; i < shape_numel(shape); ++i) {
    // Small integers now and then, so that Equal and Pow's b == 2 see their cases.
    t.data.push_back(rng.below(4) == 0 ? static_cast<float>(rng.below(3)) : static_cast<float>(rng.normal()));
  }
  return t;
}

// A random shape of rank 0..5 with dimensions 1..4 (1 often), and one that broadcasts with it.
std::pair<Shape, Shape> broadcasting_pair(Rng& rng) {
  const std::size_t rank = rng.below(6);
  Shape out(rank);
  for (auto& d : out) d = rng.below(3) == 0 ? 1 : 1 + static_cast<std::int64_t>(rng.below(4));
  Shape a = out, b = out;
  for (std::size_t d = 0; d < rank; ++d) {
    if (rng.below(3) == 0) a[d] = 1;
    else if (rng.below(3) == 0) b[d] = 1;
  }
  a.erase(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(rng.below(a.size() + 1) / 2));  // right-aligned
  b.erase(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(rng.below(b.size() + 1) / 2));
  return {a, b};
}

float apply(const std::string& op, float a, float b) {
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "Div") return a / b;
  if (op == "Pow") return b == 2.0f ? a * a : std::pow(a, b);
  return a == b ? 1.0f : 0.0f;  // Equal
}

void expect_binary_matches_index_loop(const std::string& op, const Tensor& a, const Tensor& b) {
  const Tensor y = reference_run(one_node_model(op, {{"a", a.shape}, {"b", b.shape}}), {a, b})[0];
  ASSERT_EQ(static_cast<std::int64_t>(y.data.size()), shape_numel(y.shape));
  const std::size_t rank = y.shape.size();
  for (std::int64_t i = 0; i < shape_numel(y.shape); ++i) {
    const std::vector<std::int64_t> index = unravel(i, y.shape);
    const auto operand = [&](const Tensor& t) {
      std::vector<std::int64_t> at(t.shape.size());
      for (std::size_t d = 0; d < t.shape.size(); ++d) at[d] = t.shape[d] == 1 ? 0 : index[rank - t.shape.size() + d];
      return t.data[static_cast<std::size_t>(ravel(at, t.shape))];
    };
    const float expected = apply(op, operand(a), operand(b));
    const float got = y.data[static_cast<std::size_t>(i)];
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << op << " element " << i;
    } else {
      EXPECT_EQ(got, expected) << op << " " << shape_string(a.shape) << " " << shape_string(b.shape) << " element "
                               << i;
    }
  }
}

TEST(StridedWalk, a_bias_broadcast_over_size_one_dimensions_is_one_row) {
  const Shape out{1, 1, 256}, bias{256};
  const auto walk = ops::StridedWalk<2>::broadcast(out, {&out, &bias});
  ASSERT_TRUE(walk.ok());
  EXPECT_EQ(walk.row_size(), 256);
  EXPECT_EQ(walk.row_stride(0), 1);
  EXPECT_EQ(walk.row_stride(1), 1);
  const Shape scalar{1, 1, 1};  // LayerNorm's decomposition: x - mean(x)
  const auto by_scalar = ops::StridedWalk<2>::broadcast(out, {&out, &scalar});
  EXPECT_EQ(by_scalar.row_size(), 256);
  EXPECT_EQ(by_scalar.row_stride(1), 0);
}

TEST(StridedWalk, a_transpose_that_moves_only_size_one_dimensions_is_one_contiguous_row) {
  // [1, 1, 4, 64] -> perm (0, 2, 1, 3): the heads of one token, as attention transposes them at sequence 1.
  const std::vector<std::int64_t> strides{256, 64, 256, 1};  // input strides of the output dimensions
  const ops::StridedWalk<1> walk(Shape{1, 4, 1, 64}, {strides.data()});
  ASSERT_TRUE(walk.ok());
  EXPECT_EQ(walk.row_size(), 256);
  EXPECT_EQ(walk.row_stride(0), 1);
}

TEST(StridedWalk, binary_operators_on_random_broadcast_shapes_match_the_index_loop) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int round = 0; round < 200; ++round) {
    const auto [sa, sb] = broadcasting_pair(rng);
    const Tensor a = random_tensor(rng, sa), b = random_tensor(rng, sb);
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Equal"}) expect_binary_matches_index_loop(op, a, b);
  }
}

TEST(StridedWalk, more_dimensions_than_the_walk_holds_take_the_odometer) {
  // Dimensions alternately broadcast in a and in b never merge: 14 of them stay 14 after collapsing.
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  Shape sa, sb;
  for (std::size_t d = 0; d < ops::StridedWalk<2>::kMaxRank + 2; ++d) {
    sa.push_back(d % 2 == 0 ? 2 : 1);
    sb.push_back(d % 2 == 0 ? 1 : 2);
  }
  const Tensor a = random_tensor(rng, sa), b = random_tensor(rng, sb);
  const auto walk = ops::StridedWalk<2>::broadcast(Shape(sa.size(), 2), {&sa, &sb});
  EXPECT_FALSE(walk.ok());
  expect_binary_matches_index_loop("Sub", a, b);
}

TEST(StridedWalk, transpose_and_expand_on_random_shapes_match_the_index_loop) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int round = 0; round < 200; ++round) {
    const std::size_t rank = 1 + rng.below(5);
    Shape shape(rank);
    for (auto& d : shape) d = rng.below(3) == 0 ? 1 : 1 + static_cast<std::int64_t>(rng.below(4));
    std::vector<std::int64_t> perm(rank);
    for (std::size_t i = 0; i < rank; ++i) perm[i] = static_cast<std::int64_t>(i);
    for (std::size_t i = rank; i-- > 1;) std::swap(perm[i], perm[rng.below(i + 1)]);
    const Tensor x = random_tensor(rng, shape);
    const Tensor y = reference_run(one_node_model("Transpose", {{"x", shape}}, {{"perm", perm}}), {x})[0];
    for (std::int64_t i = 0; i < shape_numel(y.shape); ++i) {
      const std::vector<std::int64_t> index = unravel(i, y.shape);
      std::vector<std::int64_t> at(rank);
      for (std::size_t d = 0; d < rank; ++d) at[static_cast<std::size_t>(perm[d])] = index[d];
      ASSERT_EQ(y.data[static_cast<std::size_t>(i)], x.data[static_cast<std::size_t>(ravel(at, shape))])
          << shape_string(shape) << " perm " << shape_string(perm) << " element " << i;
    }

    // Expand to a shape that broadcasts with it.
    Shape target = shape;
    for (std::size_t d = 0; d < rank; ++d) {
      if (shape[d] == 1) target[d] = 1 + static_cast<std::int64_t>(rng.below(3));
    }
    if (rng.below(2) == 0) target.insert(target.begin(), 2);
    Tensor target_tensor{{static_cast<std::int64_t>(target.size())}, {}};
    for (const std::int64_t d : target) target_tensor.data.push_back(static_cast<float>(d));
    const Tensor e = reference_run(one_node_model("Expand", {{"x", shape}}, {}, {{"s", target_tensor}}, {"s"}), {x})[0];
    ASSERT_EQ(e.shape, target);
    for (std::int64_t i = 0; i < shape_numel(target); ++i) {
      const std::vector<std::int64_t> index = unravel(i, target);
      std::vector<std::int64_t> at(rank);
      for (std::size_t d = 0; d < rank; ++d) at[d] = shape[d] == 1 ? 0 : index[target.size() - rank + d];
      ASSERT_EQ(e.data[static_cast<std::size_t>(i)], x.data[static_cast<std::size_t>(ravel(at, shape))]);
    }
  }
}

TEST(StridedWalk, slices_with_negative_and_long_steps_match_the_index_loop) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  const auto ints = [](const std::vector<std::int64_t>& v) {
    Tensor t{{static_cast<std::int64_t>(v.size())}, {}};
    for (const std::int64_t x : v) t.data.push_back(static_cast<float>(x));
    return t;
  };
  for (int round = 0; round < 300; ++round) {
    const std::size_t rank = 1 + rng.below(4);
    Shape shape(rank);
    for (auto& d : shape) d = 1 + static_cast<std::int64_t>(rng.below(5));
    std::vector<std::int64_t> starts, ends, axes, steps;
    for (std::size_t d = 0; d < rank; ++d) {
      if (rng.below(3) == 0) continue;
      const std::int64_t dim = shape[d];
      const std::int64_t step =
          rng.below(8) == 0 ? (std::int64_t{1} << 40) : 1 + static_cast<std::int64_t>(rng.below(2));
      const bool backwards = rng.below(3) == 0;
      starts.push_back(static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * dim + 1))) - dim);
      ends.push_back(static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * dim + 1))) - dim);
      const auto axis = static_cast<std::int64_t>(d);
      axes.push_back(rng.below(2) == 0 ? axis : axis - static_cast<std::int64_t>(rank));
      steps.push_back(backwards ? -step : step);
    }
    if (axes.empty()) continue;
    const Tensor x = random_tensor(rng, shape);
    const Model m = one_node_model(
        "Slice", {{"x", shape}}, {},
        {{"starts", ints(starts)}, {"ends", ints(ends)}, {"axes", ints(axes)}, {"steps", ints(steps)}},
        {"starts", "ends", "axes", "steps"});
    const Tensor y = reference_run(m, {x})[0];
    // Expected: per dimension, the indices start, start + step, ... before end (ONNX's clamping).
    std::vector<std::vector<std::int64_t>> taken(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      for (std::int64_t i = 0; i < shape[d]; ++i) taken[d].push_back(i);
    }
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const auto d = static_cast<std::size_t>(axes[i] < 0 ? axes[i] + static_cast<std::int64_t>(rank) : axes[i]);
      const std::int64_t dim = shape[d], step = steps[i];
      std::int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i], e = ends[i] < 0 ? ends[i] + dim : ends[i];
      b = step > 0 ? std::clamp<std::int64_t>(b, 0, dim) : std::clamp<std::int64_t>(b, -1, dim - 1);
      e = step > 0 ? std::clamp<std::int64_t>(e, 0, dim) : std::clamp<std::int64_t>(e, -1, dim - 1);
      taken[d].clear();
      for (std::int64_t v = b; step > 0 ? v < e : v > e; v += step) taken[d].push_back(v);
    }
    Shape expected_shape;
    for (const auto& t : taken) expected_shape.push_back(static_cast<std::int64_t>(t.size()));
    ASSERT_EQ(y.shape, expected_shape);
    for (std::int64_t i = 0; i < shape_numel(y.shape); ++i) {
      std::vector<std::int64_t> at = unravel(i, y.shape);
      for (std::size_t d = 0; d < rank; ++d) at[d] = taken[d][static_cast<std::size_t>(at[d])];
      ASSERT_EQ(y.data[static_cast<std::size_t>(i)], x.data[static_cast<std::size_t>(ravel(at, shape))]);
    }
  }
}

TEST(StridedWalk, reduce_mean_over_trailing_and_other_axes_matches_the_index_loop) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int round = 0; round < 200; ++round) {
    const std::size_t rank = 1 + rng.below(4);
    Shape shape(rank);
    for (auto& d : shape) d = rng.below(3) == 0 ? 1 : 1 + static_cast<std::int64_t>(rng.below(5));
    std::vector<std::int64_t> axes;
    std::vector<bool> reduced(rank, false);
    for (std::size_t d = 0; d < rank; ++d) {
      if (rng.below(2) == 0) continue;
      reduced[d] = true;
      axes.push_back(static_cast<std::int64_t>(d));
    }
    if (axes.empty()) continue;
    const Tensor x = random_tensor(rng, shape);
    const Tensor y = reference_run(one_node_model("ReduceMean", {{"x", shape}}, {{"axes", axes}}), {x})[0];
    Shape kept = shape;
    for (std::size_t d = 0; d < rank; ++d) kept[d] = reduced[d] ? 1 : shape[d];
    ASSERT_EQ(y.shape, kept);
    std::vector<double> sums(y.data.size(), 0.0);
    for (std::int64_t i = 0; i < shape_numel(shape); ++i) {
      std::vector<std::int64_t> at = unravel(i, shape);
      for (std::size_t d = 0; d < rank; ++d) at[d] = reduced[d] ? 0 : at[d];
      sums[static_cast<std::size_t>(ravel(at, kept))] += x.data[static_cast<std::size_t>(i)];
    }
    const double count = static_cast<double>(x.data.size()) / static_cast<double>(y.data.size());
    for (std::size_t o = 0; o < sums.size(); ++o) {
      ASSERT_EQ(y.data[o], static_cast<float>(sums[o] / count))
          << shape_string(shape) << " axes " << shape_string(axes);
    }
  }
}

}  // namespace
}  // namespace eie
