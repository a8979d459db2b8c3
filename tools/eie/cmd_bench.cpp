// `eie bench --suite eie-paper`: the nine layers of the EIE paper's Table III on this machine, eie vs dense
// OpenBLAS vs Eigen CSR (and, in builds with oneDNN, vs its dense fp32 and int8 matmuls), measured in one process,
// printed like the paper's Table IV and written as JSON.
// `eie bench MODEL.eie` does the same for every compressed weight of a model, as an M x V on a synthetic input,
// then times the whole network against its decompressed self run with dense OpenBLAS (and oneDNN). With --device cuda (builds
// with the cuda module) the same layers run on the GPU instead: cuda_bench.cpp.
#include <unistd.h>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "eie/baseline.h"
#include "eie/core.h"
#include "eie/engine.h"
#include "eie/io.h"
#ifdef EIE_HAVE_CUDA
#include "eie/cuda.h"
#endif
#include "cuda_bench.h"
#include "layer_bench.h"
#include "network_bench.h"

namespace eie::cli {
namespace {

// Appends one baseline's speedup in each timing round (its round median over eie's) to that round's list.
void add_round_ratios(std::vector<std::vector<double>>& per_round, const std::vector<double>& baseline_round_us,
                      const std::vector<double>& eie_round_us) {
  per_round.resize(eie_round_us.size());
  for (std::size_t r = 0; r < eie_round_us.size(); ++r) per_round[r].push_back(baseline_round_us[r] / eie_round_us[r]);
}

struct BenchOptions {
  std::string model;
  double input_density = 1.0;
  bool input_density_given = false;
  bool skip_zero_activations = false;
  std::string suite;
  std::string batches = "1,64";
  std::string threads = "1,2";
  std::string kernel = "auto";
  std::string precision = "fp32";
  bool compact_codes = false;
  bool profile = false;
  std::string layout = "auto";
  std::string layers;
  std::string json;
  double budget = 0.3;
  std::uint64_t seed = 1;
  std::string device = "cpu";
  bool threads_or_kernel_given = false;  // CPU-only options, refused with --device cuda
};

std::vector<std::int64_t> parse_list(const std::string& text, const char* option, std::int64_t lo, std::int64_t hi) {
  std::vector<std::int64_t> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    std::int64_t v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || v < lo || v > hi) {
      throw Error(fmt::format("{}: '{}' is not an integer in {}..{}", option, item, lo, hi));
    }
    values.push_back(v);
  }
  if (values.empty()) throw Error(fmt::format("{}: empty list", option));
  return values;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

nlohmann::json describe_machine(double ghz, KernelIsa isa) {
  nlohmann::json m;
  m["cpu"] = cpu_model();
  m["logical_cores"] = std::thread::hardware_concurrency();
  m["measured_core_ghz"] = std::round(ghz * 100) / 100;
  m["kernel_isa"] = kernel_isa_name(isa);
  m["l1d_bytes"] = sysconf(_SC_LEVEL1_DCACHE_SIZE);
  m["l2_bytes"] = sysconf(_SC_LEVEL2_CACHE_SIZE);
  m["l3_bytes_reported"] = sysconf(_SC_LEVEL3_CACHE_SIZE);
  m["openblas"] = openblas_get_config();
  m["openblas_core"] = openblas_core();
  m["compiler"] = fmt::format("GCC {}.{}", __GNUC__, __GNUC_MINOR__);
  m["timing"] = "steady_clock per run; warm-up runs first; warm caches (same weights and inputs every run); "
                "median and p99 over the timed runs";
  return m;
}

double geomean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += std::log(x);
  return v.empty() ? 0.0 : std::exp(s / static_cast<double>(v.size()));
}

