// eie/model.h: a neural network as an ordered graph of ONNX-like nodes over named tensors.
//
// A Model is what the importers produce and what the .eie container stores: nodes in execution order (op type,
// name, input/output tensor names, attributes), the graph's inputs and outputs with their shapes, dense fp32
// initializers, and compressed weights. A compressed weight *replaces* a weight initializer of the same name:
// it holds the canonical CompressedLayer (rows = outputs, cols = inputs) plus the tensor's original shape and
// how the matrix maps onto it (WeightLayout), so the engine can run Gemm/MatMul/Conv/LSTM weights through the
// compressed kernels while everything else (biases, batch-norm parameters, reshape shapes) stays dense.
// Models without a graph (safetensors, .npy) are just initializers; weight_slots() then treats every tensor of
// rank >= 2 as a weight [outputs, inputs...] (PyTorch's convention).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eie/core.h"

namespace eie {

// A dense fp32 tensor, row-major (C order). An empty shape is a scalar with one element.
struct Tensor {
  std::vector<std::int64_t> shape;
  std::vector<float> data;

  std::int64_t numel() const;
  bool operator==(const Tensor&) const = default;
};

// Number of elements of a shape; throws Error if a dimension is negative or the product overflows.
std::int64_t shape_numel(const std::vector<std::int64_t>& shape);
std::string shape_string(const std::vector<std::int64_t>& shape);  // "[300, 784]"

// An ONNX node attribute: int, float, string, or a list of ints, floats or strings.
using Attribute = std::variant<std::int64_t, float, std::string, std::vector<std::int64_t>, std::vector<float>,
                               std::vector<std::string>>;

struct Node {
  std::string op_type;  // "Gemm", "Relu", ... (ONNX names)
  std::string name;     // unique within the model (importers name unnamed nodes "<op_type>_<index>")
  std::vector<std::string> inputs;   // tensor names; "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;

  // Typed attribute access; `fallback` when absent. Throws Error naming the node if present with another type.
  std::int64_t attr_int(const std::string& key, std::int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<std::int64_t> attr_ints(const std::string& key, std::vector<std::int64_t> fallback = {}) const;

  bool operator==(const Node&) const = default;
};

// A graph input or output: a float tensor; a dimension of -1 is not known until run time.
struct ValueInfo {
  std::string name;
  std::vector<std::int64_t> shape;
  bool operator==(const ValueInfo&) const = default;
};

// How a compressed weight's matrix (rows = outputs, cols = inputs) lies in the original tensor.
enum class WeightLayout {
  // tensor is [rows, ...] row-major and its trailing dimensions flatten to cols: Gemm B with transB=1,
  // PyTorch Linear weight [out, in], Conv W [M, C/group, kh, kw], LSTM W [dirs, 4H, I] (rows = dirs*4H).
  rows_first,
  // tensor is [cols, rows]: MatMul's constant B [K, N] and Gemm B with transB=0 (y = x B).
  transposed,
};
const char* to_string(WeightLayout layout);
WeightLayout weight_layout_from_string(const std::string& text);  // throws Error for an unknown name

struct CompressedWeight {
  CompressedLayer layer;              // layer.name == the initializer it replaces
  std::vector<std::int64_t> shape;    // the original tensor's shape
  WeightLayout layout = WeightLayout::rows_first;

  // The dense tensor with codebook values substituted, in the original shape and layout.
  Tensor to_tensor() const;
  bool operator==(const CompressedWeight&) const = default;
};

// A weight the compressor may replace: an initializer used as the weight input of a Gemm, MatMul, Conv or
// LSTM node (or, in a graph-less model, any initializer of rank >= 2).
struct WeightSlot {
  std::string name;       // initializer name (the layer name used in reports and --density patterns)
  std::string node;       // the consuming node's name ("" in a graph-less model)
  std::string op_type;    // its op type ("" in a graph-less model)
  std::int64_t rows = 0;  // outputs
  std::int64_t cols = 0;  // inputs
  WeightLayout layout = WeightLayout::rows_first;
};

// The matrix view of a tensor: rows x cols row-major (a transposed layout is transposed here).
std::vector<float> weight_matrix(const Tensor& tensor, WeightLayout layout);

struct Model {
  std::string name;  // from the file (ONNX graph name, file stem otherwise)
  std::vector<Node> nodes;  // in execution order
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::map<std::string, Tensor> initializers;
  std::map<std::string, CompressedWeight> compressed;  // never also present in initializers

  // The weights that can be compressed, in graph order (or name order without a graph). Each initializer
  // appears once (the first node that uses it as a weight decides its layout).
  std::vector<WeightSlot> weight_slots() const;

  // Replaces the initializer `slot.name` with `layer` (which must have the slot's rows and cols).
  void compress_weight(const WeightSlot& slot, CompressedLayer layer);
  // The dense value of a constant tensor: an initializer, or a compressed weight decompressed.
  std::optional<Tensor> constant(const std::string& name) const;

  // Throws Error naming the node/tensor: duplicate node or tensor names, a node input that is neither a graph
  // input, a constant nor an earlier node's output, an initializer whose data does not match its shape, a
  // compressed weight whose layer is invalid or does not match its shape, a name both dense and compressed.
  void validate() const;

  bool operator==(const Model&) const = default;
};

}  // namespace eie
