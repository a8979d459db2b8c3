// The operators' shared plumbing: one factory per operator family (registered in operator.cpp's table) and the
// shape helpers several of them use.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "eie/model.h"

namespace eie::ops {

using Factory = std::unique_ptr<Operator> (*)(const Node& node, const Model& model);

std::unique_ptr<Operator> make_unary(const Node& node, const Model& model);       // Relu, LeakyRelu, ...
std::unique_ptr<Operator> make_binary(const Node& node, const Model& model);      // Add, Mul, Sub, Div, Pow, Equal
std::unique_ptr<Operator> make_softmax(const Node& node, const Model& model);     // Softmax, LogSoftmax
std::unique_ptr<Operator> make_flatten(const Node& node, const Model& model);
std::unique_ptr<Operator> make_reshape(const Node& node, const Model& model);
std::unique_ptr<Operator> make_expand(const Node& node, const Model& model);
std::unique_ptr<Operator> make_gather(const Node& node, const Model& model);
std::unique_ptr<Operator> make_slice(const Node& node, const Model& model);
std::unique_ptr<Operator> make_split(const Node& node, const Model& model);
std::unique_ptr<Operator> make_where(const Node& node, const Model& model);
std::unique_ptr<Operator> make_trilu(const Node& node, const Model& model);
std::unique_ptr<Operator> make_layer_norm(const Node& node, const Model& model);
std::unique_ptr<Operator> make_reduce_mean(const Node& node, const Model& model);
std::unique_ptr<Operator> make_transpose(const Node& node, const Model& model);
std::unique_ptr<Operator> make_squeeze(const Node& node, const Model& model);     // Squeeze, Unsqueeze
std::unique_ptr<Operator> make_concat(const Node& node, const Model& model);
std::unique_ptr<Operator> make_gemm(const Node& node, const Model& model);
std::unique_ptr<Operator> make_matmul(const Node& node, const Model& model);
std::unique_ptr<Operator> make_conv(const Node& node, const Model& model);
std::unique_ptr<Operator> make_pool(const Node& node, const Model& model);        // MaxPool, AveragePool
std::unique_ptr<Operator> make_global_average_pool(const Node& node, const Model& model);
std::unique_ptr<Operator> make_batch_norm(const Node& node, const Model& model);
std::unique_ptr<Operator> make_lstm(const Node& node, const Model& model);

// An integer held in a float (a shape, an axis, a length), saturating: a "to the end" sentinel (INT64_MAX, kept
// as the nearest float) stays the largest int64 instead of overflowing the conversion.
std::int64_t to_int64(float v);
// Error "node 'n' (Op): message".
Error node_error(const Node& node, const std::string& message);
// The axis in 0..rank-1 for an ONNX axis in -rank..rank-1 (rank+1 when `allow_end`, for Flatten).
std::int64_t normalize_axis(const Node& node, std::int64_t axis, std::int64_t rank, bool allow_end = false);
// Multidirectional (numpy) broadcasting of two shapes.
Shape broadcast_shapes(const Node& node, const Shape& a, const Shape& b);
// Row-major strides of `shape` broadcast to `out` (0 along broadcast dimensions; `shape` is right-aligned).
std::vector<std::int64_t> broadcast_strides(const Shape& shape, const Shape& out);
// Slice's parameters resolved against a data shape (ONNX's clamping, negative indices and steps): the output
// shape, and per dimension the first element taken and the step.
struct SliceGeometry {
  Shape shape;
  std::vector<std::int64_t> first, step;
};
SliceGeometry resolve_slice(const Node& node, const Shape& data, std::vector<std::int64_t> starts,
                            std::vector<std::int64_t> ends, std::vector<std::int64_t> axes,
                            std::vector<std::int64_t> steps);
// Checks the number of inputs (present or omitted) and outputs.
void expect_arity(const Node& node, std::size_t min_inputs, std::size_t max_inputs, std::size_t max_outputs);
// Throws Error naming the attribute and value unless `ok`.
void require_attribute(const Node& node, bool ok, const std::string& attribute, const std::string& value,
                       const std::string& supported);

}  // namespace eie::ops

namespace eie::ops {

// One spatial dimension of a sliding window (Conv, MaxPool, AveragePool) resolved from the ONNX attributes:
// the output size and the padding before the first element.
struct Window {
  std::int64_t out = 0;
  std::int64_t pad_begin = 0;
  std::int64_t pad_end = 0;
};
Window resolve_window(const Node& node, std::int64_t in, std::int64_t kernel, std::int64_t stride,
                      std::int64_t dilation, std::int64_t pad_begin, std::int64_t pad_end, const std::string& auto_pad,
                      bool ceil_mode);
// The spatial attributes of a window operator for `spatial` dimensions (1 or 2), checked.
struct WindowAttributes {
  std::vector<std::int64_t> kernel, strides, dilations, pads;  // pads: begins then ends
  std::string auto_pad;
};
WindowAttributes window_attributes(const Node& node, std::size_t spatial, const std::vector<std::int64_t>& kernel);

}  // namespace eie::ops
