// The training loop every method shares: seeded shuffles, minibatch SGD with momentum, a cosine-annealed
// learning rate, L2 on the chosen tensors (or on all, as torch.optim.SGD), and a hook after each step (where
// pruning re-applies its masks).
#include <chrono>
#include <cmath>

#include <fmt/core.h>

#include "eie/train.h"

namespace eie::train {

Data to_tensors(const ImageSet& set) {
  Data data;
  torch::Tensor pixels = torch::from_blob(const_cast<std::uint8_t*>(set.pixels.data()),
                                          {set.count, 1, set.rows, set.cols}, torch::kUInt8);
  data.images = pixels.to(torch::kFloat32).div_(255.0f);
  torch::Tensor labels =
      torch::from_blob(const_cast<std::uint8_t*>(set.labels.data()), {set.count}, torch::kUInt8);
  data.labels = labels.to(torch::kInt64);
  return data;
}

std::vector<float> image_input(const ImageSet& set, std::int64_t index) {
  std::vector<float> x(static_cast<std::size_t>(set.image_size()));
  const std::uint8_t* p = set.pixels.data() + index * set.image_size();
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(p[i]) / 255.0f;
  return x;
}

PhaseHooks dense_hooks(Network& net) {
  PhaseHooks hooks;
  for (const auto& w : net.weights()) {
    hooks.parameters.push_back(w);
    hooks.decayed.push_back(w);
  }
  for (const auto& b : net.biases()) hooks.parameters.push_back(b);
  return hooks;
}

std::vector<EpochStats> train_phase(const Network& net, const Data& data, const Schedule& schedule,
                                    const PhaseHooks& hooks, std::uint64_t seed, const std::string& phase,
                                    const ProgressFn& progress) {
  std::vector<EpochStats> stats;
  if (schedule.epochs <= 0 || data.size() == 0) return stats;
  auto generator = at::detail::createCPUGenerator(seed);
  // Momentum buffers per parameter; decay flags by identity.
  std::vector<torch::Tensor> velocity;
  std::vector<bool> decay;
  for (const auto& p : hooks.parameters) {
    velocity.push_back(torch::zeros_like(p));
    bool d = schedule.decay_all;
    for (const auto& q : hooks.decayed) d = d || q.is_same(p);
    decay.push_back(d);
  }
  const std::int64_t n = data.size();
  const std::int64_t batches = (n + schedule.batch_size - 1) / schedule.batch_size;
  const std::int64_t total_steps = batches * schedule.epochs;
  const auto warmup_steps = static_cast<std::int64_t>(std::ceil(schedule.warmup_epochs * static_cast<double>(batches)));
  const auto start = std::chrono::steady_clock::now();
  std::int64_t step = 0;
  for (int epoch = 1; epoch <= schedule.epochs; ++epoch) {
    torch::Tensor order = torch::randperm(n, generator, torch::kInt64);
    double loss_sum = 0.0;
    std::int64_t correct = 0;
    std::int64_t seen = 0;
    double lr = schedule.lr;
    for (std::int64_t b = 0; b < batches; ++b, ++step) {
      // Cosine annealing from lr to lr * final_lr over the whole phase, per step or per epoch.
      const double t =
          schedule.anneal_per_epoch
              ? static_cast<double>(epoch - 1) / static_cast<double>(schedule.epochs)
              : static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, total_steps - 1));
      lr = schedule.lr * (schedule.final_lr + (1.0 - schedule.final_lr) * 0.5 * (1.0 + std::cos(M_PI * t)));
      if (step < warmup_steps) lr *= static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
      const std::int64_t lo = b * schedule.batch_size;
      const std::int64_t hi = std::min(n, lo + schedule.batch_size);
      torch::Tensor idx = order.slice(0, lo, hi);
      torch::Tensor x = data.images.index_select(0, idx);
      torch::Tensor y = data.labels.index_select(0, idx);
      const std::vector<torch::Tensor> weights = hooks.weights ? hooks.weights() : net.weights();
      torch::Tensor logits = net.forward(x, weights);
      torch::Tensor loss = at::cross_entropy_loss(logits, y);
      for (auto& p : hooks.parameters) {
        if (p.grad().defined()) p.mutable_grad().zero_();
      }
      loss.backward();
      {
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < hooks.parameters.size(); ++i) {
          torch::Tensor p = hooks.parameters[i];
          if (!p.grad().defined()) continue;
          torch::Tensor g = p.grad();
          if (decay[i] && schedule.weight_decay > 0.0) g = g.add(p, schedule.weight_decay);
          velocity[i].mul_(schedule.momentum).add_(g);
          p.add_(velocity[i], -lr);
        }
        if (hooks.after_step) hooks.after_step();
      }
      const std::int64_t m = hi - lo;
      loss_sum += loss.item<double>() * static_cast<double>(m);
      correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
      seen += m;
      const bool done = b + 1 == batches;
      if (progress && (done || b % 20 == 0)) {
        progress({phase, epoch, schedule.epochs, b + 1, batches, loss_sum / static_cast<double>(seen),
                  static_cast<double>(correct) / static_cast<double>(seen), lr, done,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
      }
    }
    stats.push_back({loss_sum / static_cast<double>(seen), static_cast<double>(correct) / static_cast<double>(seen)});
  }
  return stats;
}

torch::Tensor predict(const Network& net, const torch::Tensor& images, const std::vector<torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  const std::int64_t n = images.size(0);
  for (std::int64_t lo = 0; lo < n; lo += 1000) {
    parts.push_back(net.forward(images.slice(0, lo, std::min(n, lo + 1000)), weights).argmax(1));
  }
  return parts.empty() ? torch::empty({0}, torch::kInt64) : torch::cat(parts);
}

double error_percent(const Network& net, const Data& data, const std::vector<torch::Tensor>& weights) {
  if (data.size() == 0) return 0.0;
  const torch::Tensor predicted = predict(net, data.images, weights);
  const auto wrong = predicted.ne(data.labels).sum().item<std::int64_t>();
  return 100.0 * static_cast<double>(wrong) / static_cast<double>(data.size());
}

double error_percent(const Network& net, const Data& data) { return error_percent(net, data, net.weights()); }

}  // namespace eie::train
