// Sparse-matrix read: walks the current column's entries [p_j, p_j+1) handing one (v, z) entry per cycle to
// the arithmetic unit. The SRAM is sram_width_bits wide, so one read fetches a line of width / entry_bits
// entries into a line buffer; an entry in the buffered line costs no read. The read happens in the cycle the
// entry is handed on (reads are pipelined one line ahead), so a line crossing costs energy, not a cycle.
// When a column ends, the next range is taken from the pointer read the next cycle: consecutive columns flow
// without a bubble. With Config::reuse_line a column that starts inside the buffered line (the previous
// column ended mid-line) reads nothing new; without it every column start reads its line.
#pragma once

#include <cstdint>

#include "eie/core.h"
#include "sim/pointer_read.h"
#include "sim/reg.h"

namespace eie::sim {

struct EntryIssue {
  bool valid = false;
  bool first = false;  // first entry of its column: the row address restarts
  std::uint8_t v = 0;
  std::uint8_t z = 0;
  std::int32_t a = 0;
};

class SpmatRead {
 public:
  SpmatRead(const EieEntry* entries, int entries_per_line, bool reuse_line)
      : entries_(entries), per_line_(static_cast<std::uint32_t>(entries_per_line)), reuse_line_(reuse_line) {}

  const EntryIssue& out() const { return out_.get(); }
  bool active() const { return cur_.get() < end_.get(); }

  struct Step {
    bool issued = false;  // an entry went to the arithmetic unit (a busy cycle)
    bool taken = false;   // the pointer read's range was taken
  };
  Step propagate(const ColumnRange& in) {
    std::uint32_t cur = cur_.get();
    bool first = false;
    bool taken = false;
    std::int32_t a = a_.get();
    if (cur >= end_.get()) {
      if (!in.valid) {
        out_.set({});
        return {};
      }
      cur = in.begin;
      a = in.a;
      first = true;
      taken = true;
      end_.set(in.end);
      a_.set(a);
    }
    const std::uint32_t line = cur / per_line_;
    if (line != line_.get() || (first && !reuse_line_)) {
      ++line_reads_;
      line_.set(line);
    }
    const EieEntry entry = entries_[cur];
    out_.set({true, first, entry.v, entry.z, a});
    cur_.set(cur + 1);
    if (entry.v == 0) {
      ++padding_;
    } else {
      ++real_;
    }
    return {true, taken};
  }
  void update() {
    cur_.update();
    end_.update();
    a_.update();
    line_.update();
    out_.update();
  }

  std::int64_t line_reads() const { return line_reads_; }
  std::int64_t real_entries() const { return real_; }
  std::int64_t padding_entries() const { return padding_; }

 private:
  const EieEntry* entries_;
  std::uint32_t per_line_;
  bool reuse_line_;
  Reg<std::uint32_t> cur_{0};
  Reg<std::uint32_t> end_{0};
  Reg<std::int32_t> a_{0};
  Reg<std::uint32_t> line_{0xFFFFFFFFu};  // no line buffered
  Reg<EntryIssue> out_;
  std::int64_t line_reads_ = 0;
  std::int64_t real_ = 0;
  std::int64_t padding_ = 0;
};

}  // namespace eie::sim
