// Derived statistics. Load efficiency follows the paper: 1 - bubble cycles / total cycles, where a PE-cycle
// is a bubble when its sparse-matrix read hands no entry (real or padding) to the arithmetic unit; the
// pipeline's fill and drain count as bubbles, as they would in hardware. The useful multiply share counts only
// the real entries' PE-cycles (padding entries are busy but useless), as the authors' simulator reports.
#include <algorithm>

#include "eie/sim.h"

namespace eie::sim {

PeCounters Stats::total() const {
  PeCounters t;
  for (const PeCounters& c : pes) {
    t.busy += c.busy;
    t.starved += c.starved;
    t.drained += c.drained;
    t.queue_full += c.queue_full;
    t.real_entries += c.real_entries;
    t.padding_entries += c.padding_entries;
    t.columns += c.columns;
    t.empty_columns += c.empty_columns;
    t.spmat_line_reads += c.spmat_line_reads;
    t.bypasses += c.bypasses;
    t.write_through += c.write_through;
    t.dest_reads += c.dest_reads;
    t.dest_writes += c.dest_writes;
    t.source_reads += c.source_reads;
    t.queue_pushes += c.queue_pushes;
    t.queue_pops += c.queue_pops;
    if (t.queue_occupancy.size() < c.queue_occupancy.size()) t.queue_occupancy.resize(c.queue_occupancy.size(), 0);
    for (std::size_t i = 0; i < c.queue_occupancy.size(); ++i) t.queue_occupancy[i] += c.queue_occupancy[i];
  }
  return t;
}

std::int64_t Stats::max_pe_entries() const {
  std::int64_t m = 0;
  for (const PeCounters& c : pes) m = std::max(m, c.real_entries + c.padding_entries);
  return m;
}

double Stats::load_efficiency() const {
  if (cycles == 0 || pes.empty()) return 1.0;
  std::int64_t busy = 0;
  for (const PeCounters& c : pes) busy += c.busy;
  return static_cast<double>(busy) / (static_cast<double>(cycles) * static_cast<double>(pes.size()));
}

double Stats::useful_multiply_share() const {
  if (cycles == 0 || pes.empty()) return 1.0;
  std::int64_t real = 0;
  for (const PeCounters& c : pes) real += c.real_entries;
  return static_cast<double>(real) / (static_cast<double>(cycles) * static_cast<double>(pes.size()));
}

double Stats::padding_fraction() const {
  std::int64_t real = 0, padding = 0;
  for (const PeCounters& c : pes) {
    real += c.real_entries;
    padding += c.padding_entries;
  }
  return real + padding == 0 ? 0.0 : static_cast<double>(padding) / static_cast<double>(real + padding);
}

double Stats::gops(const Config& c) const {
  std::int64_t real = 0;
  for (const PeCounters& p : pes) real += p.real_entries;
  return cycles == 0 ? 0.0 : 2.0 * static_cast<double>(real) * c.clock_mhz * 1e-3 / static_cast<double>(cycles);
}

double Stats::dense_equivalent_gops(const Config& c) const {
  return cycles == 0 ? 0.0
                     : 2.0 * static_cast<double>(rows) * static_cast<double>(cols) * c.clock_mhz * 1e-3 /
                           static_cast<double>(cycles);
}

}  // namespace eie::sim
