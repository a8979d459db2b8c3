// Trained quantization (Deep Compression, section 3): per layer, k-means (compress/'s kmeans_1d, linear
// initialisation) over the surviving weights gives 2^bits - 1 centroids; codebook entry 0 is the value 0 for
// the pruned positions. The forward weight is codebook.index_select(codes): its backward is a scatter-add, so
// each centroid's gradient is the sum of the gradients of the weights that share it, the paper's dL/dC_k.
// Only the codebooks are trained; entry 0's gradient is dropped so pruned weights stay zero.
#include <fmt/core.h>

#include "eie/train.h"

namespace eie::train {

std::vector<torch::Tensor> SharedWeights::weights() const {
  std::vector<torch::Tensor> out;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    out.push_back(codebooks[i].index_select(0, codes[i].flatten()).view(codes[i].sizes()));
  }
  return out;
}

SharedWeights share_weights(const Network& net, const Masks& masks, const std::vector<int>& bits) {
  torch::NoGradGuard no_grad;
  SharedWeights shared;
  for (std::size_t i = 0; i < net.weights().size(); ++i) {
    const torch::Tensor w = net.weights()[i].detach().contiguous().flatten();
    const torch::Tensor keep = masks[i].flatten().gt(0.5);
    const torch::Tensor kept = w.masked_select(keep).contiguous();
    const std::span<const float> values(kept.data_ptr<float>(), static_cast<std::size_t>(kept.numel()));
    KmeansSettings settings;
    settings.clusters = (1 << bits[i]) - 1;
    settings.init = KmeansInit::linear;
    settings.threads = 2;
    const KmeansResult result = kmeans_1d(values, settings);
    std::vector<float> codebook = {0.0f};
    codebook.insert(codebook.end(), result.centroids.begin(), result.centroids.end());
    codebook.resize(static_cast<std::size_t>(1) << bits[i], 0.0f);  // no survivors: unused entries
    const std::vector<std::uint8_t> assignment =
        result.centroids.empty() ? std::vector<std::uint8_t>{} : assign_clusters(values, result.centroids);
    torch::Tensor codes = torch::zeros({w.numel()}, torch::kInt64);
    torch::Tensor kept_codes = torch::empty({kept.numel()}, torch::kInt64);
    auto* kc = kept_codes.data_ptr<std::int64_t>();
    for (std::size_t k = 0; k < assignment.size(); ++k) kc[k] = assignment[k] + 1;
    codes.masked_scatter_(keep, kept_codes);
    shared.codebooks.push_back(torch::tensor(codebook).set_requires_grad(true));
    shared.codes.push_back(codes.view(net.weights()[i].sizes()));
    shared.bits.push_back(bits[i]);
  }
  return shared;
}

PhaseHooks centroid_hooks(SharedWeights& shared) {
  PhaseHooks hooks;
  hooks.parameters = shared.codebooks;
  hooks.weights = [&shared] { return shared.weights(); };
  std::vector<torch::Tensor> codebooks = shared.codebooks;
  hooks.after_step = [codebooks] {
    for (const auto& c : codebooks) c[0].zero_();  // the pruned positions' value stays exactly 0
  };
  return hooks;
}

void store_shared(Network& net, const SharedWeights& shared) {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> weights = shared.weights();
  for (std::size_t i = 0; i < weights.size(); ++i) net.weights()[i].copy_(weights[i]);
}

}  // namespace eie::train
