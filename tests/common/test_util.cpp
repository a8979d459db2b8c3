#include "common/test_util.h"

#include <algorithm>
#include <cmath>

namespace eie::test {

std::uint64_t seed() {
  const int flag = GTEST_FLAG_GET(random_seed);
  return flag == 0 ? 1u : static_cast<std::uint64_t>(flag);
}

std::string seed_trace() {
  return "seed " + std::to_string(seed()) + " (rerun with --gtest_random_seed=" + std::to_string(seed()) + ")";
}

void expect_error(const std::function<void()>& call, std::initializer_list<std::string> fragments) {
  try {
    call();
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << "message '" << message << "' lacks '" << fragment
                                                           << "'";
    }
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message is not one line: " << message;
    return;
  }
  ADD_FAILURE() << "expected eie::Error";
}

std::string LayerTester::describe() const {
  return std::to_string(spec_.rows) + "x" + std::to_string(spec_.cols) + " density " +
         std::to_string(spec_.density) + " bits " + std::to_string(spec_.bits);
}

double max_relative_error(std::span<const double> a, std::span<const double> b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    worst = std::max(worst, std::fabs(a[i] - b[i]) / std::max(1.0, std::fabs(b[i])));
  }
  return worst;
}

}  // namespace eie::test