// The model's compressed weights (when `model` is given), or the suite's layers.
std::vector<BenchLayer> bench_layers(const BenchOptions& o, const Model* model) {
  std::vector<BenchLayer> out;
  if (model != nullptr) {
    for (const auto& [name, weight] : model->compressed) {
      const std::int64_t cols = weight.layer.cols;
      out.push_back({name, weight.layer, [cols, &o](std::int64_t b) {
                       return synthetic_activations(cols, o.input_density, o.seed + static_cast<std::uint64_t>(b));
                     }});
      out.back().weights.bias.clear();  // the baselines time W x alone
    }
    if (out.empty()) throw Error(o.model + ": the model has no compressed weight to time");
    return out;
  }
  if (o.suite != "eie-paper") throw Error("--suite: '" + o.suite + "' is not a suite (available: eie-paper)");
  std::vector<const PaperLayer*> layers;
  if (o.layers.empty()) {
    for (const PaperLayer& l : paper_benchmark_layers()) layers.push_back(&l);
  } else {
    std::stringstream in(o.layers);
    std::string name;
    while (std::getline(in, name, ',')) layers.push_back(&paper_benchmark_layer(name));
  }
  for (const PaperLayer* l : layers) {
    out.push_back({l->name, paper_layer_weights(*l, o.seed), [l, &o](std::int64_t b) {
                     const std::uint64_t seed = o.seed + static_cast<std::uint64_t>(b);
                     return o.input_density_given ? synthetic_activations(l->cols, o.input_density, seed)
                                                  : paper_layer_input(*l, seed);
                   }});
  }
  return out;
}

// "3.10 MB", or "12.3 KB" below 0.1 MB.
std::string megabytes(std::int64_t bytes) {
  return bytes < 100000 ? fmt::format("{:.1f} KB", bytes / 1e3) : fmt::format("{:.2f} MB", bytes / 1e6);
}

// A layer's sizes from its first comparison: the batch-1 engine layout (LayerPlanInfo::bytes_for(1)) and the dense
// baseline's fp32 matrix.
struct LayerMemory {
  std::int64_t engine_batch1 = 0;
  std::int64_t dense = 0;
};

// Each layer's batch-1 engine layout against its size in the paper's storage format (paper_encoding_bytes).
void print_memory(const std::vector<BenchLayer>& layers, const std::map<std::string, LayerMemory>& memory,
                  nlohmann::json& doc) {
  doc["memory"] = nlohmann::json::array();
  std::vector<std::string> cells;
  for (const BenchLayer& l : layers) {
    const auto found = memory.find(l.name);
    if (found == memory.end()) continue;
    const LayerMemory& bytes = found->second;
    nlohmann::json m{{"layer", l.name}, {"engine_batch1_bytes", bytes.engine_batch1}, {"dense_fp32_bytes", bytes.dense}};
    if (l.weights.codebook.zero_reserved()) {
      const std::int64_t encoded = paper_encoding_bytes(l.weights);
      m["eie_encoded_bytes"] = encoded;
      cells.push_back(fmt::format("{} {}/{} = {:.2f}x", l.name, megabytes(bytes.engine_batch1), megabytes(encoded),
                                  static_cast<double>(bytes.engine_batch1) / static_cast<double>(encoded)));
    } else {
      cells.push_back(fmt::format("{} {} (no reserved zero: no EIE encoding)", l.name, megabytes(bytes.engine_batch1)));
    }
    doc["memory"].push_back(m);
  }
  fmt::print("\nMemory, the batch-1 layout against the paper's 64-PE EIE encoding (4-bit indices, padding, pointers):\n");
  for (std::size_t i = 0; i < cells.size(); i += 3) {
    fmt::print("  {}\n", fmt::join(cells.begin() + static_cast<std::ptrdiff_t>(i),
                                   cells.begin() + static_cast<std::ptrdiff_t>(std::min(cells.size(), i + 3)), "; "));
  }
}

