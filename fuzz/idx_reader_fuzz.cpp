// libFuzzer target: read_idx on arbitrary bytes (raw; gzip when they start with its magic) must return an array
// or throw eie::Error, nothing else. read_idx takes a path (zlib reads the file), so each input is written to
// a file first.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "eie/dataset.h"
#include "eie/io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/eie_fuzz_idx_" + std::to_string(::getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const eie::IdxArray a = eie::read_idx(path);
    std::int64_t n = 1;
    for (const std::int64_t d : a.dims) n *= d;
    if (static_cast<std::int64_t>(a.data.size()) != n) __builtin_trap();
  } catch (const eie::Error&) {
  }
  return 0;
}
