// Whole-network timing: a compressed model run by ModelEngine (compressed products through the engine's
// kernels) against the same network with every weight decompressed, run layer by layer with dense OpenBLAS
// (the same ModelEngine, whose dense path is sgemm), in the same process, timed the same way (layer_bench's
// time_runs: warm caches, medians). Used by the demo's network section and meant for `eie bench MODEL.eie
// --network` (hook: print network_bench_json(load_model(path), {1, 64}, threads, kernel, budget)).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eie/engine.h"
#include "eie/model.h"
#include "layer_bench.h"

namespace eie::cli {

struct NetworkComparison {
  std::int64_t batch = 1;
  int threads = 1;
  Timing eie, dense;
  double max_error = 0.0;  // eie vs dense, max |a - b| / max(1, |b|) over all outputs
  // with_onednn (builds with oneDNN): the decompressed network with every product on oneDNN's fp32 and int8
  // matmuls (OnednnBaseline; each product's inputs quantized per call), and their outputs against dense's.
  bool has_onednn = false;
  Timing onednn_fp32, onednn_int8;
  double onednn_fp32_error = 0.0, onednn_int8_error = 0.0;  // max |a - b| / max(1, max |b|) over each output
};

// The model with every compressed weight replaced by its decompressed dense tensor.
Model decompressed(const Model& model);

// Times the model at each batch size (dimension 0 of every graph input; other dynamic dimensions 1, as one
// decode step of a language model; seeded float inputs in [0, 1), integer inputs 0), the implementations taking
// turns in rounds (layer_bench's time_in_rounds). Throws Error when the model has no compressed weight or its
// inputs cannot take a batch dimension.
std::vector<NetworkComparison> compare_network(const Model& model, const std::vector<std::int64_t>& batches,
                                               int threads, KernelIsa kernel, double budget_seconds,
                                               Precision precision = Precision::fp32,
                                               bool compact_codes = false, bool with_onednn = false,
                                               Layout layout = Layout::automatic);
// One kind of node's share of a network's run (ModelEngineOptions::profile), in eie's network and the dense one.
struct ProfileRow {
  std::string what;  // the op type; "<op> (weight)" for a product over a constant weight
  int nodes = 0;
  double eie_us = 0.0, dense_us = 0.0;  // mean microseconds per run of the network
};

// Runs the model and its decompressed twin with every node timed, taking turns for `budget_seconds`, at one
// batch (inputs as compare_network's); rows by eie's time, longest first.
std::vector<ProfileRow> profile_network(const Model& model, std::int64_t batch, int threads, KernelIsa kernel,
                                        double budget_seconds, Precision precision, bool compact_codes, Layout layout);

nlohmann::json network_bench_json(const Model& model, const std::vector<std::int64_t>& batches, int threads,
                                  KernelIsa kernel, double budget_seconds);

}  // namespace eie::cli
