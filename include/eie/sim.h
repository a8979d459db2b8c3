// eie/sim.h: the cycle-accurate EIE simulator (Han et al., ISCA 2016), its energy and area model, the
// nine-layer benchmark suite and design-space sweeps.
//
// simulate() runs one M x V on N processing elements, clock tick by clock tick: every hardware block (CCU with
// its LNZD tree, and per PE the activation queue, pointer read, sparse-matrix read, arithmetic unit and
// activation read/write) has propagate() (combinational, reads only registered state) and update() (latches).
// A run returns the fixed-point output, the cycle count and the event counts; the energy model turns the counts
// into joules and watts after the run. docs/simulator.md describes the model and every choice the paper
// leaves open.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "eie/core.h"
#include "eie/model.h"

namespace eie::sim {

// Design parameters. validate() throws Error naming the field and the value when one is out of range.
struct Config {
  int num_pes = 64;              // 1..1024
  int fifo_depth = 8;            // activation queue entries, 1..256
  int sram_width_bits = 64;      // sparse-matrix SRAM line, 16..512, a multiple of the entry size
  int weight_bits = 4;           // codebook index bits (v), 1..8
  int index_bits = 4;            // relative row index bits (z), 2..8
  int arith_bits = 16;           // fixed-point word (activations, weights, accumulators), 8..32
  int frac_bits = 8;             // fraction bits of that word, 0..arith_bits-1
  double clock_mhz = 800.0;      // (0, 10000]
  int ccu_latency = -1;          // cycles from the LNZD scan to the first broadcast; -1 = tree levels
  bool reuse_line = true;        // a column starting inside the buffered SRAM line reads no new line
  bool queue_includes_pointer = false;  // the column held after its pointer read counts against fifo_depth
  int spmat_sram_kb = 128;       // sparse-matrix SRAM per PE, 1..65536 KB
  int ptr_sram_kb = 32;          // pointer SRAM per PE (area and energy scaling only)

  int entry_bits() const { return weight_bits + index_bits; }
  int entries_per_line() const { return sram_width_bits / entry_bits(); }
  int lnzd_levels() const;       // ceil(log4 num_pes)
  int lnzd_nodes() const;        // one per group of 4 below it: 21 for 64 PEs
  int effective_ccu_latency() const { return ccu_latency < 0 ? lnzd_levels() : ccu_latency; }
  // Cycles from a broadcast to the write of its first product on an otherwise idle PE, plus the CCU latency.
  int pipeline_depth() const { return effective_ccu_latency() + 6; }

  void validate() const;
  bool operator==(const Config&) const = default;
};

nlohmann::json to_json(const Config& config);
// Reads the keys present in `json` over `base`. Unknown keys and wrong types are errors naming `source`.
Config config_from_json(const nlohmann::json& json, const std::string& source, Config base = {});
Config load_config(const std::string& path, Config base = {});

// ---------------------------------------------------------------------------------------------------------
// Fixed point: values are integers in units of 2^-frac_bits, saturated to arith_bits (two's complement).
struct FixedFormat {
  int bits = 16;
  int frac = 8;
  std::int64_t max() const { return (std::int64_t{1} << (bits - 1)) - 1; }
  std::int64_t min() const { return -(std::int64_t{1} << (bits - 1)); }
  std::int32_t saturate(std::int64_t v) const;
  std::int32_t quantize(double v) const;        // round to nearest (ties away from zero), saturate
  double to_double(std::int32_t v) const;
  // (product of two words) -> one word: shift right by frac rounding half up, no saturation yet.
  std::int64_t rescale(std::int64_t product) const;
  // One multiply-accumulate exactly as the arithmetic unit does it.
  std::int32_t mac(std::int32_t acc, std::int32_t w, std::int32_t a) const { return saturate(acc + rescale(std::int64_t{w} * a)); }
};
FixedFormat fixed_format(const Config& config);
std::vector<std::int32_t> quantize(std::span<const float> x, const FixedFormat& format);

// The golden fixed-point M x V: bias quantized as the start value, then for every non-zero quantized
// activation in increasing column order, every stored entry of that column: acc = mac(acc, w, a). The
// simulator must equal it bit for bit.
std::vector<std::int32_t> fixed_reference(const CompressedLayer& layer, std::span<const std::int32_t> x,
                                          const FixedFormat& format);

// ---------------------------------------------------------------------------------------------------------
// Statistics of one run (event counts; no technology numbers).
struct PeCounters {
  std::int64_t busy = 0;           // cycles the sparse-matrix read issued an entry (real or padding)
  std::int64_t starved = 0;        // cycles without an entry while the CCU still had activations to send
  std::int64_t drained = 0;        // cycles without an entry after the CCU had sent everything
  std::int64_t queue_full = 0;     // cycles this PE's full queue held the broadcast back
  std::int64_t real_entries = 0;   // entries processed
  std::int64_t padding_entries = 0;
  std::int64_t columns = 0;        // activations popped from the queue (pointer reads)
  std::int64_t empty_columns = 0;  // of those, columns with no entry on this PE
  std::int64_t spmat_line_reads = 0;
  std::int64_t bypasses = 0;       // adder output forwarded to the adder (same accumulator, adjacent cycles)
  std::int64_t write_through = 0;  // accumulator read the value being written in the same cycle
  std::int64_t dest_reads = 0;
  std::int64_t dest_writes = 0;
  std::int64_t source_reads = 0;   // local activations scanned by this PE's leading non-zero detection
  std::int64_t queue_pushes = 0;
  std::int64_t queue_pops = 0;
  std::vector<std::int64_t> queue_occupancy;  // cycles spent at each occupancy 0..fifo_depth
};

struct Stats {
  std::int64_t cycles = 0;
  std::int64_t broadcasts = 0;        // non-zero activations sent
  std::int64_t ccu_stall_cycles = 0;  // cycles a full queue held the broadcast back
  std::int64_t lnzd_node_activations = 0;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t stored_entries = 0;    // real + padding entries in all PEs' SRAM (whole layer)
  std::vector<PeCounters> pes;

