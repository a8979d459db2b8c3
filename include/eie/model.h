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
#include <memory>
#include <optional>
#include <string>
#include <utility>
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

// A graph input or output; a dimension of -1 is not known until run time. `type` is the ONNX element type in
// lower case ("float", "int64", ...): eie computes in fp32 and accepts the types fp32 holds (see
// check_runnable_type).
struct ValueInfo {
  std::string name;
  std::vector<std::int64_t> shape;
  std::string type = "float";
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

// What a weight slot of a model holds, read from its dense values (a compressed weight decompressed): a weight
// pruned or clustered by another tool shows a low density or few distinct values.
struct WeightSummary {
  WeightSlot slot;
  std::vector<std::int64_t> shape;  // the tensor's shape
  std::int64_t nonzeros = 0;
  std::int64_t distinct_values = 0;  // distinct float values, 0 included when present
  double density() const;            // nonzeros / (rows * cols); 0 for an empty weight
};
// One summary per Model::weight_slots() entry, in that order.
std::vector<WeightSummary> summarize_weights(const Model& model);

// ---------------------------------------------------------------------------------------------------------
// Running a graph. Operators (src/model/ops/) compute in fp32 on row-major tensors whose first dimension is
// usually the batch; each is created once per node (attributes parsed and checked then) and then infers its
// output shapes and runs. These scalar operators are the reference every faster path (the engine's
// ModelEngine) is tested against.
using Shape = std::vector<std::int64_t>;

class Operator {
 public:
  explicit Operator(const Node& node) : node_(node) {}
  virtual ~Operator() = default;
  const Node& node() const { return node_; }
  // Output shapes from the input shapes (an omitted optional input has an empty shape and a null tensor).
  // Throws Error naming the node when shapes do not fit the operator.
  virtual std::vector<Shape> infer(const std::vector<Shape>& inputs) const = 0;
  // Computes the outputs, which arrive shaped and sized as infer() said. Allocates nothing unless stated.
  virtual void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const = 0;
  // Operators that only move data (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Expand) say how:
  // output element i (row-major) is input 0's element at offset + sum_d i_d * strides[d], over the output's
  // dimensions. Others return nullopt. A planner with fixed shapes computes the walk once (ModelEngine does).
  struct StridedRead {
    std::int64_t offset = 0;
    std::vector<std::int64_t> strides;
  };
  virtual std::optional<StridedRead> strided_read(const std::vector<Shape>& /*inputs*/) const { return std::nullopt; }
  // "node 'name' (Op)": the prefix of every error about this node.
  std::string where() const;

