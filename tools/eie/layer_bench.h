// The timing harness shared by `eie bench` and the demo: one layer, one batch size, one thread count, three
// implementations (eie, dense OpenBLAS, Eigen CSR; in builds with oneDNN also its dense fp32 and int8 matmuls) built from the same CompressedLayer and timed the same way
// in the same process: warm-up runs, then as many timed runs as fit the time budget (at least min_runs), each
// timed alone with steady_clock; caches are warm (steady state: the same weights and inputs every run).
// The implementations take turns in rounds (each round: every implementation's warm-up, then a block of its
// runs), so that a drift of the machine during the measurement (its clock, other tenants of a shared host)
// reaches every implementation alike and the speedups compare like with like.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "eie/core.h"
#include "eie/engine.h"

namespace eie::cli {

// One layer to time and how its inputs are made (`eie bench` on the CPU and on the GPU).
struct BenchLayer {
  std::string name;
  CompressedLayer weights;
  std::function<std::vector<float>(std::int64_t)> make_input;  // input of batch element b
};

struct Timing {
  double median_us = 0.0;
  double p99_us = 0.0;
  int runs = 0;
  std::vector<double> round_median_us;  // the median of each round's block (time_in_rounds)
};

// One implementation under test: what to set before each of its blocks (may be empty), how to run it once,
// and the least number of timed runs it gets in all.
struct TimedRun {
  TimedRun(std::function<void()> run_once, int least_runs, std::function<void()> before_block = {})
      : prepare(std::move(before_block)), run(std::move(run_once)), min_runs(least_runs) {}
  std::function<void()> prepare;
  std::function<void()> run;
  int min_runs;
  Timing timing;  // the result
};

// Times `runs` in `rounds` rounds; each gets budget_seconds in all (at least min_runs runs), a tenth of its
// share of a round as warm-up before each block.
void time_in_rounds(std::vector<TimedRun>& runs, double budget_seconds, int rounds);

// One implementation alone (one round).
Timing time_runs(const std::function<void()>& run, double budget_seconds, int min_runs);

// How far an implementation's outputs are from the dense fp32 baseline's.
struct Disagreement {
  double relative = 0.0;  // max |a - b| / max(1, |b|)
  double of_scale = 0.0;  // max |a - b| / max(1, max |b|): the check for rounded arithmetic (bf16, int8)
};

// oneDNN's dense matmul on the same layer (builds with oneDNN only; the faster of 1 thread and the configured
// threads, as for the other baselines).
struct OnednnComparison {
  Timing timing;
  std::int64_t bytes = 0;  // its reordered weights
  Disagreement vs_dense;
};

struct LayerComparison {
  std::string name;
  std::int64_t batch = 1;
  int threads = 1;
  Timing eie, dense, csr;
  bool has_onednn = false;  // onednn_fp32 and onednn_int8 were timed
  OnednnComparison onednn_fp32, onednn_int8;
  LayerPlanInfo plan;
  std::int64_t dense_bytes = 0;
  std::int64_t csr_bytes = 0;
  double activation_density = 0.0;  // measured on the inputs
  double max_error = 0.0;           // eie vs dense, max |a - b| / max(1, |b|)
  double max_error_of_scale = 0.0;  // eie vs dense, max |a - b| / max(1, max |b|): bf16's sanity check
  // Whether eie ran the activation-skipping plan.sparse_kernel (the input sparse enough for it).
  bool ran_sparse_kernel() const { return plan.sparse_kernel_runs(batch, activation_density); }
  // The kernel eie ran, and the layout it read.
  std::string eie_kernel() const { return ran_sparse_kernel() ? plan.sparse_kernel : plan.kernel_for(batch); }
  std::int64_t eie_bytes() const { return ran_sparse_kernel() ? plan.csc_bytes : plan.bytes_for(batch); }
};

// The layer's size in the paper's storage format: 64 PEs, 4-bit values and 4-bit relative indices, their padding
// entries and the column pointers (encode_eie), the measure of "compressed" the bench reports. Needs a reserved zero.
std::int64_t paper_encoding_bytes(const CompressedLayer& layer);

// The rounds compare_layer takes: enough to spread a drift over the implementations, few enough that each
// block stays long against its warm-up.
constexpr int kCompareRounds = 5;

// Times eie, dense, CSR and (with oneDNN) oneDNN fp32 and int8 on `layer` with `batch` inputs (input b built by make_input(b)); eie planned with
// EngineOptions::skip_zero_activations, precision and compact_codes as given; oneDNN only when with_onednn (and
// the build has it).
LayerComparison compare_layer(const CompressedLayer& layer, const std::function<std::vector<float>(std::int64_t)>& make_input,
                              std::int64_t batch, int threads, KernelIsa kernel, double budget_seconds,
                              bool skip_zero_activations = false, Precision precision = Precision::fp32,
                              bool compact_codes = false, bool with_onednn = false, Layout layout = Layout::automatic);

}  // namespace eie::cli