  // Sums over the PEs.
  PeCounters total() const;
  std::int64_t max_pe_entries() const;  // entries (real + padding) processed by the busiest PE
  // Two views of how busy the PEs are, both in 0..1:
  // load efficiency (the EIE paper's Figures 8 and 13): busy PE-cycles / (PEs * cycles), where a PE-cycle is
  // busy when it processes an entry, real or padding (= 1 - bubbles / total);
  // useful multiply share (the EIE authors' simulator's "load efficiency"): real (non-padding) entries
  // processed / (PEs * cycles), the PE-cycles whose multiply contributes to the output.
  // load_efficiency() - useful_multiply_share() is the share of PE-cycles spent on padding entries.
  double load_efficiency() const;
  double useful_multiply_share() const;
  double padding_fraction() const;      // padding / all entries processed
  double latency_us(const Config& c) const { return static_cast<double>(cycles) / c.clock_mhz; }
  double layers_per_s(const Config& c) const { return cycles == 0 ? 0.0 : c.clock_mhz * 1e6 / static_cast<double>(cycles); }
  // Useful operations (2 per real entry processed) per second, and the dense equivalent (2 * rows * cols).
  double gops(const Config& c) const;
  double dense_equivalent_gops(const Config& c) const;
};

struct RunResult {
  std::vector<std::int32_t> output;   // fixed-point accumulators, one per row (no activation function)
  Stats stats;
};

// Simulates y = W x + bias. x is quantized to the config's fixed point first. Throws Error if x has the wrong
// length, the codebook needs more than weight_bits, or a PE's slice does not fit the sparse-matrix SRAM.
RunResult simulate(const CompressedLayer& layer, std::span<const float> x, const Config& config);
RunResult simulate_fixed(const CompressedLayer& layer, std::span<const std::int32_t> x, const Config& config);
RunResult simulate_encoded(const EieEncoding& encoding, std::span<const std::int32_t> x, const Config& config);

// ---------------------------------------------------------------------------------------------------------
// Energy and area. Every number lives in EnergyTable with its source (docs/simulator.md prints the table).
struct EnergyTable {
  // Per event, pJ, at the reference design (64-bit spmat SRAM of 128 KB, 32 KB pointer SRAM, 16-bit words).
  double queue_push = 0, queue_pop = 0;
  double pointer_bank_read = 0;     // one 16-bit read of one of the two pointer banks
  double spmat_line_read = 0;       // one 64-bit line of the 128 KB sparse-matrix SRAM
  double spmat_entry_select = 0;    // per entry handed to the arithmetic unit
  double codebook_lookup = 0;       // per entry: codebook read + row address accumulate
  double multiply_add = 0;          // per real entry
  double register_access = 0;       // activation register file read or write
  double lnzd_node = 0;             // per node per broadcast
  // Per cycle, pJ (clock network), per PE module, and per LNZD node.
  double static_queue = 0, static_pointer = 0, static_spmat = 0, static_arith = 0, static_actrw = 0,
         static_lnzd = 0;
  // Area, um^2 per PE module at the reference design, and per LNZD node.
  double area_queue = 0, area_pointer = 0, area_spmat = 0, area_arith = 0, area_actrw = 0, area_filler = 0,
         area_lnzd = 0;
};
const EnergyTable& energy_table();  // calibrated to Table II (see energy.cpp for the derivation)

struct ModulePower { double queue = 0, pointer = 0, spmat = 0, arith = 0, actrw = 0, lnzd = 0; };

struct EnergyReport {
  ModulePower energy_pj;        // per module, whole chip
  double energy_uj = 0;         // per inference
  double power_mw = 0;          // average, whole chip
  double area_mm2 = 0;          // whole chip
  double frames_per_j = 0;
  double frames_per_s_per_mm2 = 0;
};
// The SRAM model: read energy and area against the reference design (documented in docs/simulator.md).
double spmat_read_scale(const Config& config);
double spmat_area_scale(const Config& config);
double area_mm2(const Config& config);
EnergyReport energy(const Stats& stats, const Config& config);
// The counts of `cycles` cycles with every block at its maximum rate (the calibration point).
Stats full_load_stats(const Config& config, std::int64_t cycles);

// ---------------------------------------------------------------------------------------------------------
// The nine-layer suite (core's paper_layer_weights / paper_layer_input) and sweeps.
struct LayerReport {
  std::string name;
  Config config;                          // the design it ran on
  std::int64_t rows = 0, cols = 0;
  Stats stats;
  EnergyReport energy;
  bool output_matches_reference = false;  // checked on every run
};

nlohmann::json to_json(const LayerReport& report);

// AlexNet FC6 -> FC7 -> FC8 with ReLU between, fixed-point activations flowing layer to layer (the destination
// registers of one layer become the source registers of the next).
struct ChainReport {
  std::vector<LayerReport> layers;
  std::int64_t cycles = 0;
  double frames_per_s = 0;
  double energy_uj = 0;
};

// Any stack of M x V layers (FC, or LSTM gates as M x V): layer k's output, through ReLU (not after the last
// layer), is layer k+1's input, in fixed point, as the destination registers become the source registers.
// Each layer's output is checked against fixed_reference (a mismatch throws std::runtime_error). Throws
// Error when x or a layer's input does not match the previous layer's output length.
struct NetworkRun {
  ChainReport report;
  std::vector<std::int32_t> output;  // the last layer's accumulators (no activation function)
};
NetworkRun simulate_network(const std::vector<const CompressedLayer*>& layers, std::span<const float> x,
                            const Config& config);

struct SuiteReport {
  std::vector<LayerReport> layers;
  bool has_chain = false;
  ChainReport chain;
};

// Runs the named paper layers (all nine when empty) and, with `chain`, the AlexNet FC6-FC8 chain, on
// `threads` workers (one layer per task, biggest first; the chain reuses the suite's layers). Every output is
// compared with fixed_reference(); a mismatch throws (a simulator bug, not a user error).
SuiteReport run_paper_suite(const Config& config, const std::vector<std::string>& layers, std::uint64_t seed,
                            int threads, bool chain);
std::vector<LayerReport> run_suite(const Config& config, const std::vector<std::string>& layers,
                                   std::uint64_t seed, int threads);
ChainReport run_alexnet_chain(const Config& config, std::uint64_t seed, int threads = 1);
// The layers to run: the nine in Table III order when `names` is empty; unknown names throw Error.
std::vector<const PaperLayer*> suite_layers(const std::vector<std::string>& names);

// A sweep over one parameter ("pes", "fifo", "sram-width"); every point runs the given layers. In a "pes"
// sweep each point's sparse-matrix SRAM is sized up (to a power of two KB) where a PE's slice would not fit,
// as the paper's scaling study must have; other sweeps keep the configured capacity.
struct SweepPoint {
  int value = 0;
  Config config;
  std::vector<LayerReport> layers;
};
// `progress`, when set, is called (from worker threads, serialised) after each run with (done, total).
std::vector<SweepPoint> run_sweep(const Config& base, const std::string& parameter, const std::vector<int>& values,
                                  const std::vector<std::string>& layers, std::uint64_t seed, int threads,
                                  const std::function<void(std::size_t, std::size_t)>& progress = {});
// Writes <prefix>.csv and <prefix>.json (each to a temporary file, then renamed). Returns the files written.
// Throws Error naming the file when it cannot be written.
std::vector<std::string> write_sweep(const std::vector<SweepPoint>& points, const std::string& parameter,
                                     const std::string& prefix);
// The paper's figures for the parameter as gnuplot scripts (data inline): Figure 8 for "fifo", Figure 9 for
// "sram-width", Figures 11-13 for "pes". Each script draws <base>.png and <base>.svg, written under those names
// plus kFigureTempSuffix, for the caller to rename once gnuplot succeeds. The library runs no program.
struct SweepFigure {
  std::string base;            // <prefix>_fig8 ...
  std::string gnuplot_script;
};
inline constexpr const char* kFigureTempSuffix = ".tmp";
std::vector<SweepFigure> sweep_figures(const std::vector<SweepPoint>& points, const std::string& parameter,
                                       const std::string& prefix);

// ---------------------------------------------------------------------------------------------------------
// Whole compressed models (`eie sim FILE.eie`, Python's Model.simulate). The Gemm / MatMul layers with
// compressed weights, in graph order, form one chain (ReLU between, as the paper's FC6-FC7-FC8); every other
// compressed weight (Conv, LSTM) is one M x V of its own. A graph that applies anything else between its FC
// layers (a transformer's attention, a Sigmoid) cannot run as a chain on the accelerator: each of its FC layers
// is then one M x V of its own too, and `chain_broken` says why.
struct SimulatedModel {
  std::vector<CompressedLayer> chain;       // FC layers, bias and Gemm's alpha/beta folded in
  std::vector<CompressedLayer> standalone;  // compressed Conv / LSTM weights (no bias), or every FC layer
  std::vector<std::string> standalone_ops;  // their op types
  std::string chain_broken;                 // "node 'x' (Sigmoid) lies between 'a' and 'b'; ...", or empty

