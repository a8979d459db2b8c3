// Sweep output: one CSV row per (point, layer), the same as JSON, and the paper's figures drawn by gnuplot
// (Debian's gnuplot-nox) as PNG and SVG: Figure 8 (load efficiency vs FIFO depth), Figure 9 (sparse-matrix
// SRAM read energy and reads vs SRAM width), Figures 11-13 (speedup, padding and load efficiency vs PEs).
// Every file is written to a temporary name and renamed, so a failed sweep leaves no partial output.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "eie/sim.h"

namespace eie::sim {
namespace {

void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw Error(path + ": cannot write");
    out << text;
    if (!out) throw Error(path + ": write failed");
  }
  std::filesystem::rename(tmp, path);
}

std::string csv_text(const std::vector<SweepPoint>& points, const std::string& parameter) {
  std::ostringstream out;
  out << parameter
      << ",layer,cycles,latency_us,speedup,load_efficiency,padding_fraction,energy_uj,power_mw,spmat_line_reads,"
         "spmat_energy_uj,spmat_sram_kb\n";
  for (const SweepPoint& p : points) {
    for (std::size_t i = 0; i < p.layers.size(); ++i) {
      const LayerReport& r = p.layers[i];
      const double speedup = static_cast<double>(points.front().layers[i].stats.cycles) / static_cast<double>(r.stats.cycles);
      out << p.value << ',' << r.name << ',' << r.stats.cycles << ',' << r.stats.latency_us(r.config) << ','
          << speedup << ',' << r.stats.load_efficiency() << ',' << r.stats.padding_fraction() << ','
          << r.energy.energy_uj << ',' << r.energy.power_mw << ',' << r.stats.total().spmat_line_reads << ','
          << r.energy.energy_pj.spmat * 1e-6 << ',' << r.config.spmat_sram_kb << '\n';
    }
  }
  return out.str();
}

struct Figure {
  std::string suffix, title, ylabel, column;  // column: 1-based CSV column plotted against the parameter
  bool logx = false, logy = false;
};

std::vector<Figure> figures_for(const std::string& parameter) {
  if (parameter == "fifo") return {{"fig8", "Figure 8: load efficiency vs activation queue depth", "load efficiency", "6", true}};
  if (parameter == "sram-width") {
    return {{"fig9", "Figure 9: sparse-matrix SRAM energy vs SRAM width", "spmat SRAM energy (uJ)", "11", true, true},
            {"fig9_reads", "Figure 9: sparse-matrix SRAM reads vs SRAM width", "SRAM line reads", "10", true, true}};
  }
  return {{"fig11", "Figure 11: speedup vs number of PEs", "speedup over the first point", "5", true, true},
          {"fig12", "Figure 12: padding entries vs number of PEs", "padding share of entries", "7", true},
          {"fig13", "Figure 13: load efficiency vs number of PEs", "load efficiency", "6", true}};
}

std::string gnuplot_script(const Figure& f, const std::string& csv, const std::vector<std::string>& layers,
                           const std::string& parameter, const std::string& out_base) {
  std::ostringstream s;
  s << "set datafile separator ','\nset key outside right\nset grid\n";
  s << "set title '" << f.title << "'\nset xlabel '" << parameter << "'\nset ylabel '" << f.ylabel << "'\n";
  if (f.logx) s << "set logscale x 2\n";
  if (f.logy) s << "set logscale y\n";
  auto plot = [&] {
    s << "plot ";
    for (std::size_t i = 0; i < layers.size(); ++i) {
      s << (i ? ", " : "") << "'" << csv << "' using 1:(strcol(2) eq '" << layers[i] << "' ? $" << f.column
        << " : NaN) with linespoints title '" << layers[i] << "'";
    }
    s << "\n";
  };
  s << "set terminal pngcairo size 900,540\nset output '" << out_base << ".png.tmp'\n";
  plot();
  s << "set terminal svg size 900,540\nset output '" << out_base << ".svg.tmp'\n";
  plot();
  s << "unset output\n";
  return s.str();
}

}  // namespace

std::vector<std::string> write_sweep(const std::vector<SweepPoint>& points, const std::string& parameter,
                                     const std::string& prefix) {
  std::vector<std::string> written;
  const std::string csv = prefix + ".csv";
  write_file(csv, csv_text(points, parameter));
  written.push_back(csv);
  nlohmann::json json{{"parameter", parameter}, {"points", nlohmann::json::array()}};
  for (const SweepPoint& p : points) {
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerReport& r : p.layers) layers.push_back(to_json(r));
    json["points"].push_back({{"value", p.value}, {"config", to_json(p.config)}, {"layers", layers}});
  }
  write_file(prefix + ".json", json.dump(1) + "\n");
  written.push_back(prefix + ".json");

  std::vector<std::string> names;
  for (const LayerReport& r : points.front().layers) names.push_back(r.name);
  for (const Figure& f : figures_for(parameter)) {
    const std::string base = prefix + "_" + f.suffix;
    const std::string script_path = base + ".gp";
    write_file(script_path, gnuplot_script(f, csv, names, parameter, base));
    const std::string command = "gnuplot '" + script_path + "' 2>/dev/null";
    if (std::system(command.c_str()) != 0) {
      std::filesystem::remove(base + ".png.tmp");
      std::filesystem::remove(base + ".svg.tmp");
      throw Error("sweep: gnuplot failed on " + script_path + " (is gnuplot installed?)");
    }
    std::filesystem::rename(base + ".png.tmp", base + ".png");
    std::filesystem::rename(base + ".svg.tmp", base + ".svg");
    written.push_back(base + ".png");
    written.push_back(base + ".svg");
    std::filesystem::remove(script_path);
  }
  return written;
}

}  // namespace eie::sim
