// Golden cycle counts on tiny layers, computed by hand from the model in docs/simulator.md:
// broadcast (cycle t, after ccu_latency warm-up cycles) -> pointer read (t+1) -> sparse-matrix read hands the
// first entry on (t+2) -> arithmetic S1..S4 (t+3..t+6); one entry per cycle after that.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "sim_test_util.h"

namespace eie::sim {
namespace {

using test::config_with;
using test::layer_from_columns;

TEST(SimTiming, pipeline_depth_is_six_plus_tree_levels) {
  EXPECT_EQ(config_with(1).pipeline_depth(), 6);
  EXPECT_EQ(config_with(4).pipeline_depth(), 7);
  EXPECT_EQ(config_with(64).pipeline_depth(), 9);
  EXPECT_EQ(config_with(64).lnzd_nodes(), 21);
  EXPECT_EQ(config_with(256).lnzd_levels(), 4);
}

TEST(SimTiming, one_column_with_k_entries_on_one_pe) {
  for (int k = 1; k <= 20; ++k) {
    std::vector<std::uint32_t> rows;
    for (int r = 0; r < k; ++r) rows.push_back(static_cast<std::uint32_t>(r));
    const CompressedLayer layer = layer_from_columns(k, {rows});
    const RunResult run = simulate(layer, std::vector<float>{1.0f}, config_with(1));
    EXPECT_EQ(run.stats.cycles, k + 6) << "k = " << k;
    EXPECT_EQ(run.stats.pes[0].busy, k);
    EXPECT_EQ(run.stats.pes[0].starved, 1);  // the broadcast cycle; after it the CCU is done
    EXPECT_EQ(run.stats.pes[0].drained, 5);
  }
}

TEST(SimTiming, two_columns_on_different_pes) {
  // Column 0 has one entry on PE 0, column 1 one entry on PE 1. One warm-up cycle (2 PEs: one tree level),
  // broadcasts at 1 and 2; PE 1 pops column 0 (empty, dropped) at 2 and column 1 at 3, issues at 4, writes at 8.
  const CompressedLayer layer = layer_from_columns(2, {{0}, {1}});
  const RunResult run = simulate(layer, std::vector<float>{1.0f, 1.0f}, config_with(2));
  EXPECT_EQ(run.stats.cycles, 9);
  EXPECT_EQ(run.stats.pes[0].empty_columns, 1);
  EXPECT_EQ(run.stats.pes[1].empty_columns, 1);
  EXPECT_EQ(run.stats.broadcasts, 2);
}

TEST(SimTiming, depth_one_queue_halves_the_broadcast_rate) {
  // With a registered "full" a depth-1 queue alternates push and pop: n one-entry columns issue at 2, 4, ..2n.
  const int n = 4;
  const CompressedLayer layer = layer_from_columns(1, {{0}, {0}, {0}, {0}});
  const std::vector<float> x(n, 1.0f);
  const RunResult shallow = simulate(layer, x, config_with(1, 1));
  EXPECT_EQ(shallow.stats.cycles, 2 * n + 5);
  EXPECT_EQ(shallow.stats.ccu_stall_cycles, n - 1);
  const RunResult deep = simulate(layer, x, config_with(1, 2));
  EXPECT_EQ(deep.stats.cycles, n + 6);
  EXPECT_EQ(deep.stats.ccu_stall_cycles, 0);
}

TEST(SimTiming, full_queue_stalls_the_broadcast) {
  // PE 0 (even rows) has a 6-entry column 0 and one entry in each of columns 1..4; PE 1 has one entry in each
  // of columns 1..4. Depth 1. PE 0's queue stays full while it works through column 0, holding the broadcast
  // back from PE 1 as well (hand trace in docs/simulator.md): 19 cycles, 7 stalled broadcasts.
  const CompressedLayer layer = layer_from_columns(12, {{0, 2, 4, 6, 8, 10}, {0, 1}, {0, 1}, {0, 1}, {0, 1}});
  const RunResult run = simulate(layer, std::vector<float>(5, 1.0f), config_with(2, 1));
  EXPECT_EQ(run.stats.cycles, 19);
  EXPECT_EQ(run.stats.ccu_stall_cycles, 7);
  EXPECT_EQ(run.stats.pes[0].queue_full, 7);
  EXPECT_EQ(run.stats.pes[1].queue_full, 4);
  EXPECT_EQ(run.stats.pes[0].busy, 10);
  EXPECT_EQ(run.stats.pes[1].busy, 4);
  // With a deeper queue PE 1 runs ahead: the layer is bound by PE 0's 10 entries.
  const RunResult deep = simulate(layer, std::vector<float>(5, 1.0f), config_with(2, 8));
  EXPECT_LT(deep.stats.cycles, run.stats.cycles);
  EXPECT_EQ(deep.stats.ccu_stall_cycles, 0);
}

TEST(SimTiming, bypass_on_back_to_back_writes_to_one_accumulator) {
  // Column 0 ends on row 2 and column 1 starts on row 2: adjacent cycles, same accumulator.
  const CompressedLayer layer = layer_from_columns(3, {{0, 2}, {2}});
  const std::vector<float> x{0.5f, 0.25f};
  const RunResult run = simulate(layer, x, config_with(1));
  EXPECT_EQ(run.stats.cycles, 3 + 6);  // the bypass costs no cycle
  EXPECT_EQ(run.stats.pes[0].bypasses, 1);
  EXPECT_EQ(run.stats.pes[0].write_through, 0);
  const FixedFormat f = fixed_format(config_with(1));
  EXPECT_EQ(run.output, fixed_reference(layer, quantize(x, f), f));
  EXPECT_EQ(run.output[2], f.quantize(1.0 / 16 * 0.5 + 1.0 / 16 * 0.25));
}

TEST(SimTiming, same_accumulator_two_and_three_entries_apart) {
  const FixedFormat f = fixed_format(config_with(1));
  {  // row 2, row 0, row 2: the third reads while the first writes (write-through register file)
    const CompressedLayer layer = layer_from_columns(3, {{2}, {0}, {2}});
    const std::vector<float> x{0.5f, 0.5f, 0.75f};
    const RunResult run = simulate(layer, x, config_with(1));
    EXPECT_EQ(run.stats.pes[0].bypasses, 0);
    EXPECT_EQ(run.stats.pes[0].write_through, 1);
    EXPECT_EQ(run.output, fixed_reference(layer, quantize(x, f), f));
  }
  {  // row 2 three times in a row: two bypasses and one write-through, no lost update
    const CompressedLayer layer = layer_from_columns(3, {{2}, {2}, {2}});
    const std::vector<float> x{0.5f, 0.5f, 0.75f};
    const RunResult run = simulate(layer, x, config_with(1));
    EXPECT_EQ(run.stats.pes[0].bypasses, 2);
    EXPECT_EQ(run.stats.pes[0].write_through, 1);
    EXPECT_EQ(run.output, fixed_reference(layer, quantize(x, f), f));
    EXPECT_EQ(run.stats.cycles, 3 + 6);
  }
}

TEST(SimTiming, sram_line_crossing_costs_a_read_not_a_cycle) {
  // 64-bit lines hold 8 entries: a 9-entry column reads two lines and still takes 9 + 6 cycles.
  std::vector<std::uint32_t> rows;
  for (std::uint32_t r = 0; r < 9; ++r) rows.push_back(r);
  const CompressedLayer layer = layer_from_columns(9, {rows});
  const RunResult run = simulate(layer, std::vector<float>{1.0f}, config_with(1));
  EXPECT_EQ(run.stats.cycles, 9 + 6);
  EXPECT_EQ(run.stats.pes[0].spmat_line_reads, 2);
  Config wide = config_with(1);
  wide.sram_width_bits = 128;
  EXPECT_EQ(simulate(layer, std::vector<float>{1.0f}, wide).stats.pes[0].spmat_line_reads, 1);
  Config narrow = config_with(1);
  narrow.sram_width_bits = 16;
  EXPECT_EQ(simulate(layer, std::vector<float>{1.0f}, narrow).stats.pes[0].spmat_line_reads, 5);
}

TEST(SimTiming, column_starting_inside_the_buffered_line) {
  // Columns 0 and 1 (4 entries each) share line 0; column 2 is skipped (zero activation); column 3 is line 1.
  const CompressedLayer layer = layer_from_columns(4, {{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}});
  const std::vector<float> x{1.0f, 1.0f, 0.0f, 1.0f};
  Config c = config_with(1);
  const RunResult reuse = simulate(layer, x, c);
  EXPECT_EQ(reuse.stats.pes[0].spmat_line_reads, 2);
  EXPECT_EQ(reuse.stats.cycles, 12 + 6);
  c.reuse_line = false;
  const RunResult no_reuse = simulate(layer, x, c);
  EXPECT_EQ(no_reuse.stats.pes[0].spmat_line_reads, 3);
  EXPECT_EQ(no_reuse.stats.cycles, 12 + 6);
}

TEST(SimTiming, padding_entries_take_a_cycle_and_no_write) {
  // Row 20 alone in a column: one padding entry (z = 15) then the entry (z = 4).
  const CompressedLayer layer = layer_from_columns(21, {{20}});
  const RunResult run = simulate(layer, std::vector<float>{1.0f}, config_with(1));
  EXPECT_EQ(run.stats.cycles, 2 + 6);
  EXPECT_EQ(run.stats.pes[0].padding_entries, 1);
  EXPECT_EQ(run.stats.pes[0].real_entries, 1);
  EXPECT_EQ(run.stats.pes[0].dest_writes, 1);
  EXPECT_EQ(run.stats.pes[0].dest_reads, 1);
}

TEST(SimTiming, all_zero_activations_take_only_the_tree_latency) {
  const CompressedLayer layer = layer_from_columns(8, {{0, 1}, {2}});
  EXPECT_EQ(simulate(layer, std::vector<float>{0.0f, 0.0f}, config_with(1)).stats.cycles, 0);
  EXPECT_EQ(simulate(layer, std::vector<float>{0.0f, 0.0f}, config_with(64)).stats.cycles, 3);
}

TEST(SimTiming, one_pe_takes_entries_plus_pipeline_depth) {
  // Every column non-empty on the single PE, so the PE never waits: cycles = entries + depth exactly.
  SCOPED_TRACE(eie::test::seed_trace());
  Rng rng(eie::test::seed());
  for (int trial = 0; trial < 20; ++trial) {
    const auto rows = static_cast<std::int64_t>(2 + rng.below(40));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(40));
    const CompressedLayer layer = eie::test::LayerTester().rows(rows).cols(cols).density(1.0).build(rng.next());
    const std::vector<float> x = synthetic_activations(cols, 0.5, rng.next());
    const RunResult run = simulate(layer, x, config_with(1, 1 + static_cast<int>(rng.below(8))));
    const std::int64_t entries = run.stats.pes[0].real_entries + run.stats.pes[0].padding_entries;
    if (entries == 0) {
      EXPECT_EQ(run.stats.cycles, 0);
    } else {
      EXPECT_EQ(run.stats.cycles, entries + 6) << rows << "x" << cols;
    }
  }
}

TEST(SimTiming, cycles_at_least_busiest_pe_entries_plus_depth) {
  SCOPED_TRACE(eie::test::seed_trace());
  Rng rng(eie::test::seed() + 7);
  for (int trial = 0; trial < 30; ++trial) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(200));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(200));
    const double density = rng.uniform() * 0.5;
    const CompressedLayer layer = eie::test::LayerTester().rows(rows).cols(cols).density(density).build(rng.next());
    const std::vector<float> x = synthetic_activations(cols, rng.uniform(), rng.next());
    const Config c = config_with(1 << rng.below(7), 1 + static_cast<int>(rng.below(16)));
    const RunResult run = simulate(layer, x, c);
    const std::int64_t busiest = run.stats.max_pe_entries();
    if (busiest > 0) {
      EXPECT_GE(run.stats.cycles, busiest + c.pipeline_depth());
    }
    for (const PeCounters& pe : run.stats.pes) {
      EXPECT_EQ(pe.busy + pe.starved + pe.drained, run.stats.cycles);
      EXPECT_EQ(pe.busy, pe.real_entries + pe.padding_entries);
      EXPECT_EQ(pe.queue_pushes, run.stats.broadcasts);
      EXPECT_EQ(pe.queue_pops, run.stats.broadcasts);
      std::int64_t occupancy_cycles = 0;
      for (std::int64_t v : pe.queue_occupancy) occupancy_cycles += v;
      EXPECT_EQ(occupancy_cycles, run.stats.cycles);
    }
  }
}

}  // namespace
}  // namespace eie::sim

