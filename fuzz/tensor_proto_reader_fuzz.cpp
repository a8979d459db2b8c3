// libFuzzer target: parse_tensor_proto (the .pb inputs and outputs of `eie run`) on arbitrary bytes must return
// a tensor or throw eie::Error, nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "eie/io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    std::string type;
    const eie::Tensor t = eie::parse_tensor_proto({data, size}, "fuzz.pb", &type);
    if (static_cast<std::int64_t>(t.data.size()) != t.numel()) __builtin_trap();
  } catch (const eie::Error&) {
  }
  return 0;
}
