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

// The op types in order of first appearance ("MatMul, Gemm" for 24 MatMul weights and one Gemm).
std::vector<std::string> distinct(const std::vector<std::string>& ops) {
  std::vector<std::string> out;
  for (const std::string& op : ops) {
    if (std::find(out.begin(), out.end(), op) == out.end()) out.push_back(op);
  }
  return out;
}

// `eie sim FILE.eie`: the model's FC layers as one chain with its real activations flowing, then any other
// compressed weight (Conv, LSTM) as one M x V on a synthetic input.
void run_model(const SimOptions& o, sim::Config config) {
  const EieFile file = load_eie(o.model);
  sim::ModelSimulationOptions options;
  options.config = config;
  // Unless the design is given (options or a config file), it widens to the model's codebooks.
  options.fit_design = !o.weight_bits && !o.sram_width && o.config_file.empty();
  options.input_density = o.input_density;
  options.seed = o.seed;
  options.chain_io = !o.input.empty() && !o.output.empty() ? "--input and --output"
                     : !o.input.empty()                    ? "--input"
                     : !o.output.empty()                   ? "--output"
                                                           : "";
  std::string source = fmt::format("synthetic, seed {}", o.seed);
  if (!o.input.empty()) {
    const Tensor t = read_npy(o.input);
    options.input = t.data;
    options.input_name = fmt::format("{}: --input has shape {}", o.input, shape_string(t.shape));
    source = o.input;
  }
  const sim::ModelSimulation result = sim::simulate_model(file.model, o.model, options);
  config = result.config;
  const auto first = result.layers.begin();
  const std::vector<sim::LayerReport> chain(first, first + result.chain_layers);
  const std::vector<sim::LayerReport> standalone(first + result.chain_layers, result.layers.end());

  if (!chain.empty()) {
    double max_error = 0, max_ref = 0;
    for (std::size_t i = 0; i < result.output.size(); ++i) {
      max_error = std::max(max_error, std::abs(static_cast<double>(result.output[i]) - result.float_output[i]));
      max_ref = std::max(max_ref, std::abs(static_cast<double>(result.float_output[i])));
    }
    const auto argmax = [](const std::vector<float>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); };
    fmt::print("EIE, cycle-accurate: {}\n", describe(config));
    if (result.single_weight) {
      fmt::print("Model '{}' ({}): its one weight '{}' ({} x {}, no graph) as one M x V; input {} ({} of {} "
                 "non-zero)\n", file.model.name, o.model, chain.front().name, chain.front().rows,
                 result.input_size, source, result.input_nonzero, result.input_size);
    } else {
      fmt::print("Model '{}' ({}): {} fully connected layer{} as one chain, ReLU between, activations flowing in "
                 "fixed point; input {} ({} of {} non-zero)\n", file.model.name, o.model, chain.size(),
                 chain.size() == 1 ? "" : "s", source, result.input_nonzero, result.input_size);
    }
    print_table(chain);
    fmt::print("Inference: {} cycles, {:.2f} us, {:.3g} inferences/s, {:.3f} uJ/inference. Simulated in {:.0f} ms.\n",
               result.chain.cycles, static_cast<double>(result.chain.cycles) / config.clock_mhz,
               result.chain.frames_per_s, result.chain.energy_uj, result.seconds * 1e3);
    fmt::print("Output: {} values, argmax {} (float model: argmax {}); max |fixed point - float| = {:.4g} "
               "(largest output {:.4g}). Every layer equals the fixed-point reference bit for bit.\n",
               result.output.size(), argmax(result.output), argmax(result.float_output), max_error, max_ref);
    if (!o.output.empty()) {
      write_npy(o.output, Tensor{{static_cast<std::int64_t>(result.output.size())}, result.output});
      fmt::print("wrote {}\n", o.output);
    }
  }
  if (!standalone.empty()) {
    if (chain.empty()) fmt::print("EIE, cycle-accurate: {}\n", describe(config));
    if (!result.chain_broken.empty()) {
      fmt::print("Model '{}' ({}): its fully connected layers are no chain the accelerator can run ({})\n",
                 file.model.name, o.model, result.chain_broken);
    }
    fmt::print("{} ({}), each one M x V on a synthetic input of density {} (seed {}+):\n",
               result.chain_broken.empty() ? "Other compressed weights" : "Compressed weights",
               fmt::format("{}", fmt::join(distinct(result.standalone_ops), ", ")), o.input_density, o.seed + 1);
    print_table(standalone);
  }
  if (!o.json_file.empty()) {
    write_file_atomic(o.json_file, sim::to_json(result, o.model).dump(1) + "\n");
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
