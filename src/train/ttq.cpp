// Trained Ternary Quantization (Zhu et al., ICLR 2017). The paper's gradient rules come out of autograd with a
// straight-through term: w_t = scale * (W_p * P - W_n * N + s * latent - (s * latent).detach()), where P and N
// are the positive / negative masks of the latent weight against the threshold and s = W_p on P, 1 elsewhere
// in between, W_n on N (detached). Its value is scale * (W_p P - W_n N); its gradients are dL/dW_p = scale *
// sum_P dL/dw_t, dL/dW_n = -scale * sum_N dL/dw_t (W_n is a magnitude), dL/dlatent = scale * s * dL/dw_t.
#include "eie/train.h"

namespace eie::train {

TernaryLayers make_ternary(const Network& net, double threshold) {
  torch::NoGradGuard no_grad;
  TernaryLayers t;
  t.threshold = threshold;
  const std::size_t n = net.weights().size();
  for (std::size_t i = 0; i < n; ++i) {
    const bool ternary = i != 0 && i + 1 != n;
    t.ternary.push_back(ternary);
    if (!ternary) {
      t.latent.emplace_back();
      t.w_p.emplace_back();
      t.w_n.emplace_back();
      t.scale.push_back(1.0);
      continue;
    }
    const torch::Tensor w = net.weights()[i].detach();
    const double scale = w.abs().max().item<double>();
    const torch::Tensor latent = w / scale;
    // W_p and W_n start at the mean magnitude of the weights they stand for (the closed-form scale of ternary
    // weight networks, Li & Liu 2016), so the first ternary forward keeps the dense layer's output scale.
    // Starting at 1 (every kept weight at the layer's largest magnitude, ~10x the typical one) made LeNet-5,
    // which has no normalisation, diverge in its first steps for two seeds of three.
    const torch::Tensor pos = latent.gt(threshold);
    const torch::Tensor neg = latent.lt(-threshold);
    auto mean_magnitude = [&](const torch::Tensor& mask) {
      return mask.any().item<bool>() ? latent.abs().masked_select(mask).mean() : torch::ones({});
    };
    t.scale.push_back(scale);
    t.latent.push_back(latent.clone().set_requires_grad(true));
    t.w_p.push_back(mean_magnitude(pos).to(torch::kFloat32).reshape({}).set_requires_grad(true));
    t.w_n.push_back(mean_magnitude(neg).to(torch::kFloat32).reshape({}).set_requires_grad(true));
  }
  return t;
}

std::vector<torch::Tensor> TernaryLayers::weights(const Network& net) const {
  std::vector<torch::Tensor> out;
  for (std::size_t i = 0; i < ternary.size(); ++i) {
    if (!ternary[i]) {
      out.push_back(net.weights()[i]);
      continue;
    }
    const torch::Tensor& w = latent[i];
    torch::Tensor pos;
    torch::Tensor neg;
    torch::Tensor slope;
    {
      torch::NoGradGuard no_grad;
      const double delta = threshold * w.abs().max().item<double>();
      pos = w.gt(delta).to(torch::kFloat32);
      neg = w.lt(-delta).to(torch::kFloat32);
      slope = pos * w_p[i].detach() + neg * w_n[i].detach() + (1.0 - pos - neg);
    }
    const torch::Tensor straight = slope * w;
    out.push_back((w_p[i] * pos - w_n[i] * neg + straight - straight.detach()) * scale[i]);
  }
  return out;
}

PhaseHooks ternary_hooks(Network& net, TernaryLayers& ternary) {
  PhaseHooks hooks;
  for (std::size_t i = 0; i < ternary.ternary.size(); ++i) {
    if (ternary.ternary[i]) {
      hooks.parameters.push_back(ternary.latent[i]);
      hooks.parameters.push_back(ternary.w_p[i]);
      hooks.parameters.push_back(ternary.w_n[i]);
    } else {
      hooks.parameters.push_back(net.weights()[i]);
      hooks.decayed.push_back(net.weights()[i]);
    }
    hooks.parameters.push_back(net.biases()[i]);
  }
  const Network* n = &net;
  hooks.weights = [n, &ternary] { return ternary.weights(*n); };
  return hooks;
}

void store_ternary(Network& net, const TernaryLayers& ternary) {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> weights = ternary.weights(net);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (ternary.ternary[i]) net.weights()[i].copy_(weights[i].detach());
  }
}

}  // namespace eie::train
