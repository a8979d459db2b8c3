// The design parameters, their ranges and their JSON form. A config file may set any subset of the keys;
// an unknown key or a value of the wrong type is an error naming the file and the key, so a typo never
// silently runs the default design.
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "eie/sim.h"

namespace eie::sim {
namespace {

void check_range(const char* field, long long value, long long lo, long long hi) {
  if (value < lo || value > hi) {
    throw Error("config: " + std::string(field) + " must be in " + std::to_string(lo) + ".." + std::to_string(hi) +
                ", got " + std::to_string(value));
  }
}

std::string format_double(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

int Config::lnzd_levels() const {
  int levels = 0;
  for (long long span = 1; span < num_pes; span *= 4) ++levels;
  return levels;
}

int Config::lnzd_nodes() const {
  int nodes = 0;
  for (int width = num_pes; width > 1;) {
    width = (width + 3) / 4;
    nodes += width;
  }
  return nodes;
}

void Config::validate() const {
  check_range("num_pes", num_pes, 1, 1024);
  check_range("fifo_depth", fifo_depth, 1, 256);
  check_range("weight_bits", weight_bits, 1, 8);
  check_range("index_bits", index_bits, 2, 8);
  check_range("sram_width_bits", sram_width_bits, 16, 512);
  if (sram_width_bits % entry_bits() != 0) {
    throw Error("config: sram_width_bits = " + std::to_string(sram_width_bits) + " is not a multiple of the " +
                std::to_string(entry_bits()) + "-bit entry (weight_bits + index_bits)");
  }
  check_range("arith_bits", arith_bits, 8, 32);
  check_range("frac_bits", frac_bits, 0, arith_bits - 1);
  if (!(std::isfinite(clock_mhz) && clock_mhz > 0.0 && clock_mhz <= 10000.0)) {
    throw Error("config: clock_mhz must be in (0, 10000], got " + format_double(clock_mhz));
  }
  check_range("ccu_latency", ccu_latency, -1, 64);
  check_range("spmat_sram_kb", spmat_sram_kb, 1, 65536);
  check_range("ptr_sram_kb", ptr_sram_kb, 1, 65536);
}

nlohmann::json to_json(const Config& c) {
  return {{"num_pes", c.num_pes},
          {"fifo_depth", c.fifo_depth},
          {"sram_width_bits", c.sram_width_bits},
          {"weight_bits", c.weight_bits},
          {"index_bits", c.index_bits},
          {"arith_bits", c.arith_bits},
          {"frac_bits", c.frac_bits},
          {"clock_mhz", c.clock_mhz},
          {"ccu_latency", c.ccu_latency},
          {"reuse_line", c.reuse_line},
          {"queue_includes_pointer", c.queue_includes_pointer},
          {"spmat_sram_kb", c.spmat_sram_kb},
          {"ptr_sram_kb", c.ptr_sram_kb}};
}

Config config_from_json(const nlohmann::json& json, const std::string& source, Config base) {
  if (!json.is_object()) throw Error(source + ": a config must be a JSON object");
  for (const auto& item : json.items()) {
    const std::string& key = item.key();  // named, not a structured binding: clang 14 cannot capture those
    const nlohmann::json& value = item.value();
    auto integer = [&](int& field) {
      if (!value.is_number_integer()) throw Error(source + ": key '" + key + "' must be an integer, got " + value.dump());
      const auto v = value.get<long long>();
      if (v < -1000000000LL || v > 1000000000LL) throw Error(source + ": key '" + key + "' is out of range: " + value.dump());
      field = static_cast<int>(v);
    };
    if (key == "num_pes") integer(base.num_pes);
    else if (key == "fifo_depth") integer(base.fifo_depth);
    else if (key == "sram_width_bits") integer(base.sram_width_bits);
    else if (key == "weight_bits") integer(base.weight_bits);
    else if (key == "index_bits") integer(base.index_bits);
    else if (key == "arith_bits") integer(base.arith_bits);
    else if (key == "frac_bits") integer(base.frac_bits);
    else if (key == "ccu_latency") integer(base.ccu_latency);
    else if (key == "spmat_sram_kb") integer(base.spmat_sram_kb);
    else if (key == "ptr_sram_kb") integer(base.ptr_sram_kb);
    else if (key == "clock_mhz") {
      if (!value.is_number()) throw Error(source + ": key 'clock_mhz' must be a number, got " + value.dump());
      base.clock_mhz = value.get<double>();
    } else if (key == "reuse_line" || key == "queue_includes_pointer") {
      if (!value.is_boolean()) throw Error(source + ": key '" + key + "' must be true or false, got " + value.dump());
      (key == "reuse_line" ? base.reuse_line : base.queue_includes_pointer) = value.get<bool>();
    } else {
      throw Error(source + ": unknown key '" + key + "'");
    }
  }
  try {
    base.validate();
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return base;
}

Config load_config(const std::string& path, Config base) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the config file");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    throw Error(path + ": not valid JSON (" + what.substr(0, what.find('\n')) + ")");
  }
  return config_from_json(json, path, base);
}

}  // namespace eie::sim
