// libFuzzer target: parse_npy on arbitrary bytes must return a tensor or throw eie::Error, nothing else.
#include <cstddef>
#include <cstdint>

#include "eie/io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const eie::Tensor t = eie::parse_npy({data, size}, "fuzz.npy");
    if (static_cast<std::int64_t>(t.data.size()) != t.numel()) __builtin_trap();
  } catch (const eie::Error&) {
  }
  return 0;
}
