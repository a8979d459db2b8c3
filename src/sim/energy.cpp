// Energy and area as post-processing of the event counts. The simulator holds no technology numbers; this
// file does, in one table, each derived from the EIE paper (Han et al., ISCA 2016):
//
// Calibration (Table II, one PE at 800 MHz, 45 nm: 9.157 mW, 638,024 um^2). Each module's power is split
// into a clock-network part paid every cycle (the clock network is 20.46% of the PE's power, Table II "by
// type"; we apply that share to every module) and a dynamic part spread over the module's events at "full
// load", defined as every block at its maximum rate every cycle: one activation pushed and one popped, one
// pointer pair read (two bank reads), one entry handed on (one 64-bit line read per 8 entries), one lookup
// and one multiply-add, one destination read, one write and one source read. Within a module the dynamic
// part is split: SpmatRead 90% line reads / 10% entry select; ArithmUnit 75% multiply-add / 25% lookup and
// address; ActRW one third per register access; Act_queue half push, half pop. The LNZD node (0.023 mW,
// 189 um^2) is calibrated the same way at one broadcast per cycle. Energy per event at 800 MHz:
// pJ = mW * 1000 / 800. A full-load run therefore reproduces Table II exactly (tested); a real layer, with
// idle cycles and fewer pointer reads than cycles, draws less.
//
// Scaling away from the reference design (documented in docs/simulator.md): SRAM read energy per line
// = (0.3 + 0.7 * width / 64) * sqrt(capacity / 128 KB) (a fixed decoder/wordline part and a per-bit
// bitline/sense part; energy per access growing with the square root of capacity, the usual CACTI trend);
// SRAM area = capacity / 128 KB * (0.85 + 0.15 * width / 64) (periphery grows with width); pointer SRAM
// linear in capacity; multiplier energy and area with the square of the word, register files and queues
// linearly with the word and the depth.
#include <cmath>

#include "eie/sim.h"

