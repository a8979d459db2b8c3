// The top level: one CCU and N PEs ticked together. Each cycle: the CCU decides on a broadcast from the
// queues' registered "full" flags, every PE propagates, then everything latches. A PE with nothing in flight
// and no broadcast to receive is provably unchanged by a tick, so it is skipped and only its idle counters
// move; that is what makes long tails (one slow PE, 63 idle ones) cheap. The run ends at the first cycle after
// which the CCU has sent everything and every PE is idle: the last accumulator write is inside the count.
#include <algorithm>
#include <string>

#include "eie/sim.h"
#include "sim/pe.h"

namespace eie::sim {
namespace {

void check_fits(const EieEncoding& enc, const Config& config) {
  const std::int64_t capacity_bits = std::int64_t{config.spmat_sram_kb} * 8192;
  for (int k = 0; k < enc.num_pes; ++k) {
    const auto entries = static_cast<std::int64_t>(enc.pes[static_cast<std::size_t>(k)].entries.size());
    const std::int64_t bits = entries * config.entry_bits();
    if (bits > capacity_bits) {
      throw Error("layer '" + enc.name + "' needs " + std::to_string(entries) + " entries (" +
                  std::to_string((bits + 7) / 8) + " bytes) on PE " + std::to_string(k) + ", " +
                  std::to_string((bits - capacity_bits + 7) / 8) + " bytes more than the " +
                  std::to_string(config.spmat_sram_kb) + " KB sparse-matrix SRAM holds (raise spmat_sram_kb or "
                  "num_pes)");
    }
  }
}

// The blocks trust their inputs (as hardware does), so a malformed encoding is caught here: every PE's pointers
// in range and non-decreasing, every code inside the codebook, every row address inside the PE's rows.
void check_encoding(const EieEncoding& enc) {
  if (enc.pes.size() != static_cast<std::size_t>(enc.num_pes)) {
    throw Error("simulate: layer '" + enc.name + "' has " + std::to_string(enc.pes.size()) + " PE slices for " +
                std::to_string(enc.num_pes) + " PEs");
  }
  for (int k = 0; k < enc.num_pes; ++k) {
    const PeSlice& pe = enc.pes[static_cast<std::size_t>(k)];
    const std::string where = "simulate: layer '" + enc.name + "' PE " + std::to_string(k);
    if (pe.col_ptr.size() != static_cast<std::size_t>(enc.cols) + 1 || pe.col_ptr.front() != 0 ||
        pe.col_ptr.back() != pe.entries.size()) {
      throw Error(where + ": column pointers do not cover its " + std::to_string(pe.entries.size()) + " entries");
    }
    for (std::int64_t j = 0; j < enc.cols; ++j) {
      const std::uint32_t begin = pe.col_ptr[static_cast<std::size_t>(j)];
      const std::uint32_t end = pe.col_ptr[static_cast<std::size_t>(j) + 1];
      if (end < begin) throw Error(where + ": column " + std::to_string(j) + " pointers decrease");
      std::int64_t row = -1;
      for (std::uint32_t e = begin; e < end; ++e) {
        row += 1 + pe.entries[e].z;
        if (pe.entries[e].v >= enc.codebook.size() || row >= pe.num_rows) {
          throw Error(where + ": column " + std::to_string(j) + " entry " + std::to_string(e) +
                      " has code " + std::to_string(pe.entries[e].v) + " or row " + std::to_string(row) +
                      " outside the codebook (" + std::to_string(enc.codebook.size()) + ") or the PE's " +
                      std::to_string(pe.num_rows) + " rows");
        }
      }
    }
  }
}

}  // namespace

RunResult simulate(const CompressedLayer& layer, std::span<const float> x, const Config& config) {
  config.validate();
  if (x.size() != static_cast<std::size_t>(layer.cols)) {
    throw Error("simulate: layer '" + layer.name + "' takes " + std::to_string(layer.cols) + " inputs, got " +
                std::to_string(x.size()));
  }
  const FixedFormat format = fixed_format(config);
  const std::vector<std::int32_t> xq = quantize(x, format);
  return simulate_fixed(layer, xq, config);
}

RunResult simulate_fixed(const CompressedLayer& layer, std::span<const std::int32_t> x, const Config& config) {
  config.validate();
  if (layer.codebook.bits() > config.weight_bits) {
    throw Error("simulate: layer '" + layer.name + "' has a " + std::to_string(layer.codebook.bits()) +
                "-bit codebook, more than weight_bits = " + std::to_string(config.weight_bits));
  }
  return simulate_encoded(encode_eie(layer, config.num_pes, config.index_bits), x, config);
}

RunResult simulate_encoded(const EieEncoding& enc, std::span<const std::int32_t> x, const Config& config) {
  config.validate();
  if (x.size() != static_cast<std::size_t>(enc.cols)) {
    throw Error("simulate: layer '" + enc.name + "' takes " + std::to_string(enc.cols) + " inputs, got " +
                std::to_string(x.size()));
  }
  if (enc.num_pes != config.num_pes || enc.index_bits != config.index_bits) {
    throw Error("simulate: layer '" + enc.name + "' is encoded for " + std::to_string(enc.num_pes) + " PEs and " +
                std::to_string(enc.index_bits) + "-bit indices, the config has num_pes = " +
                std::to_string(config.num_pes) + " and index_bits = " + std::to_string(config.index_bits));
  }
  if (enc.codebook.bits() > config.weight_bits) {
    throw Error("simulate: layer '" + enc.name + "' has a " + std::to_string(enc.codebook.bits()) +
                "-bit codebook, more than weight_bits = " + std::to_string(config.weight_bits));
  }
  check_encoding(enc);
  check_fits(enc, config);

  const FixedFormat format = fixed_format(config);
  std::vector<std::int32_t> codebook(std::size_t{1} << config.weight_bits, 0);
  for (std::size_t c = 0; c < enc.codebook.size(); ++c) codebook[c] = format.quantize(enc.codebook[c]);
  std::vector<std::uint32_t> nonzero;
  for (std::size_t j = 0; j < x.size(); ++j) {
    if (x[j] != 0) nonzero.push_back(static_cast<std::uint32_t>(j));
  }

  const int n = config.num_pes;
  Ccu ccu(nonzero, x, config.effective_ccu_latency(), config.lnzd_nodes());
  std::vector<Pe> pes;
  pes.reserve(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) {
    const PeSlice& slice = enc.pes[static_cast<std::size_t>(k)];
    Pe& pe = pes.emplace_back(slice, config, &codebook, format);
    std::vector<std::int32_t> initial(static_cast<std::size_t>(slice.num_rows), 0);
    for (std::int64_t r = 0; r < slice.num_rows; ++r) {
      const std::int64_t row = enc.global_row(k, r);
      if (!enc.bias.empty()) initial[static_cast<std::size_t>(r)] = format.quantize(enc.bias[static_cast<std::size_t>(row)]);
    }
    pe.activations.reset(std::move(initial));
  }

  std::int64_t cycles = 0;
  std::vector<char> idle(static_cast<std::size_t>(n), 1);
  int full_queues = 0;
  bool all_idle = true;
  while (!(ccu.done() && all_idle)) {
    const bool ccu_done = ccu.done();
    const Broadcast broadcast = ccu.propagate(full_queues > 0);
    int next_full = 0;
    bool next_all_idle = true;
    for (int k = 0; k < n; ++k) {
      Pe& pe = pes[static_cast<std::size_t>(k)];
      Pe::CycleCounters& c = pe.counters;
      if (idle[static_cast<std::size_t>(k)] && !broadcast.valid) {
        pe.queue.idle_cycles(1);
        ++(ccu_done ? c.drained : c.starved);
        continue;
      }
      if (pe.queue_full() && !ccu_done) ++c.queue_full;
      if (pe.propagate(broadcast)) {
        ++c.busy;
      } else {
        ++(ccu_done ? c.drained : c.starved);
      }
      pe.update();
      const bool now_idle = pe.idle();
      idle[static_cast<std::size_t>(k)] = now_idle ? 1 : 0;
      next_all_idle = next_all_idle && now_idle;
      next_full += pe.queue_full() ? 1 : 0;
    }
    ccu.update();
    full_queues = next_full;
    all_idle = next_all_idle;
    ++cycles;
  }

  RunResult result;
  result.output.assign(static_cast<std::size_t>(enc.rows), 0);
  Stats& s = result.stats;
  s.cycles = cycles;
  s.broadcasts = ccu.broadcasts();
  s.ccu_stall_cycles = ccu.stall_cycles();
  s.lnzd_node_activations = ccu.node_activations();
  s.rows = enc.rows;
  s.cols = enc.cols;
  for (int k = 0; k < n; ++k) {
    Pe& pe = pes[static_cast<std::size_t>(k)];
    const PeSlice& slice = enc.pes[static_cast<std::size_t>(k)];
    s.stored_entries += static_cast<std::int64_t>(slice.entries.size());
    PeCounters c;
    c.busy = pe.counters.busy;
    c.starved = pe.counters.starved;
    c.drained = pe.counters.drained;
    c.queue_full = pe.counters.queue_full;
    c.real_entries = pe.spmat_read.real_entries();
    c.padding_entries = pe.spmat_read.padding_entries();
    c.columns = pe.pointer_read.columns();
    c.empty_columns = pe.pointer_read.empty_columns();
    c.spmat_line_reads = pe.spmat_read.line_reads();
    c.bypasses = pe.arithmetic.bypasses();
    c.write_through = pe.arithmetic.write_through();
    c.dest_reads = pe.activations.reads();
    c.dest_writes = pe.activations.writes();
    c.source_reads = enc.cols > k ? (enc.cols - k + n - 1) / n : 0;
    c.queue_pushes = pe.queue.pushes();
    c.queue_pops = pe.queue.pops();
    c.queue_occupancy = pe.queue.occupancy();
    s.pes.push_back(std::move(c));
    const auto& dest = pe.activations.dest();
    for (std::size_t r = 0; r < dest.size(); ++r) {
      result.output[static_cast<std::size_t>(enc.global_row(k, static_cast<std::int64_t>(r)))] = dest[r];
    }
  }
  return result;
}

}  // namespace eie::sim
