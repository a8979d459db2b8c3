// The arithmetic unit: b_x += S[v] * a_j in four pipeline stages, as in the paper:
//   S1 codebook lookup (v -> fixed-point weight) and row address accumulate (row = previous + 1 + z, or z at a
//      column start);
//   S2 accumulator read and multiply;
//   S3 shift (rescale the product, rounding half up) and saturating add;
//   S4 accumulator write.
// Hazards: the same accumulator can come back before its write lands only across a column boundary. The entry
// directly ahead (in S4 while this one is in S3) is covered by the paper's bypass: the adder takes its output
// instead of the stale read. An entry two ahead writes in the same cycle this one reads (S4 vs S2); the register
// file is write-through, so the read sees it. Padding entries (v = 0) get a row address but no multiply, read
// or write. No hazard stalls the pipeline.
#pragma once

#include <cstdint>
#include <vector>

#include "eie/sim.h"
#include "sim/activation_rw.h"
#include "sim/reg.h"
#include "sim/spmat_read.h"

namespace eie::sim {

class ArithmeticUnit {
 public:
  ArithmeticUnit(const std::vector<std::int32_t>* codebook, FixedFormat format)
      : codebook_(codebook), format_(format) {}

  bool empty() const { return !s2_.get().valid && !s3_.get().valid && !s4_.get().valid; }

  void propagate(const EntryIssue& in, ActivationReadWrite& rw) {
    const S4 s4 = s4_.get();
    const bool s4_writes = s4.valid && s4.real;
    if (s4_writes) rw.write(s4.row, s4.sum);

    const S3 s3 = s3_.get();
    if (s3.valid) {
      std::int32_t sum = 0;
      if (s3.real) {
        std::int32_t addend = s3.read;
        if (s4_writes && s4.row == s3.row) {
          addend = s4.sum;
          ++bypasses_;
        }
        sum = format_.saturate(std::int64_t{addend} + format_.rescale(s3.product));
        ++macs_;
      }
      s4_.set({true, s3.real, s3.row, sum});
    } else {
      s4_.set({});
    }

    const S2 s2 = s2_.get();
    if (s2.valid) {
      std::int32_t read = 0;
      std::int64_t product = 0;
      if (s2.real) {
        if (s4_writes && s4.row == s2.row) {
          read = s4.sum;
          ++write_through_;
        } else {
          read = rw.read(s2.row);
        }
        product = std::int64_t{s2.w} * s2.a;
      }
      s3_.set({true, s2.real, s2.row, product, read});
    } else {
      s3_.set({});
    }

    if (in.valid) {
      const std::uint32_t row = (in.first ? 0u : next_row_.get()) + in.z;
      next_row_.set(row + 1);
      ++lookups_;
      s2_.set({true, in.v != 0, row, (*codebook_)[in.v], in.a});
    } else {
      s2_.set({});
    }
  }

  void update() {
    next_row_.update();
    s2_.update();
    s3_.update();
    s4_.update();
  }

  std::int64_t lookups() const { return lookups_; }
  std::int64_t macs() const { return macs_; }
  std::int64_t bypasses() const { return bypasses_; }
  std::int64_t write_through() const { return write_through_; }

 private:
  struct S2 {
    bool valid = false;
    bool real = false;
    std::uint32_t row = 0;
    std::int32_t w = 0;
    std::int32_t a = 0;
  };
  struct S3 {
    bool valid = false;
    bool real = false;
    std::uint32_t row = 0;
    std::int64_t product = 0;
    std::int32_t read = 0;
  };
  struct S4 {
    bool valid = false;
    bool real = false;
    std::uint32_t row = 0;
    std::int32_t sum = 0;
  };

  const std::vector<std::int32_t>* codebook_;
  FixedFormat format_;
  Reg<std::uint32_t> next_row_{0};
  Reg<S2> s2_;
  Reg<S3> s3_;
  Reg<S4> s4_;
  std::int64_t lookups_ = 0;
  std::int64_t macs_ = 0;
  std::int64_t bypasses_ = 0;
  std::int64_t write_through_ = 0;
};

}  // namespace eie::sim
