// `eie sim`: the cycle-accurate EIE simulator on the paper's nine benchmark layers (--suite eie-paper), on
// some of them (--layer), as a design-space sweep (--sweep pes=1,2,4), or on a compressed model (FILE.eie,
// with a real input from --input). The design comes from the defaults
// (the paper's), then a JSON config file (--config), then the options; it is printed with every result.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "eie/io.h"
#include "eie/sim.h"
#include "sim_model.h"

namespace eie::cli {
namespace {

struct SimOptions {
  std::string model;
  std::string input;
  std::string output;
  double input_density = 1.0;
  std::string suite;
  std::vector<std::string> layers;
  std::string config_file;
  std::optional<int> pes, fifo, sram_width, weight_bits, index_bits, arith_bits, frac_bits, ccu_latency,
      spmat_sram_kb;
  std::optional<double> clock_mhz;
  bool no_line_reuse = false;
  bool queue_includes_pointer = false;
  std::uint64_t seed = 1;
  int threads = 0;
  std::string json_file;
  std::string sweep;
  std::string out = "eie_sim_sweep";
};

sim::Config build_config(const SimOptions& o) {
  sim::Config c;
  if (!o.config_file.empty()) c = sim::load_config(o.config_file, c);
  auto apply = [](const std::optional<int>& v, int& field) { if (v) field = *v; };
  apply(o.pes, c.num_pes);
  apply(o.fifo, c.fifo_depth);
  apply(o.sram_width, c.sram_width_bits);
  apply(o.weight_bits, c.weight_bits);
  apply(o.index_bits, c.index_bits);
  apply(o.arith_bits, c.arith_bits);
  apply(o.frac_bits, c.frac_bits);
  apply(o.ccu_latency, c.ccu_latency);
  apply(o.spmat_sram_kb, c.spmat_sram_kb);
  if (o.clock_mhz) c.clock_mhz = *o.clock_mhz;
  if (o.no_line_reuse) c.reuse_line = false;
  if (o.queue_includes_pointer) c.queue_includes_pointer = true;
  c.validate();
  return c;
}

std::string describe(const sim::Config& c) {
  return fmt::format("{} PEs, {} MHz, activation queue {}, {}-bit spmat SRAM ({} KB), {}+{}-bit entries, "
                     "{}-bit fixed point ({} fraction bits), CCU latency {}",
                     c.num_pes, c.clock_mhz, c.fifo_depth, c.sram_width_bits, c.spmat_sram_kb, c.weight_bits,
                     c.index_bits, c.arith_bits, c.frac_bits, c.effective_ccu_latency());
}

// "load eff": PE-cycles processing an entry, padding included (the paper's figures); "useful": PE-cycles
// multiplying a real entry (the authors' simulator's measure); "padding": the padding share of entries.
void print_table(const std::vector<sim::LayerReport>& reports) {
  fmt::print("{:<8} {:>12} {:>9} {:>11} {:>9} {:>8} {:>8} {:>10} {:>10} {:>9}\n", "layer", "outputs x in", "cycles",
             "latency us", "load eff", "useful", "padding", "energy uJ", "power mW", "GOP/s");
  for (const sim::LayerReport& r : reports) {
    fmt::print("{:<8} {:>12} {:>9} {:>11.2f} {:>8.1f}% {:>7.1f}% {:>7.1f}% {:>10.3f} {:>10.1f} {:>9.1f}\n", r.name,
               fmt::format("{}x{}", r.rows, r.cols), r.stats.cycles, r.stats.latency_us(r.config),
               100.0 * r.stats.load_efficiency(), 100.0 * r.stats.useful_multiply_share(),
               100.0 * r.stats.padding_fraction(), r.energy.energy_uj, r.energy.power_mw, r.stats.gops(r.config));
  }
  fmt::print("(load eff: PE-cycles processing an entry, padding included, as the paper's figures; useful: PE-cycles "
             "multiplying a non-padding entry)\n");
}

// Draws each figure with gnuplot (Debian's gnuplot-nox): the script goes to <base>.gp, the images are renamed
// into place only when gnuplot succeeds. Returns the images written.
std::vector<std::string> draw_figures(const std::vector<sim::SweepFigure>& figures) {
  std::vector<std::string> written;
  for (const sim::SweepFigure& f : figures) {
    const std::string script = f.base + ".gp";
    write_file_atomic(script, f.gnuplot_script);
    const std::string command = "gnuplot '" + script + "' 2>/dev/null";
    const bool drawn = std::system(command.c_str()) == 0;
    std::filesystem::remove(script);
    for (const char* type : {".png", ".svg"}) {
      const std::string image = f.base + type;
      if (drawn) {
        std::filesystem::rename(image + sim::kFigureTempSuffix, image);
        written.push_back(image);
      } else {
        std::filesystem::remove(image + sim::kFigureTempSuffix);
      }
    }
    if (!drawn) throw Error("--sweep: gnuplot failed to draw " + f.base + ".png (is gnuplot installed?)");
  }
  return written;
}

std::pair<std::string, std::vector<int>> parse_sweep(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos) throw Error("--sweep: expected PARAM=V1,V2,... (pes, fifo, sram-width), got '" + spec + "'");
  const std::string parameter = spec.substr(0, eq);
  std::vector<int> values;
  std::stringstream list(spec.substr(eq + 1));
  for (std::string item; std::getline(list, item, ',');) {
    try {
      std::size_t used = 0;
      const int v = std::stoi(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
      values.push_back(v);
    } catch (const std::exception&) {
      throw Error("--sweep: '" + item + "' is not an integer");
    }
  }
  return {parameter, values};
}

// --input and --output feed the model's chain of FC layers. A model without one takes them only when it holds a
// single weight and no graph (compressed from .npy or safetensors): that weight is then the chain, one M x V.
// Any other model refuses them rather than ignore them. Returns whether the single weight became the chain.
bool chain_for_input(const SimOptions& o, SimulatedModel& layers) {
  if (!layers.chain.empty() || (o.input.empty() && o.output.empty())) return false;
  const bool both = !o.input.empty() && !o.output.empty();
  const std::string options = both ? "--input and --output" : !o.input.empty() ? "--input" : "--output";
  const bool graphless = !layers.standalone_ops.empty() && layers.standalone_ops.front() == "no graph";
  if (graphless && layers.standalone.size() == 1) {
    layers.chain.push_back(std::move(layers.standalone.front()));
    layers.standalone.clear();
    layers.standalone_ops.clear();
    return true;
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < layers.standalone.size(); ++i) {
    names.push_back(graphless ? layers.standalone[i].name
                              : fmt::format("{} ({})", layers.standalone[i].name, layers.standalone_ops[i]));
  }
  if (graphless) {
    throw Error(fmt::format("{}: {} {} a model with a graph or with one weight; this one has {} weights and no "
                            "graph to order them ({})", o.model, options, both ? "need" : "needs", names.size(), fmt::join(names, ", ")));
  }
  throw Error(fmt::format("{}: {} {} the model's fully connected layers, and it has none ({}); without {} each "
                          "weight runs on a synthetic input", o.model, options, both ? "feed" : "feeds", fmt::join(names, ", "), options));
}

// `eie sim FILE.eie`: the model's FC layers as one chain with its real activations flowing, then any other
// compressed weight (Conv, LSTM) as one M x V on a synthetic input.
void run_model(const SimOptions& o, sim::Config config) {
  const EieFile file = load_eie(o.model);
  SimulatedModel layers = simulated_layers(file.model, o.model);
  const bool single_weight = chain_for_input(o, layers);
  // Unless the design is given (options or a config file), it widens to the model's codebooks.
  if (!o.weight_bits && !o.sram_width && o.config_file.empty()) config = fit_to_model(config, layers);
  const sim::FixedFormat format = sim::fixed_format(config);

  std::vector<sim::LayerReport> reports;
  if (!layers.chain.empty()) {
    const std::int64_t cols = layers.chain.front().cols;
    std::vector<float> x;
    std::string source;
    if (!o.input.empty()) {
      const Tensor t = read_npy(o.input);
      if (t.numel() != cols) {
        throw Error(fmt::format("{}: --input has shape {} ({} values); layer '{}' takes {} inputs", o.input,
                                shape_string(t.shape), t.numel(), layers.chain.front().name, cols));
      }
      x = t.data;
      source = o.input;
    } else {
      x = synthetic_activations(cols, o.input_density, o.seed);
      source = fmt::format("synthetic, seed {}", o.seed);
    }
    const auto nonzero = std::count_if(x.begin(), x.end(), [](float v) { return v != 0.0f; });
    std::vector<const CompressedLayer*> chain;
    for (const CompressedLayer& layer : layers.chain) chain.push_back(&layer);
    const auto t0 = std::chrono::steady_clock::now();
    const sim::NetworkRun run = sim::simulate_network(chain, x, config);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // The float model on the same weights (ReLU between), to show what 16-bit fixed point costs.
    std::vector<float> ref = x;
    for (std::size_t k = 0; k < chain.size(); ++k) {
      const std::vector<double> y = reference_spmv(*chain[k], ref);
      ref.assign(y.begin(), y.end());
      if (k + 1 < chain.size()) {
        for (float& v : ref) v = std::max(v, 0.0f);
      }
    }
    std::vector<float> out(run.output.size());
    double max_error = 0, max_ref = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<float>(format.to_double(run.output[i]));
      max_error = std::max(max_error, std::abs(static_cast<double>(out[i]) - ref[i]));
      max_ref = std::max(max_ref, std::abs(static_cast<double>(ref[i])));
    }
    const auto argmax = [](const std::vector<float>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); };