// Where one run of the network goes, per operator type (--profile), beside the dense network's; into `row` too.
void print_profile(const Model& model, std::int64_t batch, int threads, KernelIsa kernel, double budget,
                   Precision precision, bool compact_codes, Layout layout, nlohmann::json& row) {
  const std::vector<ProfileRow> rows = profile_network(model, batch, threads, kernel, budget, precision, compact_codes,
                                                       layout);
  double eie_total = 0.0, dense_total = 0.0;
  for (const ProfileRow& r : rows) {
    eie_total += r.eie_us;
    dense_total += r.dense_us;
  }
  fmt::print("  {:>21} per operator, every node timed (means per run, us; `(weight)`: products over a stored weight):\n"
             "  {:>21} {:<24} {:>6} {:>10} {:>6} {:>10}\n", "", "", "operator", "nodes", "eie", "share", "dense");
  row["profile"] = nlohmann::json::array();
  for (const ProfileRow& r : rows) {
    fmt::print("  {:>21} {:<24} {:>6} {:>10.1f} {:>5.1f}% {:>10.1f}\n", "", r.what, r.nodes, r.eie_us,
               eie_total > 0.0 ? 100.0 * r.eie_us / eie_total : 0.0, r.dense_us);
    row["profile"].push_back({{"operator", r.what}, {"nodes", r.nodes}, {"eie_us", r.eie_us}, {"dense_us", r.dense_us}});
  }
  fmt::print("  {:>21} {:<24} {:>6} {:>10.1f} {:>6} {:>10.1f}\n", "", "all nodes", "", eie_total, "", dense_total);
}

