// The M x V layers of a compressed model as the simulator runs them: the Gemm / MatMul layers with compressed
// weights, in graph order, form one chain (ReLU between, as the paper's FC6-FC7-FC8); every other compressed
// weight (Conv, LSTM) is one M x V of its own. Used by `eie sim FILE.eie` and the demo.
#pragma once

#include <string>
#include <vector>

#include "eie/core.h"
#include "eie/model.h"
#include "eie/sim.h"

namespace eie::cli {

struct SimulatedModel {
  std::vector<CompressedLayer> chain;       // FC layers, bias and Gemm's alpha/beta folded in
  std::vector<CompressedLayer> standalone;  // compressed Conv / LSTM weights (no bias)
  std::vector<std::string> standalone_ops;  // their op types

  // The weight bits the accelerator needs: the largest codebook's bits.
  int weight_bits() const;
};

// The design widened to the model's codebooks: weight_bits = SimulatedModel::weight_bits(), and the SRAM line
// widened to keep as many entries per line as `config` had (64-bit lines of 8-bit entries -> 80-bit lines of
// 10-bit entries for 6-bit weights). A design that already fits is returned unchanged.
sim::Config fit_to_model(sim::Config config, const SimulatedModel& model);

// Throws Error naming the model and the node when an FC layer between two compressed ones is dense (the
// activations could not flow through the accelerator) or when the model has no compressed weight.
SimulatedModel simulated_layers(const Model& model, const std::string& what);

}  // namespace eie::cli