    fmt::print("EIE, cycle-accurate: {}\n", describe(config));
    if (single_weight) {
      fmt::print("Model '{}' ({}): its one weight '{}' ({} x {}, no graph) as one M x V; input {} ({} of {} "
                 "non-zero)\n", file.model.name, o.model, chain.front()->name, chain.front()->rows, cols, source,
                 nonzero, cols);
    } else {
      fmt::print("Model '{}' ({}): {} fully connected layer{} as one chain, ReLU between, activations flowing in "
                 "fixed point; input {} ({} of {} non-zero)\n", file.model.name, o.model, chain.size(),
                 chain.size() == 1 ? "" : "s", source, nonzero, cols);
    }
    print_table(run.report.layers);
    fmt::print("Inference: {} cycles, {:.2f} us, {:.3g} inferences/s, {:.3f} uJ/inference. Simulated in {:.0f} ms.\n",
               run.report.cycles, static_cast<double>(run.report.cycles) / config.clock_mhz,
               run.report.frames_per_s, run.report.energy_uj, seconds * 1e3);
    fmt::print("Output: {} values, argmax {} (float model: argmax {}); max |fixed point - float| = {:.4g} "
               "(largest output {:.4g}). Every layer equals the fixed-point reference bit for bit.\n",
               out.size(), argmax(out), argmax(ref), max_error, max_ref);
    if (!o.output.empty()) {
      write_npy(o.output, Tensor{{static_cast<std::int64_t>(out.size())}, out});
      fmt::print("wrote {}\n", o.output);
    }
    reports = run.report.layers;
  }
  if (!layers.standalone.empty()) {
    std::vector<sim::LayerReport> standalone;
    for (std::size_t i = 0; i < layers.standalone.size(); ++i) {
      const CompressedLayer& layer = layers.standalone[i];
      const std::vector<float> x = synthetic_activations(layer.cols, o.input_density, o.seed + 1 + i);
      const sim::RunResult run = sim::simulate(layer, x, config);
      sim::LayerReport r{.name = layer.name, .config = config, .rows = layer.rows, .cols = layer.cols,
                         .stats = run.stats, .energy = sim::energy(run.stats, config),
                         .output_matches_reference =
                             run.output == sim::fixed_reference(layer, sim::quantize(x, format), format)};
      if (!r.output_matches_reference) throw std::runtime_error("simulator output differs from the fixed-point reference");
      standalone.push_back(std::move(r));
    }
    if (layers.chain.empty()) fmt::print("EIE, cycle-accurate: {}\n", describe(config));
    fmt::print("Other compressed weights ({}), each one M x V on a synthetic input of density {} (seed {}+):\n",
               fmt::format("{}", fmt::join(layers.standalone_ops, ", ")), o.input_density, o.seed + 1);
    print_table(standalone);
    reports.insert(reports.end(), standalone.begin(), standalone.end());
  }
  if (!o.json_file.empty()) {
    nlohmann::json json{{"config", sim::to_json(config)}, {"model", o.model}, {"layers", nlohmann::json::array()}};
    for (const auto& r : reports) json["layers"].push_back(sim::to_json(r));
    write_file_atomic(o.json_file, json.dump(1) + "\n");
    fmt::print("wrote {}\n", o.json_file);
  }
}

