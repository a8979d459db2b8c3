// libFuzzer target: a simulator config file (JSON) on arbitrary bytes must give a valid Config or throw
// eie::Error (unknown key, wrong type, value out of range), nothing else.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "eie/sim.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  try {
    const eie::sim::Config config = eie::sim::config_from_json(json, "fuzz.json");
    config.validate();
  } catch (const eie::Error&) {
  }
  return 0;
}
