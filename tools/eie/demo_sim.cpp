// Demo section: AlexNet FC7 (Alex-7) on the 64-PE EIE, cycle by cycle: latency, load balance, padding, energy
// and power, with the output checked bit for bit against the fixed-point reference; then the demo's compressed
// LeNet-300-100 (trained in section 3, or section 2's untrained one) on a real Fashion-MNIST image.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fmt/core.h>

#include "command.h"
#include "eie/core.h"
#include "eie/dataset.h"
#include "eie/io.h"
#include "eie/sim.h"

namespace eie::cli {
namespace {

const DemoSection section(50, "The EIE accelerator, cycle-accurate: Alex-7 on 64 PEs", [](DemoContext& ctx) {
  const PaperLayer& fc7 = paper_benchmark_layer("Alex-7");
  CompressedLayer layer;
  if (const auto* shared = ctx.get<CompressedLayer>("alex7_layer")) {
    layer = *shared;
  } else {
    SyntheticLayerSpec spec{.name = fc7.name, .rows = fc7.rows, .cols = fc7.cols, .density = fc7.weight_density,
                            .bits = 4, .bias = false, .seed = ctx.seed};
    if (ctx.quick) spec.rows = spec.cols = 512;
    layer = synthetic_layer(spec);
  }
  const std::vector<float> x = synthetic_activations(layer.cols, fc7.activation_density, ctx.seed + 1);
  const sim::Config config;  // the paper's design: 64 PEs, 800 MHz, queue 8, 64-bit SRAM
  const auto t0 = std::chrono::steady_clock::now();
  const sim::RunResult run = sim::simulate(layer, x, config);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const sim::FixedFormat format = sim::fixed_format(config);
  const bool exact = run.output == sim::fixed_reference(layer, sim::quantize(x, format), format);
  if (!exact) throw std::runtime_error("simulator output differs from the fixed-point reference");
  const sim::EnergyReport e = sim::energy(run.stats, config);
  const sim::Stats& s = run.stats;

  fmt::print("Layer {} ({} x {}), {:.1f}% of activations non-zero, on {} PEs at {} MHz, queue depth {}, {}-bit "
             "SRAM, 16-bit fixed point.\n", layer.name, layer.rows, layer.cols,
             100.0 * static_cast<double>(s.broadcasts) / static_cast<double>(layer.cols), config.num_pes,
             config.clock_mhz, config.fifo_depth, config.sram_width_bits);
  fmt::print("Cycles {} -> latency {:.2f} us ({:.0f} layers/s){}\n", s.cycles, s.latency_us(config),
             s.layers_per_s(config),
             ctx.quick ? "" : "; the paper measures 12.2 us (81,967 layers/s) for Alex-7");
  fmt::print("Load efficiency {:.1f}% (PE-cycles processing an entry, padding included), {:.1f}% of PE-cycles "
             "multiplying a non-padding entry; busiest PE {} entries, padding {:.1f}% of entries, {} broadcasts "
             "stalled by a full queue\n", 100.0 * s.load_efficiency(), 100.0 * s.useful_multiply_share(),
             s.max_pe_entries(), 100.0 * s.padding_fraction(), s.ccu_stall_cycles);
  fmt::print("Energy {:.3f} uJ per inference, average power {:.0f} mW, area {:.1f} mm^2, {:.3g} inferences/J\n",
             e.energy_uj, e.power_mw, e.area_mm2, e.frames_per_j);
  fmt::print("{:.1f} GOP/s on the compressed layer ({:.0f} GOP/s dense-equivalent). Output equal to the "
             "fixed-point reference bit for bit. Simulated {} PE-cycles in {:.0f} ms.\n",
             s.gops(config), s.dense_equivalent_gops(config), static_cast<long long>(s.cycles) * config.num_pes,
             seconds * 1e3);

  const EieFile* model = ctx.get<EieFile>("lenet_trained_eie");
  const bool trained = model != nullptr;
  if (!model) model = ctx.get<EieFile>("lenet_300_100_eie");
  if (!model || !std::filesystem::exists(default_dataset_dir)) return;
  const sim::SimulatedModel layers = sim::simulated_layers(model->model, "demo model");
  const sim::Config model_config = sim::fit_to_model(config, layers);  // the trained LeNet has 6-bit weights in ip1
  const ImageSet test = read_idx_images(std::string(default_dataset_dir) + "/t10k-images-idx3-ubyte.gz",
                                        std::string(default_dataset_dir) + "/t10k-labels-idx1-ubyte.gz").head(1);
  std::vector<float> image(test.pixels.size());
  std::transform(test.pixels.begin(), test.pixels.end(), image.begin(), [](std::uint8_t p) { return p / 255.0f; });
  std::vector<const CompressedLayer*> chain;
  for (const CompressedLayer& l : layers.chain) chain.push_back(&l);
  const sim::NetworkRun net = sim::simulate_network(chain, image, model_config);
  const auto nonzero = std::count_if(image.begin(), image.end(), [](float v) { return v != 0.0f; });
  fmt::print("\nThe {} compressed LeNet-300-100 on the first Fashion-MNIST test image ({} of {} pixels non-zero), "
             "{}-bit weights and {}-bit SRAM lines, activations flowing layer to layer (`eie sim FILE.eie --input X.npy` does this for any "
             "model):\n", trained ? "trained" : "untrained", nonzero, image.size(), model_config.weight_bits,
             model_config.sram_width_bits);
  for (const sim::LayerReport& r : net.report.layers) {
    fmt::print("  {} {}x{}: {:.1f}% of inputs non-zero, {} cycles, load efficiency {:.1f}%\n", r.name, r.rows, r.cols,
               100.0 * static_cast<double>(r.stats.broadcasts) / static_cast<double>(r.cols), r.stats.cycles,
               100.0 * r.stats.load_efficiency());
  }
  const auto predicted = std::max_element(net.output.begin(), net.output.end()) - net.output.begin();
  fmt::print("Inference: {} cycles = {:.2f} us at {} MHz ({:.3g} images/s), {:.3f} uJ; predicted class {} "
             "(label {}), every layer bit-exact against the fixed-point reference.\n", net.report.cycles,
             static_cast<double>(net.report.cycles) / config.clock_mhz, config.clock_mhz, net.report.frames_per_s,
             net.report.energy_uj, predicted, test.labels[0]);
});

}  // namespace
}  // namespace eie::cli
