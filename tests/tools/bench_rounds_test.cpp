// The bench harness's rounds (tools/eie/layer_bench.cpp): the implementations take turns, each is prepared once
// per round, gets its least number of timed runs however short the budget, and has a median per round.
// Durations are only bounded from below (a sleep lasts at least its time), never asserted as speeds.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "layer_bench.h"

namespace eie::cli {
namespace {

TEST(BenchRounds, implementations_take_turns_and_each_is_prepared_once_per_round) {
  std::vector<std::string> log;
  std::vector<TimedRun> runs;
  for (const char* name : {"a", "b", "c"}) {
    const std::string ran = std::string("run ") + name;  // logged once per block of runs
    runs.emplace_back([&log, ran] { if (log.empty() || log.back() != ran) log.push_back(ran); }, 4,
                      [&log, name] { log.push_back(std::string("prepare ") + name); });
  }
  time_in_rounds(runs, 0.003, 3);
  const std::vector<std::string> expected = {"prepare a", "run a", "prepare b", "run b", "prepare c", "run c",
                                             "prepare a", "run a", "prepare b", "run b", "prepare c", "run c",
                                             "prepare a", "run a", "prepare b", "run b", "prepare c", "run c"};
  EXPECT_EQ(log, expected);
  for (const TimedRun& r : runs) EXPECT_GE(r.timing.runs, 4);
}

TEST(BenchRounds, slow_runs_get_exactly_their_least_number_over_the_rounds) {
  std::vector<TimedRun> runs;
  runs.emplace_back([] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }, 7);
  time_in_rounds(runs, 0.0001, 3);  // far below one run: only the least number of runs is timed
  EXPECT_EQ(runs[0].timing.runs, 7);
  EXPECT_GE(runs[0].timing.median_us, 2000.0);
  EXPECT_GE(runs[0].timing.p99_us, runs[0].timing.median_us);
  ASSERT_EQ(runs[0].timing.round_median_us.size(), 3u);  // one median per round (blocks of 3, 2 and 2 runs)
  for (double m : runs[0].timing.round_median_us) EXPECT_GE(m, 2000.0);
}

TEST(BenchRounds, every_round_has_a_median_even_with_one_run_asked_for) {
  std::vector<TimedRun> runs;
  runs.emplace_back([] { std::this_thread::sleep_for(std::chrono::microseconds(100)); }, 1);
  time_in_rounds(runs, 1e-9, 5);
  EXPECT_EQ(runs[0].timing.runs, 5);
  EXPECT_EQ(runs[0].timing.round_median_us.size(), 5u);
}

TEST(BenchRounds, time_runs_is_one_round_of_one_implementation) {
  int calls = 0;
  const Timing t = time_runs([&] { ++calls; }, 0.001, 20);
  EXPECT_GE(t.runs, 20);
  EXPECT_GE(calls, t.runs + 3);  // at least three warm-up runs before the timed ones
}

}  // namespace
}  // namespace eie::cli