 private:
  Node node_;
};

// The operator for `node`; constants it needs at plan time (Reshape's shape, LSTM's weights) come from
// `model`. Throws Error naming the operator and the node when the op type is not supported, and naming the
// attribute and value when an attribute value is not supported.
std::unique_ptr<Operator> make_operator(const Node& node, const Model& model);
std::vector<std::string> supported_operators();  // ONNX op types, sorted

// Throws Error unless `type` is an element type eie runs (held in fp32): float, double, float16, bfloat16,
// int32, int64, bool (0 or 1). `what` names the tensor in the message.
void check_runnable_type(const std::string& type, const std::string& what);

// The shape of every tensor of the graph (inputs, constants, node outputs) for the given graph input shapes,
// which must agree with the shapes the model declares (a declared -1 takes any size). Throws Error naming the
// node or tensor: an unsupported operator or attribute, a missing input shape, shapes that do not fit, a
// shape that depends on run-time data.
std::map<std::string, Shape> infer_shapes(const Model& model, const std::map<std::string, Shape>& input_shapes);
// The graph specialised to the given graph input shapes, or nullopt when it has no shape computations (it is
// static as it is). Every node whose inputs are constants or shape computations and whose operator is Shape,
// Size, ConstantOfShape, Range, Gather, Slice, Concat, (Un)Squeeze, Reshape, Expand, Equal, Where, Cast, Add,
// Sub, Mul, Div, Neg or Identity is evaluated and its output becomes an initializer. Throws Error naming the node
// and the value: a shape computation that depends on run-time data, an index out of range, an integer
// overflow, a division by zero. infer_shapes, reference_run and ModelEngine run it first.
std::optional<Model> fold_shapes(const Model& model, const std::map<std::string, Shape>& input_shapes);
// The graph with each layer normalisation in its opset-14 form (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt,
// Div, Mul by a per-channel constant, optionally Add of one, over the last axis, no intermediate read elsewhere)
// replaced by one LayerNormalization node, or nullopt when there is none. `shapes` as infer_shapes gives them.
// ModelEngine runs it after fold_shapes.
std::optional<Model> fuse_layer_norms(const Model& model, const std::map<std::string, Shape>& shapes);
// The graph with each GELU in the form exported before opset 20 (Div by sqrt 2 or Mul by 1/sqrt 2, Erf, Add 1, Mul
// by the input, Mul by 0.5; no intermediate read elsewhere) replaced by one Gelu node, or nullopt when there is
// none. ModelEngine runs it after fuse_layer_norms.
std::optional<Model> fuse_gelus(const Model& model);
// The graph inputs' shapes when every dimension is declared; throws Error naming the input otherwise.
std::map<std::string, Shape> declared_input_shapes(const Model& model);

// Folds each BatchNormalization whose input comes only from a Conv or Gemm (transB = 1) with a dense constant
// weight into that node's weight and bias, and removes it. Returns the number folded. Run by the importers
// before compression, so the compressed weights are the folded ones.
int fold_batch_norm(Model& model);

// Runs the whole graph with the scalar operators (compressed weights decompressed); `inputs` in graph input
// order, the result in graph output order. Slow and simple: the checker for the engine.
std::vector<Tensor> reference_run(const Model& model, const std::vector<Tensor>& inputs);

// ---------------------------------------------------------------------------------------------------------
// Pieces of the operators the engine reuses around its compressed matrix products.

// Conv's resolved geometry for 1-D and 2-D convolutions (a 1-D one is 2-D with height 1).
struct ConvGeometry {
  std::int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  std::int64_t in_h = 1, in_w = 0, kernel_h = 1, kernel_w = 0, out_h = 1, out_w = 0;
  std::int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1, pad_top = 0, pad_left = 0;
  std::int64_t patch_size() const { return in_channels / group * kernel_h * kernel_w; }  // im2col columns
  std::int64_t positions() const { return out_h * out_w; }
};
// Throws Error naming the node for unsupported attributes (3-D and higher, bad auto_pad) or shapes that do
// not fit.
ConvGeometry conv_geometry(const Node& node, const Shape& x, const Shape& w);
// Patches of image `n`, group `g`: positions() rows of patch_size() values (zeros where padding).
void im2col(const ConvGeometry& geometry, const float* x, std::int64_t n, std::int64_t g, float* patches);

// Batched MatMul (numpy rules): for each output matrix, in row-major order over `batch`, the index of the A
// matrix and of the B matrix it multiplies, A's and B's batch dimensions broadcast to `batch`.
std::vector<std::pair<std::int64_t, std::int64_t>> matmul_batch_pairs(const Shape& a_batch, const Shape& b_batch,
                                                                      const Shape& batch);
// One row-major product y (m x n) = a (m x k) x b (k x n) as the reference MatMul computes it: each output summed
// in double and rounded once to float.
void matmul_in_double(const float* a, const float* b, float* y, std::int64_t m, std::int64_t k, std::int64_t n);

// LSTM's attributes as ONNX defines them (gates i, o, f, c; activations sigmoid, tanh, tanh).
struct LstmAttributes {
  std::int64_t hidden = 0;
  int directions = 1;
  bool reverse = false;     // direction == "reverse"
  bool batch_first = false;  // layout == 1
  float clip = 0.0f;         // 0: no clip
};
LstmAttributes lstm_attributes(const Node& node);
// One step's cell update for one sequence, from the pre-activations `gates` (4 * hidden: W x + R h + Wb + Rb
// in ONNX's i, o, f, c order), the peepholes (3 * hidden or null) and the cell state, which it updates; writes
// the new hidden state to `h`.
void lstm_cell(const LstmAttributes& attributes, const float* gates, const float* peepholes, float* c, float* h);

}  // namespace eie