  // The weight bits the accelerator needs: the largest codebook's bits.
  int weight_bits() const;
};

// The design widened to the model's codebooks: weight_bits = SimulatedModel::weight_bits(), and the SRAM line
// widened to keep as many entries per line as `config` had (64-bit lines of 8-bit entries -> 80-bit lines of
// 10-bit entries for 6-bit weights). A design that already fits is returned unchanged.
Config fit_to_model(Config config, const SimulatedModel& model);

// Throws Error naming `what` and the node when an FC layer between two compressed ones is dense (the
// activations could not flow through the accelerator) or when the model has no compressed weight.
SimulatedModel simulated_layers(const Model& model, const std::string& what);

struct ModelSimulationOptions {
  Config config;
  bool fit_design = true;     // widen `config` to the model's codebooks (fit_to_model)
  // The chain's input (as many values as its first layer's inputs, finite); none: synthetic_activations of
  // input_density and seed. The standalone layers always run on synthetic inputs (seed + 1, + 2, ...).
  std::optional<std::vector<float>> input;
  std::string input_name = "the input";  // names the input in errors ("x.npy: --input has shape [25]")
  // What feeds or reads the chain, named for errors ("--input", "--output", "--input and --output"; "" for
  // nothing). A model without FC layers accepts it only when it holds one weight and no graph: that weight
  // becomes the chain (ModelSimulation::single_weight); any other such model throws Error.
  std::string chain_io;
  double input_density = 1.0;
  std::uint64_t seed = 1;
};

struct ModelSimulation {
  Config config;                         // the design it ran on (after fit_design)
  std::vector<LayerReport> layers;       // the chain's layers, then the standalone ones
  std::int64_t chain_layers = 0;         // how many of `layers` form the chain
  bool single_weight = false;            // the chain is a graph-less model's one weight (chain_io)
  std::vector<std::string> standalone_ops;  // op type of each standalone layer
  std::string chain_broken;              // SimulatedModel::chain_broken: why the FC layers run alone
  ChainReport chain;                     // the chain's totals (cycles, frames/s, energy)
  std::vector<float> output;             // the chain's output, dequantized (no activation function)
  std::vector<float> float_output;       // the float model's output on the same weights and input
  std::int64_t input_size = 0, input_nonzero = 0;
  double seconds = 0;                    // wall time of the chain's simulation
};

// Throws Error (naming `what`) for a model simulated_layers() refuses, an input of the wrong length or with
// a NaN or Inf value, or a design that does not validate.
ModelSimulation simulate_model(const Model& model, const std::string& what, const ModelSimulationOptions& options);
// `eie sim FILE.eie --json`'s document: {config, model, layers: [to_json(LayerReport)...]}.
nlohmann::json to_json(const ModelSimulation& simulation, const std::string& model);

}  // namespace eie::sim