namespace eie::sim {
namespace {

TEST(SimTiming, queue_including_the_pointer_register) {
  // 1 PE, depth 1, n one-entry columns. Counting the column held after its pointer read as a queue slot, the
  // broadcast waits for the pointer register to empty too: broadcasts at 0, 3, 6, ..., issues at 2, 5, 8, ...
  const int n = 4;
  const CompressedLayer layer = test::layer_from_columns(1, {{0}, {0}, {0}, {0}});
  Config c = test::config_with(1, 1);
  c.queue_includes_pointer = true;
  const RunResult run = simulate(layer, std::vector<float>(n, 1.0f), c);
  EXPECT_EQ(run.stats.cycles, 3 * n + 4);
  EXPECT_EQ(run.stats.ccu_stall_cycles, 2 * (n - 1));
}

TEST(SimTiming, queue_including_the_pointer_register_is_never_faster) {
  SCOPED_TRACE(eie::test::seed_trace());
  Rng rng(eie::test::seed() + 11);
  for (int trial = 0; trial < 20; ++trial) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(300));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(200));
    const CompressedLayer layer = eie::test::LayerTester().rows(rows).cols(cols).density(rng.uniform() * 0.3).build(rng.next());
    const std::vector<float> x = synthetic_activations(cols, rng.uniform(), rng.next());
    const Config plain = test::config_with(1 << rng.below(6), 1 + static_cast<int>(rng.below(8)));
    Config counted = plain;
    counted.queue_includes_pointer = true;
    const RunResult a = simulate(layer, x, plain);
    const RunResult b = simulate(layer, x, counted);
    EXPECT_GE(b.stats.cycles, a.stats.cycles);
    EXPECT_EQ(a.output, b.output);
  }
}

}  // namespace
}  // namespace eie::sim
