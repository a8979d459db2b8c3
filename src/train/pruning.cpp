// Magnitude pruning masks (Han et al., NIPS 2015; DSD). A mask is a float {0, 1} tensor shaped like its
// weight; masked_hooks re-applies it after every optimizer step, so pruned weights stay exactly zero while the
// survivors retrain.
#include <cmath>

#include "eie/train.h"

namespace eie::train {

Masks full_masks(const Network& net) {
  Masks masks;
  for (const auto& w : net.weights()) masks.push_back(torch::ones_like(w).detach());
  return masks;
}

void apply_masks(Network& net, const Masks& masks) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < masks.size(); ++i) net.weights()[i].mul_(masks[i]);
}

Masks quality_masks(const Network& net, const std::vector<double>& quality, const std::vector<double>& stds,
                    const Masks& current) {
  torch::NoGradGuard no_grad;
  Masks masks;
  for (std::size_t i = 0; i < net.weights().size(); ++i) {
    const double threshold = quality[i] * stds[i];
    masks.push_back(net.weights()[i].abs().gt(threshold).to(torch::kFloat32).mul_(current[i]));
  }
  return masks;
}

double threshold_fraction(PruneSchedule schedule, int step, int steps) {
  const double done = static_cast<double>(step) / steps;
  return schedule == PruneSchedule::cubic ? 1.0 - std::pow(1.0 - done, 3) : done;
}

Masks keep_fraction_masks(const Network& net, double keep) {
  torch::NoGradGuard no_grad;
  Masks masks;
  for (const auto& w : net.weights()) {
    const torch::Tensor flat = w.abs().flatten();
    const std::int64_t n = flat.numel();
    const auto k = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::llround(keep * static_cast<double>(n))), 0, n);
    torch::Tensor mask = torch::zeros({n}, torch::kFloat32);
    if (k > 0) mask.index_fill_(0, std::get<1>(flat.topk(k)), 1.0f);
    masks.push_back(mask.view(w.sizes()));
  }
  return masks;
}

double density(const Masks& masks) {
  double kept = 0.0;
  double all = 0.0;
  for (const auto& m : masks) {
    kept += m.sum().item<double>();
    all += static_cast<double>(m.numel());
  }
  return all > 0.0 ? kept / all : 1.0;
}

PhaseHooks masked_hooks(Network& net, const Masks& masks) {
  PhaseHooks hooks = dense_hooks(net);
  std::vector<torch::Tensor> weights = net.weights();
  hooks.after_step = [weights, masks] {
    for (std::size_t i = 0; i < masks.size(); ++i) weights[i].mul_(masks[i]);
  };
  return hooks;
}

}  // namespace eie::train
