// eie/train.h: training and trained compression of the papers' reference networks on libtorch.
//
// Deep Compression's numbers come from retraining: pruning with retraining, then fine-tuning the shared
// centroids. This module trains LeNet-300-100 and LeNet-5 (Caffe form) on an MNIST-format data set and
// compresses them four ways:
//   dense             the baseline (seeded, cosine-annealed SGD with momentum and L2)
//   deep-compression  baseline -> iterative magnitude pruning with retraining (threshold = quality x std,
//                     masks re-applied after every step, a tenth of the learning rate) -> k-means weight
//                     sharing (compress/'s kmeans_1d, linear init, per-layer bits) -> centroid fine-tuning
//                     (weight gradients summed per cluster; codes and masks fixed)
//   ttq               Trained Ternary Quantization: {-W_n, 0, +W_p} per layer, first and last layer fp32
//   dsd               Dense-Sparse-Dense: baseline -> keep 70% and retrain -> drop the mask, retrain at LR/10
// The result is an eie::Model (ONNX-like graph) whose compressed weights are CompressedLayers, so the
// container, the engine and the simulator take it unchanged. docs/results.md has the schedules and numbers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <torch/types.h>  // ATen and autograd only: a third of torch/torch.h's compile time

#include "eie/compress.h"
#include "eie/core.h"
#include "eie/dataset.h"
#include "eie/io.h"
#include "eie/model.h"

namespace eie::train {

enum class Architecture { lenet_300_100, lenet_5 };
enum class Method { dense, deep_compression, ttq, dsd };

// Throw Error "--model 'x': ..." / "--method 'x': ..." listing the valid names.
Architecture parse_architecture(std::string_view name);
Method parse_method(std::string_view name);
const char* to_string(Architecture architecture);
const char* to_string(Method method);

// ---------------------------------------------------------------------------------------------------------
// The networks. Layer names are the papers': ip1 ip2 ip3 (LeNet-300-100), conv1 conv2 ip1 ip2 (LeNet-5).
enum class LayerKind { linear, conv };

struct LayerSpec {
  std::string name;
  LayerKind kind = LayerKind::linear;
  std::int64_t out = 0;
  std::int64_t in = 0;      // input features or input channels
  std::int64_t kernel = 1;  // square kernel side for conv
  std::int64_t rows() const { return out; }
  std::int64_t cols() const { return in * kernel * kernel; }
  std::int64_t weights() const { return rows() * cols(); }
};

std::vector<LayerSpec> layer_specs(Architecture architecture);

// Weights [out, in] or [out, in, k, k] and biases [out], as leaf tensors that require gradients. Initialised
// as PyTorch's Linear/Conv2d do (uniform in +-1/sqrt(fan_in)) from `seed`.
class Network {
 public:
  Network() = default;  // no layers
  Network(Architecture architecture, std::uint64_t seed);

  Architecture architecture() const { return architecture_; }
  const std::vector<LayerSpec>& layers() const { return layers_; }
  std::vector<torch::Tensor>& weights() { return weights_; }
  const std::vector<torch::Tensor>& weights() const { return weights_; }
  std::vector<torch::Tensor>& biases() { return biases_; }
  const std::vector<torch::Tensor>& biases() const { return biases_; }

  // Logits [N, 10] for images [N, 1, 28, 28], with the given per-layer weights (default: weights()).
  torch::Tensor forward(const torch::Tensor& images, const std::vector<torch::Tensor>& weights) const;
  torch::Tensor forward(const torch::Tensor& images) const { return forward(images, weights_); }

  // A deep copy (training one never changes the other).
  Network clone() const;