void run_bench(const BenchOptions& o, const std::string& command_line) {
  if (o.model.empty() == o.suite.empty()) throw Error("eie bench: give a model file (.eie) or --suite eie-paper");
  if (!o.model.empty() && !o.layers.empty()) throw Error("--layers: only with --suite");
  if (o.profile && o.model.empty()) throw Error("--profile: only with a model file (it times the nodes of a network)");
  if (o.profile && o.device == "cuda") throw Error("--profile: the CPU engine's option, not used with --device cuda");
  const std::vector<std::int64_t> batches = parse_list(o.batches, "--batch", 1, 256);
  const std::vector<std::int64_t> threads = parse_list(o.threads, "--threads", 1, EngineOptions::max_threads);
  const KernelIsa kernel = parse_kernel_isa(o.kernel);
  if (!kernel_isa_available(kernel)) throw Error("--kernel: '" + o.kernel + "' is not available on this CPU");
  const Precision precision = parse_precision(o.precision);
  if (!precision_available(precision) && !precision_runs_on(precision, kernel)) {  // bf16: also --kernel scalar
    throw Error("--precision: '" + o.precision + "' needs " + precision_instructions(precision) + ", which this CPU lacks");
  }
  if (precision != Precision::fp32 && o.device == "cuda") throw Error("--precision: the CPU engine's option, not used with --device cuda");
  check_compact_codes(o.compact_codes, precision);
  const Layout layout = parse_layout_option(o.layout);
  if (layout != Layout::automatic && o.device == "cuda") {
    throw Error("--layout: the CPU engine's option, not used with --device cuda");
  }
  check_layout(layout, precision, kernel);
  if (!(o.budget > 0.0 && o.budget <= 60.0)) throw Error(fmt::format("--budget: {} is outside (0, 60] seconds", o.budget));
  if (o.device != "cpu" && o.device != "cuda") throw Error("--device: '" + o.device + "' is not a device (cpu or cuda)");
  if (o.device == "cuda" && o.threads_or_kernel_given) throw Error("--threads and --kernel: CPU options, not used with --device cuda");
#ifdef EIE_HAVE_CUDA
  if (o.device == "cuda") cuda_device_info();  // no GPU: fail before building the layers
#endif
  std::optional<Model> model;  // loaded once: its layers here, the whole network after them
  if (!o.model.empty()) model = load_eie(o.model).model;
  const std::vector<BenchLayer> layers = bench_layers(o, model ? &*model : nullptr);
#ifdef EIE_HAVE_CUDA
  if (o.device == "cuda") {
    run_cuda_bench(layers, CudaBenchOptions{.batches = batches, .budget = o.budget, .json = o.json,
                                            .command_line = command_line,
                                            .title = o.model.empty() ? "--suite " + o.suite : o.model});
    if (model) fmt::print("(Whole-network timing runs on the CPU engine only: run without --device cuda.)\n");
    return;
  }
#endif

  const double ghz = measure_core_ghz();
  const KernelIsa isa = kernel == KernelIsa::automatic ? best_kernel_isa() : kernel;
  nlohmann::json doc;
  doc["command"] = command_line;
  doc["machine"] = describe_machine(ghz, isa);
  doc["precision"] = precision_name(precision);
  doc["compact_codes"] = o.compact_codes;
  doc["layout"] = layout_name(layout);
  doc["results"] = nlohmann::json::array();
  fmt::print("eie bench {}: {} ({} logical cores, {:.2f} GHz measured), kernels {}{}\n",
             (o.model.empty() ? "--suite " + o.suite : o.model) +
                 (o.model.empty() && !o.input_density_given ? ""
                                                            : fmt::format(" (inputs synthetic, {:.0f}% non-zero)", 100 * o.input_density)),
             cpu_model(), std::thread::hardware_concurrency(), ghz, kernel_isa_name(isa),
             precision == Precision::bf16   ? ", precision bf16 (inputs and weights rounded to bfloat16 where a layer "
                                              "takes sell16x2 and tcsrx2; dense and CSR in fp32)"
             : precision == Precision::int8 ? (o.compact_codes ? ", precision int8 with compact codes (inputs and weights "
                                                                 "quantized to 8 bits where a layer takes sell16x4c; dense "
                                                                 "and CSR in fp32)"
                                                               : ", precision int8 (inputs and weights quantized to 8 bits "
                                                                 "where a layer takes sell16x4 or sell16 in int8; dense and CSR in fp32)")
                                            : "");
  fmt::print("Timing: warm caches; the implementations take turns in {} rounds (each: a warm-up, then a block of runs),\n"
             ">= 20 runs / {:.2f} s per implementation in all; medians (p99 for eie).\n"
             "Dense = OpenBLAS sgemv/sgemm ({} kernels) on the decompressed fp32 layer; CSR = Eigen SparseMatrix<float, "
             "RowMajor>;\neach baseline: the faster of 1 thread and the configured threads.\n",
             kCompareRounds, o.budget, openblas_core());
#ifdef EIE_HAVE_ONEDNN
  fmt::print("oneDNN = its dense matmul on the decompressed layer, fp32, and int8 (u8 or s8 inputs x s8 weights with "
             "VNNI where the\nCPU has it, one scale per tensor, eie's rounding), each the faster of 1 thread and the "
             "configured threads.\n");
#endif

  // round_vs_*[r]: each layer's speedup in round r alone, for the spread of the geometric mean over the rounds.
  struct Summary {
    std::vector<double> vs_dense, vs_csr;
    std::vector<std::vector<double>> round_vs_dense, round_vs_csr;
    bool all_beat_dense = true, all_beat_csr = true;
    std::vector<double> vs_onednn_fp32, vs_onednn_int8;  // builds with oneDNN
    std::vector<std::vector<double>> round_vs_onednn_fp32, round_vs_onednn_int8;
    std::vector<std::string> onednn_rows;  // its table, printed after the main one
  };
  // "lo-hi" of the geometric means of each round's speedups.
  const auto round_spread = [](const std::vector<std::vector<double>>& per_round) {
    double lo = 0.0, hi = 0.0;
    for (std::size_t r = 0; r < per_round.size(); ++r) {
      const double g = geomean(per_round[r]);
      lo = r == 0 ? g : std::min(lo, g);
      hi = r == 0 ? g : std::max(hi, g);
    }
    return fmt::format("{:.1f}x-{:.1f}x", lo, hi);
  };
  // oneDNN's outputs checked against dense fp32 as eie's are, then its speedups and its row of the oneDNN table.
  const auto add_onednn = [&](const LayerComparison& c, Summary& s) {
    if (c.onednn_fp32.vs_dense.relative > 1e-3 || c.onednn_int8.vs_dense.of_scale > 1.0 / 32) {
      throw std::runtime_error(fmt::format("{}: oneDNN and dense disagree (fp32 {}, int8 {})", c.name,
                                           c.onednn_fp32.vs_dense.relative, c.onednn_int8.vs_dense.of_scale));
    }
    const double vs_fp32 = c.onednn_fp32.timing.median_us / c.eie.median_us;
    const double vs_int8 = c.onednn_int8.timing.median_us / c.eie.median_us;
    s.vs_onednn_fp32.push_back(vs_fp32);
    s.vs_onednn_int8.push_back(vs_int8);
    add_round_ratios(s.round_vs_onednn_fp32, c.onednn_fp32.timing.round_median_us, c.eie.round_median_us);
    add_round_ratios(s.round_vs_onednn_int8, c.onednn_int8.timing.round_median_us, c.eie.round_median_us);
    s.onednn_rows.push_back(fmt::format("{:<8} {:>12.1f} {:>12.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.2f}", c.name,
                                        c.onednn_fp32.timing.median_us, c.onednn_int8.timing.median_us,
                                        c.eie.median_us, vs_fp32, vs_int8, 100 * c.onednn_int8.vs_dense.of_scale));
  };
  const auto print_onednn = [&](const Summary& s, std::int64_t t) {
    fmt::print("oneDNN dense matmul, the faster of 1 and {} thread{} (primitives created and weights reordered before "
               "the timing):\n{:<8} {:>12} {:>12} {:>10} {:>10} {:>10} {:>10}\n",
               t, t == 1 ? "" : "s", "layer", "fp32 us", "int8 us", "eie us", "xfp32", "xint8", "int8 diff%");
    for (const std::string& row : s.onednn_rows) fmt::print("{}\n", row);
    fmt::print("{:<8} geometric mean speedup: {:.1f}x over oneDNN fp32, {:.1f}x over oneDNN int8 (each round alone: {} "
               "and {});\n{:<8} the least layer's: {:.1f}x and {:.1f}x\n", "", geomean(s.vs_onednn_fp32),
               geomean(s.vs_onednn_int8), round_spread(s.round_vs_onednn_fp32), round_spread(s.round_vs_onednn_int8), "",
               *std::min_element(s.vs_onednn_fp32.begin(), s.vs_onednn_fp32.end()),
               *std::min_element(s.vs_onednn_int8.begin(), s.vs_onednn_int8.end()));
  };
  std::map<std::pair<std::int64_t, std::int64_t>, Summary> summaries;
  std::map<std::string, LayerMemory> memory;  // filled by each layer's first comparison

  for (std::int64_t batch : batches) {
    for (std::int64_t t : threads) {
      fmt::print("\nbatch {}, {} thread{}\n", batch, t, t == 1 ? "" : "s");
      fmt::print("{:<8} {:>11} {:>9} {:>6} {:>10} {:>10} {:>10} {:>10} {:>8} {:>7} {:>9} {:>8} {:>8} {:>8}\n", "layer",
                 "M x V", "entries", "act%", "dense us", "CSR us", "eie us", "eie p99", "xdense", "xCSR", "ent/c/core",
                 "eie MB", "GB/s", "probe");
      Summary& s = summaries[{batch, t}];
      std::vector<std::string> skipped;  // layers whose input was sparse enough for csc
      for (const BenchLayer& l : layers) {
        const CompressedLayer& layer = l.weights;
        const LayerComparison c = compare_layer(layer, l.make_input, batch, static_cast<int>(t), kernel, o.budget,
                                                o.skip_zero_activations, precision, o.compact_codes, true, layout);
        if (c.ran_sparse_kernel()) {
          skipped.push_back(fmt::format("{} ({:.0f}% < {:.0f}%)", l.name, 100 * c.activation_density,
                                        100 * c.plan.sparse_kernel_below));
        }
        const double vs_dense = c.dense.median_us / c.eie.median_us;
        const double vs_csr = c.csr.median_us / c.eie.median_us;
        const double entries = static_cast<double>(layer.nnz()) * static_cast<double>(batch);
        const double per_cycle = entries / (c.eie.median_us * 1e3 * ghz) / static_cast<double>(t);
        const std::int64_t bytes = c.eie_bytes();
        memory.emplace(l.name, LayerMemory{c.plan.bytes_for(1), c.dense_bytes});
        const double gbs = static_cast<double>(bytes) / (c.eie.median_us * 1e3);
        const double probe = measure_read_bandwidth(bytes, static_cast<int>(t));
        fmt::print("{:<8} {:>11} {:>9} {:>6.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>8.1f} {:>7.1f} {:>9.2f} "
                   "{:>8.2f} {:>8.1f} {:>8.1f}\n",
                   l.name, fmt::format("{}x{}", layer.rows, layer.cols), layer.nnz(), 100.0 * c.activation_density,
                   c.dense.median_us, c.csr.median_us,
                   c.eie.median_us, c.eie.p99_us, vs_dense, vs_csr, per_cycle,
                   static_cast<double>(bytes) / 1e6, gbs, probe);
        // bf16 rounds every weight and input by up to 2^-8 of itself, int8 by up to half a step of 1/127 or 1/255
        // of the largest, so an output near 0 may differ by that much of its row's sum |w x| (docs/engine.md): it
        // is checked against the largest output instead.
        const bool rounded = precision != Precision::fp32;
        const double disagreement = rounded ? c.max_error_of_scale : c.max_error;
        if (disagreement > (rounded ? 1.0 / 32 : 1e-3)) {
          throw std::runtime_error(fmt::format("{}: eie and dense disagree ({})", l.name, disagreement));
        }
        s.vs_dense.push_back(vs_dense);
        s.vs_csr.push_back(vs_csr);
        add_round_ratios(s.round_vs_dense, c.dense.round_median_us, c.eie.round_median_us);
        add_round_ratios(s.round_vs_csr, c.csr.round_median_us, c.eie.round_median_us);
        if (c.has_onednn) add_onednn(c, s);
        s.all_beat_dense = s.all_beat_dense && vs_dense > 1.0;
        s.all_beat_csr = s.all_beat_csr && vs_csr > 1.0;
        const std::pair<const char*, const Timing*> impls[] = {{"eie", &c.eie}, {"dense", &c.dense}, {"csr", &c.csr}};
        for (const auto& [impl, timing] : impls) {
          nlohmann::json r{{"layer", l.name}, {"rows", layer.rows}, {"cols", layer.cols}, {"batch", batch},
                           {"threads", t}, {"impl", impl},
                           {"median_us", timing->median_us}, {"p99_us", timing->p99_us}, {"runs", timing->runs},
                           {"round_median_us", timing->round_median_us}};
          if (std::string(impl) == "eie") {
            r["kernel"] = c.eie_kernel();
            if (c.plan.sell_slots > 0) r["sell16_slots"] = c.plan.sell_slots;
            r["entries"] = layer.nnz();
            r["bytes"] = bytes;
            r["resident_bytes"] = c.plan.resident_bytes;
            r["entries_per_cycle_per_core"] = per_cycle;
            r["effective_gb_per_s"] = gbs;
            r["probe_gb_per_s"] = probe;
            r["max_relative_difference_vs_dense"] = c.max_error;
            r["max_difference_of_largest_output_vs_dense"] = c.max_error_of_scale;
          } else {
            r["bytes"] = std::string(impl) == "dense" ? c.dense_bytes : c.csr_bytes;
          }
          doc["results"].push_back(r);
        }
        if (c.has_onednn) {
          for (const OnednnComparison* d : {&c.onednn_fp32, &c.onednn_int8}) {
            doc["results"].push_back({{"layer", l.name}, {"batch", batch}, {"threads", t},
                                      {"impl", d == &c.onednn_fp32 ? "onednn-fp32" : "onednn-int8"},
                                      {"median_us", d->timing.median_us}, {"p99_us", d->timing.p99_us},
                                      {"runs", d->timing.runs}, {"round_median_us", d->timing.round_median_us},
                                      {"bytes", d->bytes}, {"max_relative_difference_vs_dense", d->vs_dense.relative},
                                      {"max_difference_of_largest_output_vs_dense", d->vs_dense.of_scale}});
          }
        }
        std::fflush(stdout);
      }
      fmt::print("{:<8} geometric mean speedup: {:.1f}x over dense, {:.1f}x over CSR (each round alone: {} and {});\n"
                 "{:<8} eie faster than dense on every layer: {}; than CSR: {}\n", "", geomean(s.vs_dense),
                 geomean(s.vs_csr), round_spread(s.round_vs_dense), round_spread(s.round_vs_csr), "",
                 s.all_beat_dense ? "yes" : "no", s.all_beat_csr ? "yes" : "no");
      if (!s.onednn_rows.empty()) print_onednn(s, t);
      if (o.skip_zero_activations && batch == 1) {
        fmt::print("{:<8} visiting only the non-zero activations (spmv_csc__scalar, input density < break-even): {}\n", "",
                   skipped.empty() ? "no layer" : fmt::format("{}", fmt::join(skipped, ", ")));
      }
    }
  }
  print_memory(layers, memory, doc);
  if (model) {
    // The whole network against the same network decompressed, run layer by layer with dense OpenBLAS.
    doc["network"] = nlohmann::json::array();
    fmt::print("\nWhole network (ModelEngine; dense = every weight decompressed, OpenBLAS layer by layer{}):\n",
#ifdef EIE_HAVE_ONEDNN
               "; oneDNN = the\nsame with every product on oneDNN's matmul, fp32 or int8 (inputs quantized per product "
               "and call)"
#else
               ""
#endif
    );
    for (std::int64_t t : threads) {
      for (const NetworkComparison& c : compare_network(*model, batches, static_cast<int>(t), kernel, o.budget, precision,
                                                               o.compact_codes, true, layout)) {
        fmt::print("  batch {:>3}, {} thread{}: eie {:10.1f} us (p99 {:.1f}) | dense {:10.1f} us | {:.1f}x | max "
                   "difference {:.1e}\n", c.batch, t, t == 1 ? " " : "s", c.eie.median_us, c.eie.p99_us,
                   c.dense.median_us, c.dense.median_us / c.eie.median_us, c.max_error);
        nlohmann::json row{{"batch", c.batch}, {"threads", t}, {"eie_median_us", c.eie.median_us},
                           {"eie_p99_us", c.eie.p99_us}, {"dense_median_us", c.dense.median_us},
                           {"max_relative_difference", c.max_error}};
        if (c.has_onednn) {
          if (c.onednn_fp32_error > 1e-3 || c.onednn_int8_error > 1.0 / 32) {
            throw std::runtime_error(fmt::format("{}: the network on oneDNN and dense disagree (fp32 {}, int8 {})",
                                                 o.model, c.onednn_fp32_error, c.onednn_int8_error));
          }
          fmt::print("  {:>21} oneDNN fp32 {:10.1f} us | {:.1f}x | oneDNN int8 {:10.1f} us | {:.1f}x | max difference "
                     "of the largest output {:.1e}\n", "", c.onednn_fp32.median_us,
                     c.onednn_fp32.median_us / c.eie.median_us, c.onednn_int8.median_us,
                     c.onednn_int8.median_us / c.eie.median_us, c.onednn_int8_error);
          row["onednn_fp32_median_us"] = c.onednn_fp32.median_us;
          row["onednn_int8_median_us"] = c.onednn_int8.median_us;
          row["onednn_fp32_max_difference_of_largest_output"] = c.onednn_fp32_error;
          row["onednn_int8_max_difference_of_largest_output"] = c.onednn_int8_error;
        }
        if (o.profile) print_profile(*model, c.batch, static_cast<int>(t), kernel, o.budget, precision, o.compact_codes,
                                     layout, row);
        doc["network"].push_back(row);
      }
    }
  }
  fmt::print("\nColumns: M x V = the weight's rows x columns (outputs x inputs); entries = stored weights;\n"
             "act% = non-zero inputs; xdense/xCSR = speedup of eie's median\n"
             "(each round alone: the geometric means from each round's medians, lowest and highest);\n"
             "ent/c/core = stored entries x batch per cycle per thread; eie MB = the planned layout the batch reads\n"
             "(tcsr from the batch plan_info names, sell16 or csr16 below; `--json` adds the engine's resident_bytes, all layouts);\n"
             "GB/s = eie MB / median; probe = read bandwidth of a warm buffer of the same size with the same threads.\n");
  if (!o.json.empty()) {
    write_file_atomic(o.json, doc.dump(2) + "\n");
    fmt::print("Wrote {}\n", o.json);
  }
}

