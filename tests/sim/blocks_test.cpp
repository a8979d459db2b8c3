// Per-block harnesses: the register, the bounded FIFO and the arithmetic unit on their own.
#include <gtest/gtest.h>

#include "sim/arithmetic_unit.h"
#include "sim/bounded_fifo.h"
#include "sim/reg.h"

namespace eie::sim {
namespace {

TEST(SimBlocks, reg_holds_until_update) {
  Reg<int> r(3);
  r.set(5);
  EXPECT_EQ(r.get(), 3);
  r.update();
  EXPECT_EQ(r.get(), 5);
  r.update();  // not set this cycle: holds
  EXPECT_EQ(r.get(), 5);
}

TEST(SimBlocks, fifo_push_and_pop_land_at_the_edge) {
  BoundedFifo<int> q(2);
  q.push(1);
  EXPECT_TRUE(q.empty());
  q.update();
  EXPECT_EQ(q.size(), 1);
  q.push(2);
  q.pop();  // pop and push in one cycle
  EXPECT_EQ(q.front(), 1);
  q.update();
  EXPECT_EQ(q.size(), 1);
  EXPECT_EQ(q.front(), 2);
  q.push(3);
  q.update();
  EXPECT_TRUE(q.full());
  q.pop();
  q.update();
  q.pop();
  q.update();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.pushes(), 3);
  EXPECT_EQ(q.pops(), 3);
  EXPECT_EQ(q.occupancy(), (std::vector<std::int64_t>{1, 3, 1}));
}

TEST(SimBlocks, arithmetic_unit_bypass_harness) {
  // Feed two entries for local row 1 on adjacent cycles (the second starts a new column with z = 1), then
  // drain: the first write lands at the end of cycle 4 and the second at the end of cycle 5, with the bypass.
  const std::vector<std::int32_t> codebook{0, 64, 128};  // 0, 0.25, 0.5 at 8 fraction bits
  const FixedFormat f{16, 8};
  ArithmeticUnit unit(&codebook, f);
  ActivationReadWrite rw;
  rw.reset({10, 20});
  const EntryIssue feed[] = {{true, true, 1, 1, 256}, {true, true, 2, 1, 128}, {}, {}, {}, {}};
  std::vector<std::int32_t> row1;
  for (const EntryIssue& in : feed) {
    unit.propagate(in, rw);
    unit.update();
    rw.update();
    row1.push_back(rw.dest()[1]);
  }
  // 20 + 0.25 * 1.0 (64) = 84 after cycle 4; + 0.5 * 0.5 (64) = 148 after cycle 5.
  EXPECT_EQ(row1, (std::vector<std::int32_t>{20, 20, 20, 84, 148, 148}));
  EXPECT_EQ(unit.bypasses(), 1);
  EXPECT_EQ(unit.macs(), 2);
  EXPECT_EQ(rw.writes(), 2);
  EXPECT_EQ(rw.dest()[0], 10);
  EXPECT_TRUE(unit.empty());
}

}  // namespace
}  // namespace eie::sim