 private:
  Architecture architecture_ = Architecture::lenet_300_100;
  std::vector<LayerSpec> layers_;
  std::vector<torch::Tensor> weights_;
  std::vector<torch::Tensor> biases_;
};

// ---------------------------------------------------------------------------------------------------------
// Data and the training loop.
struct Data {
  torch::Tensor images;  // float [N, 1, rows, cols], pixel / 255
  torch::Tensor labels;  // int64 [N]
  std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};
Data to_tensors(const ImageSet& set);
// The input the engine and libtorch both see: pixel / 255, row-major.
std::vector<float> image_input(const ImageSet& set, std::int64_t index);

// One training phase: `epochs` passes of minibatch SGD with momentum, the learning rate cosine-annealed from
// `lr` to lr * final_lr over the phase (every step, or once per epoch as PyTorch's CosineAnnealingLR stepped per
// epoch does: lr_e = lr * (final_lr + (1 - final_lr) * (1 + cos(pi * e / epochs)) / 2) for epoch e = 0, 1, ...),
// after a linear warm-up over the first `warmup_epochs` (the rate of step s is scaled by (s + 1) / warm-up steps),
// L2 weight decay on the hooks' decayed tensors (the weights), or on every updated tensor with decay_all (what
// torch.optim.SGD's weight_decay does).
struct Schedule {
  int epochs = 10;
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  int batch_size = 128;
  double final_lr = 0.01;        // a fraction of lr
  bool anneal_per_epoch = false;
  bool decay_all = false;
  double warmup_epochs = 0.0;
};

struct Progress {
  std::string phase;
  int epoch = 0;  // 1-based
  int epochs = 0;
  std::int64_t batch = 0;  // batches done in this epoch
  std::int64_t batches = 0;
  double loss = 0.0;       // running mean over the epoch
  double accuracy = 0.0;   // running training accuracy over the epoch
  double lr = 0.0;
  bool epoch_done = false;
  double seconds = 0.0;    // since the phase started
};
using ProgressFn = std::function<void(const Progress&)>;

// How a phase trains: which tensors the optimizer updates (they must require gradients), how the forward pass
// forms its weights from them (default: the network's weights), what runs after every optimizer step (e.g.
// re-applying masks), and which of them get weight decay (default: none).
struct PhaseHooks {
  std::vector<torch::Tensor> parameters;
  std::vector<torch::Tensor> decayed;
  std::function<std::vector<torch::Tensor>()> weights;
  std::function<void()> after_step;
};
// The default hooks: every weight (decayed) and bias of the network.
PhaseHooks dense_hooks(Network& net);

struct EpochStats {
  double loss = 0.0;
  double accuracy = 0.0;
};
std::vector<EpochStats> train_phase(const Network& net, const Data& data, const Schedule& schedule,
                                    const PhaseHooks& hooks, std::uint64_t seed, const std::string& phase,
                                    const ProgressFn& progress = {});

// Predicted classes [N] (int64) and the top-1 error in percent.
torch::Tensor predict(const Network& net, const torch::Tensor& images, const std::vector<torch::Tensor>& weights);
double error_percent(const Network& net, const Data& data, const std::vector<torch::Tensor>& weights);
double error_percent(const Network& net, const Data& data);

// ---------------------------------------------------------------------------------------------------------
// Pruning: float {0, 1} masks with the weights' shapes.
using Masks = std::vector<torch::Tensor>;
Masks full_masks(const Network& net);
// Zeroes the masked-out weights in place.
void apply_masks(Network& net, const Masks& masks);
// Per layer keep |w| > quality * std (std over all the layer's weights of the dense network), as compress/'s
// prune() computes it, intersected with the current mask.
Masks quality_masks(const Network& net, const std::vector<double>& quality, const std::vector<double>& stds,
                    const Masks& current);
// How an iterative pruning's threshold rises to its final value over `steps` steps: in equal steps (linear), or
// to 1 - (1 - k/steps)^3 of it at step k (cubic: most of the pruning early and small steps near the end, so that
// more of the retraining happens near the final density; the gradual schedule of Zhu & Gupta, 2017, applied to
// the threshold). Returns the fraction of the final threshold at step k (1..steps).
enum class PruneSchedule { linear, cubic };
double threshold_fraction(PruneSchedule schedule, int step, int steps);
// Per layer keep the largest `keep` fraction of |w| (DSD).
Masks keep_fraction_masks(const Network& net, double keep);
double density(const Masks& masks);  // kept / all, over all layers
// Hooks that train every weight and bias and re-apply `masks` after each step.
PhaseHooks masked_hooks(Network& net, const Masks& masks);

// ---------------------------------------------------------------------------------------------------------
// Weight sharing with trained centroids. Per layer: codes (int64, the weight's shape; 0 = pruned) into a
// codebook whose entry 0 is the value 0 and whose 2^bits - 1 other entries are k-means centroids of the kept
// weights (linear initialisation). The forward pass uses codebook[codes]; autograd's gather backward sums the
// weight gradients per cluster, which is exactly the paper's dL/dC_k. Codes, masks and biases stay fixed.
struct SharedWeights {
  std::vector<torch::Tensor> codebooks;  // float [2^bits], requires grad; entry 0 held at 0
  std::vector<torch::Tensor> codes;      // int64, the weight shape
  std::vector<int> bits;
  std::vector<torch::Tensor> weights() const;  // codebook[codes] per layer
};
SharedWeights share_weights(const Network& net, const Masks& masks, const std::vector<int>& bits);
PhaseHooks centroid_hooks(SharedWeights& shared);
// Writes codebook[codes] into the network's weights.
void store_shared(Network& net, const SharedWeights& shared);

// ---------------------------------------------------------------------------------------------------------
// Trained Ternary Quantization (Zhu et al., ICLR 2017). A ternary layer keeps a latent weight normalised to
// [-1, 1] by the layer's max |w| (as the paper does) and two learned scalars W_p, W_n starting at 1.0; its
// forward weight is scale * {+W_p if w > t, -W_n if w < -t, 0 otherwise}, t = threshold x max|latent|, where
// scale = the dense layer's max |w| (fixed; it maps the normalised unit back, and is folded into the stored
// codebook). Gradients: dL/dW_p = sum of dL/dw_t over the positive positions (W_n likewise over the negative),
// the latent gets dL/dw_t scaled by W_p, 1 or W_n. Layers not ternarised use their float weight.
struct TernaryLayers {
  std::vector<bool> ternary;            // per layer
  std::vector<torch::Tensor> latent;    // per ternary layer (undefined otherwise)
  std::vector<torch::Tensor> w_p;       // scalar tensors, require grad
  std::vector<torch::Tensor> w_n;
  std::vector<double> scale;
  double threshold = 0.05;
  std::vector<torch::Tensor> weights(const Network& net) const;  // the forward weights
};
// First and last layer stay full precision.
TernaryLayers make_ternary(const Network& net, double threshold);
PhaseHooks ternary_hooks(Network& net, TernaryLayers& ternary);
// Writes the ternary weights into the network's weights.
void store_ternary(Network& net, const TernaryLayers& ternary);

// ---------------------------------------------------------------------------------------------------------
// A whole run.
struct TrainOptions {
  Architecture architecture = Architecture::lenet_300_100;
  Method method = Method::dense;
  std::uint64_t seed = 1;
  int threads = 2;                   // libtorch's intra-op threads
  std::int64_t train_limit = 0;      // use only the first N training / test images (0 = all): tests, --quick
  std::int64_t test_limit = 0;
  Schedule dense;                    // the baseline; defaults per architecture (default_options)
  // A trained network to start from instead of the dense phase (`eie train --from`): the run compresses it
  // as if it had just trained it (the later phases draw the same shuffles as in a run that did).
  std::optional<Network> start;
  // deep-compression
  LayerRules quality;                // per-layer pruning quality (threshold = quality x std)
  LayerRules bits;                   // per-layer codebook bits
  int prune_iterations = 3;          // the threshold rises to quality x std in this many steps
  PruneSchedule prune_schedule = PruneSchedule::linear;
  Schedule retrain;                  // per pruning iteration
  Schedule finetune;                 // centroid fine-tuning
  // ttq
  double ttq_threshold = 0.05;
  Schedule ttq;
  // dsd
  double dsd_keep = 0.7;
  Schedule dsd_sparse;
  Schedule dsd_redense;
  ProgressFn progress;
};
// The documented defaults for an architecture and method (docs/results.md).
TrainOptions default_options(Architecture architecture, Method method);

struct PhaseResult {
  std::string name;        // "dense", "prune 1/3", "quantize", "fine-tune centroids", ...
  double test_error = 0.0; // percent
  double density = 1.0;    // weights kept after this phase
  double seconds = 0.0;
};

struct TrainResult {
  TrainOptions options;
  std::vector<PhaseResult> phases;
  double baseline_error = 0.0;  // after the dense phase
  double final_error = 0.0;     // of the final model as stored
  double seconds = 0.0;
  Network network;              // the final weights (compressed values substituted)
  Model model;                  // the graph, compressed layers where the method compresses
  std::vector<std::string> compressed_layers;
};
TrainResult run_training(const MnistDataset& data, const TrainOptions& options);

// ---------------------------------------------------------------------------------------------------------
// Models: the graph form of a network (ONNX ops: Conv, MaxPool, Flatten, Gemm with transB = 1, Relu; input
// "input" [N, 1, 28, 28], output "logits"), its weights named after the layers and its biases "<layer>.bias".
// `compressed[i]`, when set, replaces layer i's weight.
Model to_model(const Network& net, const std::vector<std::optional<CompressedLayer>>& compressed);
// Back from a model written by to_model (compressed weights decompressed); throws Error naming what does not
// match either architecture.
Network network_from_model(const Model& model);

// The scalar reference evaluation of a model written by to_model: compressed weights go through core's
// reference_spmv (convolutions one output position at a time), dense ones through dense_reference; double
// accumulation. Returns the predicted class of each image.
std::vector<int> reference_predict(const Model& model, const ImageSet& images);
// libtorch's predictions for the same model (weights decompressed).
std::vector<int> torch_predict(const Model& model, const ImageSet& images);

// ---------------------------------------------------------------------------------------------------------
// The container and the paper's Table 1 numbers. The .eie file of a run: the model, `index_bits` for every
// compressed layer, and the run's settings.
EieFile to_eie_file(const TrainResult& result, int index_bits);

// Sizes in bits. Compressed layers are counted by compress/'s report (docs/compression.md: codes, relative
// indices, pointers and codebook; P+Q at fixed widths, P+Q+H with the Huffman payloads and tables); biases and
// weights left dense count 32 bits a value on both sides.
struct SizeSummary {
  CompressionReport report;       // the compressed layers
  std::int64_t dense_bits = 0;    // every weight and bias at 32 bits
  std::int64_t bits_pq = 0;
  std::int64_t bits_pqh = 0;
  double ratio_pq() const { return bits_pq > 0 ? static_cast<double>(dense_bits) / static_cast<double>(bits_pq) : 1.0; }
  double ratio_pqh() const { return bits_pqh > 0 ? static_cast<double>(dense_bits) / static_cast<double>(bits_pqh) : 1.0; }
};
SizeSummary size_summary(const EieFile& file);

// The paper's per-layer table (Table 2/3 columns) as aligned text, and the phases of a run.
std::string format_layer_table(const SizeSummary& summary);
std::string format_phases(const TrainResult& result);

}  // namespace eie::train
