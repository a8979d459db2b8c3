// libFuzzer target: parse_safetensors on arbitrary bytes must return a model or throw eie::Error, nothing else.
#include <cstddef>
#include <cstdint>

#include "eie/io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const eie::Model m = eie::parse_safetensors({data, size}, "fuzz.safetensors");
    (void)m.weight_slots();
  } catch (const eie::Error&) {
  }
  return 0;
}