const CommandRegistration registration(60, [](CLI::App& root) {
#ifdef EIE_HAVE_ONEDNN
  const char* peers = "Time eie against dense OpenBLAS, Eigen CSR and oneDNN's dense fp32 and int8 matmuls";
#else
  const char* peers = "Time eie against dense OpenBLAS and Eigen CSR";
#endif
  auto* cmd = root.add_subcommand("bench", std::string(peers) + " (in CUDA builds, with --device cuda: cuBLAS and "
                                           "cuSPARSE) on a benchmark suite or a compressed model's layers");
  auto o = std::make_shared<BenchOptions>();
  cmd->add_option("model", o->model, "A compressed model (.eie): time each compressed weight as an M x V");
  cmd->add_option_function<double>("--input-density", [o](double v) { o->input_density = v; o->input_density_given = true; },
                                   "Share of non-zero values in the synthetic inputs (default: 1 for a model's "
                                   "layers; the suite's layers: their own, Table III)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--skip-zero-activations", o->skip_zero_activations,
                "Plan eie with EngineOptions::skip_zero_activations: batch-1 inputs sparser than a layer's break-even "
                "run on the kernel that visits only their non-zero activations");
  cmd->add_option("--suite", o->suite, "The suite: eie-paper (the nine layers of the EIE paper, Table III)");
  cmd->add_option("--batch", o->batches, "Comma-separated batch sizes (1..256)")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Comma-separated thread counts")->capture_default_str();
  cmd->add_option("--kernel", o->kernel, "auto, scalar, avx2, avx512 or neon")->capture_default_str();
  cmd->add_option("--precision", o->precision,
                  "eie's arithmetic: fp32; bf16 (AVX-512 BF16: inputs and weights rounded to bfloat16, products "
                  "summed in fp32; ~1.5-2x faster at batch 1, ~1.2-2.4x at batch 64); or int8 (AVX-512 VNNI, or AVX2: "
                  "each input and the weights quantized to 8 bits, sums exact in int32; ~3-4x faster at batch 1); bf16 and "
                  "int8 also on any CPU with --kernel scalar (portable kernels, slow)")
      ->capture_default_str();
  add_compact_codes_flag(cmd, &o->compact_codes);
  add_layout_option(cmd, &o->layout);
  cmd->add_flag("--profile", o->profile,
                "With a model: also time every node of the whole network, eie's and the dense one's, and print the "
                "time per operator type (two clock reads per node)");
  cmd->add_option("--layers", o->layers, "Comma-separated subset of the suite's layers (e.g. Alex-7,NT-We)");
  cmd->add_option("--budget", o->budget, "Seconds of timed runs per implementation and configuration")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the synthetic layers and inputs")->capture_default_str();
  cmd->add_option("--json", o->json, "Also write the results (and the machine) as JSON to this file");
#ifdef EIE_HAVE_CUDA
  cmd->add_option("--device", o->device, "cpu, or cuda: the GPU, eie's CUDA kernels against cuBLAS (fp32, fp16) and "
                                         "cuSPARSE")->capture_default_str();
#endif
  cmd->callback([o, cmd] {
    o->threads_or_kernel_given = cmd->count("--threads") > 0 || cmd->count("--kernel") > 0;
    std::string line = "eie bench " + (o->model.empty() ? "--suite " + o->suite : o->model) + " --batch " + o->batches +
                       (o->device == "cuda" ? " --device cuda" : " --threads " + o->threads + " --kernel " + o->kernel) +
                       fmt::format(" --budget {}", o->budget);
    if (!o->layers.empty()) line += " --layers " + o->layers;
    if (o->precision != "fp32") line += " --precision " + o->precision;
    if (o->compact_codes) line += " --compact-codes";
    if (o->layout != "auto") line += " --layout " + o->layout;
    run_bench(*o, line);
  });
});

}  // namespace
}  // namespace eie::cli