namespace eie::sim {
namespace {

constexpr double kClockShare = 1.874 / 9.157;  // Table II: clock network / total
constexpr double kPjPerMwCycle = 1000.0 / 800.0;

constexpr double kPowerQueue = 0.112, kPowerPointer = 1.807, kPowerSpmat = 4.955, kPowerArith = 1.162,
                 kPowerActrw = 1.122, kPowerLnzd = 0.023;

EnergyTable make_table() {
  auto dynamic = [](double mw) { return mw * (1.0 - kClockShare) * kPjPerMwCycle; };
  auto clock = [](double mw) { return mw * kClockShare * kPjPerMwCycle; };
  EnergyTable t;
  t.queue_push = dynamic(kPowerQueue) / 2;
  t.queue_pop = dynamic(kPowerQueue) / 2;
  t.pointer_bank_read = dynamic(kPowerPointer) / 2;
  t.spmat_line_read = dynamic(kPowerSpmat) * 0.9 * 8;  // one line per 8 entries at full load
  t.spmat_entry_select = dynamic(kPowerSpmat) * 0.1;
  t.codebook_lookup = dynamic(kPowerArith) * 0.25;
  t.multiply_add = dynamic(kPowerArith) * 0.75;
  t.register_access = dynamic(kPowerActrw) / 3;
  t.lnzd_node = dynamic(kPowerLnzd);
  t.static_queue = clock(kPowerQueue);
  t.static_pointer = clock(kPowerPointer);
  t.static_spmat = clock(kPowerSpmat);
  t.static_arith = clock(kPowerArith);
  t.static_actrw = clock(kPowerActrw);
  t.static_lnzd = clock(kPowerLnzd);
  t.area_queue = 758;
  t.area_pointer = 121849;
  t.area_spmat = 469412;
  t.area_arith = 3110;
  t.area_actrw = 18934;
  t.area_filler = 23961;
  t.area_lnzd = 189;
  return t;
}

double word_scale(const Config& c) { return c.arith_bits / 16.0; }
double fifo_scale(const Config& c) { return c.fifo_depth / 8.0; }
double pointer_scale(const Config& c) { return c.ptr_sram_kb / 32.0; }

}  // namespace

const EnergyTable& energy_table() {
  static const EnergyTable table = make_table();
  return table;
}

double spmat_read_scale(const Config& c) {
  return (0.3 + 0.7 * c.sram_width_bits / 64.0) * std::sqrt(c.spmat_sram_kb / 128.0);
}

double spmat_area_scale(const Config& c) {
  return c.spmat_sram_kb / 128.0 * (0.85 + 0.15 * c.sram_width_bits / 64.0);
}

namespace {
struct PeArea {
  double queue, pointer, spmat, arith, actrw, filler;
  double total() const { return queue + pointer + spmat + arith + actrw + filler; }
};
PeArea pe_area(const Config& c) {
  const EnergyTable& t = energy_table();
  PeArea a{};
  a.queue = t.area_queue * fifo_scale(c) * word_scale(c);
  a.pointer = t.area_pointer * pointer_scale(c);
  a.spmat = t.area_spmat * spmat_area_scale(c);
  a.arith = t.area_arith * word_scale(c) * word_scale(c);
  a.actrw = t.area_actrw * word_scale(c);
  const double modules = a.queue + a.pointer + a.spmat + a.arith + a.actrw;
  a.filler = t.area_filler * modules / (t.area_queue + t.area_pointer + t.area_spmat + t.area_arith + t.area_actrw);
  return a;
}
}  // namespace

double area_mm2(const Config& c) {
  return (c.num_pes * pe_area(c).total() + c.lnzd_nodes() * energy_table().area_lnzd) * 1e-6;
}

EnergyReport energy(const Stats& s, const Config& c) {
  const EnergyTable& t = energy_table();
  const PeCounters total = s.total();
  const double w = word_scale(c);
  const double pe_cycles = static_cast<double>(s.cycles) * c.num_pes;
  EnergyReport r;
  ModulePower& e = r.energy_pj;
  e.queue = (t.queue_push * total.queue_pushes + t.queue_pop * total.queue_pops) * w +
            t.static_queue * fifo_scale(c) * w * pe_cycles;
  e.pointer = t.pointer_bank_read * std::sqrt(pointer_scale(c)) * 2.0 * total.columns +
              t.static_pointer * pe_cycles;
  e.spmat = t.spmat_line_read * spmat_read_scale(c) * total.spmat_line_reads +
            t.spmat_entry_select * (total.real_entries + total.padding_entries) + t.static_spmat * pe_cycles;
  e.arith = t.codebook_lookup * w * (total.real_entries + total.padding_entries) +
            t.multiply_add * w * w * total.real_entries + t.static_arith * pe_cycles;
  e.actrw = t.register_access * w * (total.dest_reads + total.dest_writes + total.source_reads) +
            t.static_actrw * pe_cycles;
  e.lnzd = t.lnzd_node * s.lnzd_node_activations + t.static_lnzd * c.lnzd_nodes() * static_cast<double>(s.cycles);
  const double pj = e.queue + e.pointer + e.spmat + e.arith + e.actrw + e.lnzd;
  r.energy_uj = pj * 1e-6;
  const double seconds = static_cast<double>(s.cycles) / (c.clock_mhz * 1e6);
  r.power_mw = seconds > 0 ? pj * 1e-12 / seconds * 1e3 : 0.0;
  r.area_mm2 = area_mm2(c);
  r.frames_per_j = pj > 0 ? 1.0 / (pj * 1e-12) : 0.0;
  r.frames_per_s_per_mm2 = seconds > 0 ? 1.0 / seconds / r.area_mm2 : 0.0;
  return r;
}

Stats full_load_stats(const Config& c, std::int64_t cycles) {
  Stats s;
  s.cycles = cycles;
  s.broadcasts = cycles;
  s.lnzd_node_activations = cycles * c.lnzd_nodes();
  s.pes.resize(static_cast<std::size_t>(c.num_pes));
  for (PeCounters& p : s.pes) {
    p.busy = cycles;
    p.real_entries = cycles;
    p.columns = cycles;
    p.spmat_line_reads = cycles / c.entries_per_line();
    p.dest_reads = cycles;
    p.dest_writes = cycles;
    p.source_reads = cycles;
    p.queue_pushes = cycles;
    p.queue_pops = cycles;
  }
  return s;
}

}  // namespace eie::sim