void run(const SimOptions& o) {
  const sim::Config config = build_config(o);
  if (!o.model.empty()) {
    if (!o.suite.empty() || !o.layers.empty() || !o.sweep.empty()) {
      throw Error("eie sim: give a model file or --suite/--layer/--sweep, not both");
    }
    return run_model(o, config);
  }
  if (!o.input.empty() || !o.output.empty()) throw Error("eie sim: --input and --output need a model file");
  const int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  if (!o.suite.empty() && o.suite != "eie-paper") throw Error("--suite: unknown suite '" + o.suite + "' (known: eie-paper)");
  if (o.suite.empty() && o.layers.empty()) throw Error("eie sim: give a model file (.eie), --suite eie-paper or --layer NAME");
  const std::vector<std::string> layers = o.suite.empty() ? o.layers : std::vector<std::string>{};
  const auto t0 = std::chrono::steady_clock::now();

  if (!o.sweep.empty()) {
    const auto [parameter, values] = parse_sweep(o.sweep);
    std::function<void(std::size_t, std::size_t)> progress;
    if (stdout_is_terminal()) {
      progress = [](std::size_t done, std::size_t total) {
        fmt::print(stderr, "\rsimulating: {}/{} runs", done, total);
        if (done == total) fmt::print(stderr, "\n");
      };
    }
    const std::vector<sim::SweepPoint> points =
        sim::run_sweep(config, parameter, values, layers, o.seed, threads, progress);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("Sweep of {} over {} points ({}), seed {}; base design: {}\n", parameter, values.size(), o.sweep,
               o.seed, describe(config));
    for (const sim::SweepPoint& p : points) {
      fmt::print("\n{} = {}\n", parameter, p.value);
      print_table(p.layers);
    }
    for (const std::string& file : sim::write_sweep(points, parameter, o.out)) fmt::print("wrote {}\n", file);
    for (const std::string& file : draw_figures(sim::sweep_figures(points, parameter, o.out))) {
      fmt::print("wrote {}\n", file);
    }
    fmt::print("Simulated in {:.2f} s on {} threads.\n", seconds, threads);
    return;
  }

  const sim::SuiteReport suite = sim::run_paper_suite(config, layers, o.seed, threads, o.suite == "eie-paper");
  const std::vector<sim::LayerReport>& reports = suite.layers;
  const sim::ChainReport* chain = suite.has_chain ? &suite.chain : nullptr;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  fmt::print("EIE, cycle-accurate: {}\nLayers: the paper's Table III shapes and densities, synthetic, seed {}; "
             "every output equals the fixed-point reference bit for bit.\n",
             describe(config), o.seed);
  print_table(reports);
  std::int64_t pe_cycles = 0;
  for (const auto& r : reports) pe_cycles += r.stats.cycles * r.config.num_pes;
  if (chain) {  // the chain's first layer is the suite's Alex-6 run, simulated once
    for (std::size_t i = 1; i < chain->layers.size(); ++i) pe_cycles += chain->layers[i].stats.cycles * config.num_pes;
  }
  if (chain) {
    for (const auto& r : chain->layers) {
      fmt::print("  chain {}: {:.1f}% of inputs non-zero, {} cycles\n", r.name,
                 100.0 * static_cast<double>(r.stats.broadcasts) / static_cast<double>(r.cols), r.stats.cycles);
    }
    fmt::print("AlexNet FC6 -> FC7 -> FC8 (ReLU between, activations flowing): {} cycles, {:.2f} us, "
               "{:.3g} frames/s (paper: 1.88e4), {:.3f} uJ/frame\n",
               chain->cycles, static_cast<double>(chain->cycles) / config.clock_mhz, chain->frames_per_s,
               chain->energy_uj);
    std::int64_t table_cycles = 0;
    for (const auto& r : reports) {
      if (r.name == "Alex-6" || r.name == "Alex-7" || r.name == "Alex-8") table_cycles += r.stats.cycles;
    }
    if (table_cycles > 0) {
      fmt::print("Alex-6 + Alex-7 + Alex-8 at Table III's input densities: {} cycles, {:.3g} frames/s\n", table_cycles,
                 config.clock_mhz * 1e6 / static_cast<double>(table_cycles));
    }
  }
  fmt::print("Area {:.2f} mm^2. Simulated {} PE-cycles in {:.2f} s on {} threads.\n", sim::area_mm2(config),
             pe_cycles, seconds, threads);

  if (!o.json_file.empty()) {
    nlohmann::json json{{"config", sim::to_json(config)}, {"seed", o.seed}, {"layers", nlohmann::json::array()}};
    for (const auto& r : reports) json["layers"].push_back(sim::to_json(r));
    if (chain) {
      nlohmann::json chain_layers = nlohmann::json::array();
      for (const auto& r : chain->layers) chain_layers.push_back(sim::to_json(r));
      json["alexnet_fc6_fc8"] = {{"cycles", chain->cycles}, {"frames_per_s", chain->frames_per_s},
                                 {"energy_uj", chain->energy_uj}, {"layers", chain_layers}};
    }
    write_file_atomic(o.json_file, json.dump(1) + "\n");
    fmt::print("wrote {}\n", o.json_file);
  }
}

