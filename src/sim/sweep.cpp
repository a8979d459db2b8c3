// Sweep output: one CSV row per (point, layer), the same as JSON, and the paper's figures as gnuplot scripts
// (Figure 8: load efficiency vs FIFO depth; Figure 9: sparse-matrix SRAM read energy, reads and total energy vs
// SRAM width; Figures 11-13: speedup, padding and load efficiency vs PEs). The library runs no program: the
// `eie` command hands the scripts to gnuplot. Every file is written to a temporary name and renamed, so a failed
// sweep leaves no partial output.
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
         "spmat_energy_uj,spmat_sram_kb,useful_multiply_share\n";
  for (const SweepPoint& p : points) {
    for (std::size_t i = 0; i < p.layers.size(); ++i) {
      const LayerReport& r = p.layers[i];
      const double speedup = static_cast<double>(points.front().layers[i].stats.cycles) / static_cast<double>(r.stats.cycles);
      out << p.value << ',' << r.name << ',' << r.stats.cycles << ',' << r.stats.latency_us(r.config) << ','
          << speedup << ',' << r.stats.load_efficiency() << ',' << r.stats.padding_fraction() << ','
          << r.energy.energy_uj << ',' << r.energy.power_mw << ',' << r.stats.total().spmat_line_reads << ','
          << r.energy.energy_pj.spmat * 1e-6 << ',' << r.config.spmat_sram_kb << ','
          << r.stats.useful_multiply_share() << '\n';
    }
  }
  return out.str();
}

struct Figure {
  std::string suffix, title, ylabel;
  double (*value)(const SweepPoint& first, const SweepPoint& point, std::size_t layer);
  bool logy = false;
};

double speedup(const SweepPoint& first, const SweepPoint& p, std::size_t i) {
  return static_cast<double>(first.layers[i].stats.cycles) / static_cast<double>(p.layers[i].stats.cycles);
}
double load_efficiency(const SweepPoint&, const SweepPoint& p, std::size_t i) { return p.layers[i].stats.load_efficiency(); }
double padding(const SweepPoint&, const SweepPoint& p, std::size_t i) { return p.layers[i].stats.padding_fraction(); }
double spmat_energy_uj(const SweepPoint&, const SweepPoint& p, std::size_t i) { return p.layers[i].energy.energy_pj.spmat * 1e-6; }
double spmat_reads(const SweepPoint&, const SweepPoint& p, std::size_t i) {
  return static_cast<double>(p.layers[i].stats.total().spmat_line_reads);
}
double energy_uj(const SweepPoint&, const SweepPoint& p, std::size_t i) { return p.layers[i].energy.energy_uj; }

std::vector<Figure> figures_for(const std::string& parameter) {
  if (parameter == "fifo") return {{"fig8", "Figure 8: load efficiency vs activation queue depth", "load efficiency", load_efficiency}};
  if (parameter == "sram-width") {
    return {{"fig9", "Figure 9: sparse-matrix SRAM energy vs SRAM width", "spmat SRAM energy per inference (uJ)", spmat_energy_uj, true},
            {"fig9_reads", "Figure 9: sparse-matrix SRAM reads vs SRAM width", "SRAM line reads", spmat_reads, true},
            {"fig9_total", "Total energy per inference vs SRAM width", "energy per inference (uJ)", energy_uj, true}};
  }
  return {{"fig11", "Figure 11: speedup vs number of PEs", "speedup over the first point", speedup, true},
          {"fig12", "Figure 12: padding entries vs number of PEs", "padding share of entries", padding},
          {"fig13", "Figure 13: load efficiency vs number of PEs", "load efficiency", load_efficiency}};
}

std::string gnuplot_script(const Figure& f, const std::vector<SweepPoint>& points, const std::string& parameter,
                           const std::string& out_base) {
  std::ostringstream s;
  const std::size_t layers = points.front().layers.size();
  for (std::size_t i = 0; i < layers; ++i) {
    s << "$L" << i << " << EOD\n";
    for (const SweepPoint& p : points) s << p.value << ' ' << f.value(points.front(), p, i) << '\n';
    s << "EOD\n";
  }
  s << "set key outside right\nset grid\n";
  s << "set title '" << f.title << "'\nset xlabel '" << parameter << "'\nset ylabel '" << f.ylabel << "'\n";
  s << "set logscale x 2\n";
  if (f.logy) s << "set logscale y\n";
  std::ostringstream plot;
  plot << "plot ";
  for (std::size_t i = 0; i < layers; ++i) {
    plot << (i ? ", " : "") << "$L" << i << " using 1:2 with linespoints title '" << points.front().layers[i].name << "'";
  }
  plot << "\n";
  s << "set terminal pngcairo size 900,540\nset output '" << out_base << ".png" << kFigureTempSuffix << "'\n"
    << plot.str();
  s << "set terminal svg size 900,540\nset output '" << out_base << ".svg" << kFigureTempSuffix << "'\n"
    << plot.str();
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
  return written;
}

std::vector<SweepFigure> sweep_figures(const std::vector<SweepPoint>& points, const std::string& parameter,
                                       const std::string& prefix) {
  std::vector<SweepFigure> figures;
  if (points.empty()) return figures;
  for (const Figure& f : figures_for(parameter)) {
    const std::string base = prefix + "_" + f.suffix;
    figures.push_back({base, gnuplot_script(f, points, parameter, base)});
  }
  return figures;
}

}  // namespace eie::sim