const CommandRegistration registration(50, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("sim", "Cycle-accurate simulation of the EIE accelerator: the paper's "
                                         "benchmark layers, energy, area and design-space sweeps");
  auto o = std::make_shared<SimOptions>();
  cmd->add_option("model", o->model, "A compressed model (.eie): its fully connected layers as one chain with "
                                     "real activations flowing (ReLU between), other compressed weights alone");
  cmd->add_option("--input", o->input, "The input of the model's fully connected chain, or of its one weight "
                                       "when it has no graph (.npy, as many values as the first layer's inputs); "
                                       "default: synthetic, see --input-density");
  cmd->add_option("--input-density", o->input_density, "Share of non-zero values in a synthetic input (0..1)")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--output", o->output, "Write the model's output (dequantized) to this .npy file");
  cmd->add_option("--suite", o->suite, "Run a benchmark suite: eie-paper (the nine layers of Table III and the "
                                       "AlexNet FC6-FC8 chain)");
  cmd->add_option("--layer", o->layers, "Run one of the paper's layers by name (Alex-6 ... NT-LSTM); repeatable");
  cmd->add_option("--config", o->config_file, "JSON file with design parameters (keys as in --json's config)");
  cmd->add_option("--pes", o->pes, "Processing elements, num_pes (1..1024; default 64)");
  cmd->add_option("--fifo", o->fifo, "Activation queue depth, fifo_depth (1..256; default 8)");
  cmd->add_option("--sram-width", o->sram_width, "Sparse-matrix SRAM width in bits, sram_width_bits (16..512, a "
                                                 "multiple of the entry; default 64)");
  cmd->add_option("--weight-bits", o->weight_bits, "Weight index bits, weight_bits (default 4)");
  cmd->add_option("--index-bits", o->index_bits, "Relative row index bits, index_bits (default 4)");
  cmd->add_option("--arith-bits", o->arith_bits, "Fixed-point word, arith_bits (8..32; default 16)");
  cmd->add_option("--frac-bits", o->frac_bits, "Fraction bits of the word, frac_bits (default 8)");
  cmd->add_option("--clock-mhz", o->clock_mhz, "Clock, clock_mhz (default 800)");
  cmd->add_option("--ccu-latency", o->ccu_latency, "CCU start-up cycles, ccu_latency (-1 = LNZD tree levels)");
  cmd->add_option("--spmat-sram-kb", o->spmat_sram_kb, "Sparse-matrix SRAM per PE in KB (default 128)");
  cmd->add_flag("--no-line-reuse", o->no_line_reuse, "Read a new SRAM line at every column start");
  cmd->add_flag("--queue-includes-pointer", o->queue_includes_pointer,
                "Count the column waiting after its pointer read against the queue depth");
  cmd->add_option("--seed", o->seed, "Seed of the synthetic layers and inputs")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->add_option("--json", o->json_file, "Write the results as JSON to this file");
  cmd->add_option("--sweep", o->sweep, "Sweep one parameter: pes=1,2,4,..., fifo=1,2,..., sram-width=32,64,...");
  cmd->add_option("--out", o->out, "File prefix of the sweep's CSV, JSON and plots")->capture_default_str();
  cmd->callback([o] { run(*o); });
});

}  // namespace
}  // namespace eie::cli
