// eie/sim.h for Python: the cycle-accurate simulation of a compressed model, as `eie sim FILE.eie` runs it,
// returning `eie sim --json`'s document plus the chain's output.
#include <cstring>
#include <optional>

#include <pybind11/stl.h>

#include "bindings.h"
#include "eie/sim.h"

namespace eie::python {
namespace {

py::object simulate(const ModelHandle& model, const std::optional<FloatArray>& x, const std::string& design,
                    bool fit_design, double input_density, std::uint64_t seed) {
  sim::ModelSimulationOptions options;
  // `design`: a JSON object with Config's keys (`eie sim --config`); config_from_json checks names and types.
  options.config = sim::config_from_json(nlohmann::json::parse(design), "simulate");
  options.fit_design = fit_design;
  options.input_density = input_density;
  options.seed = seed;
  if (x) {
    options.input = std::vector<float>(x->data(), x->data() + x->size());
    options.input_name = "x has shape " + python_shape({x->shape(), x->shape() + x->ndim()});
    options.chain_io = "x";
  }
  sim::ModelSimulation result;
  nlohmann::json json;
  {
    py::gil_scoped_release release;
    result = sim::simulate_model(model.file->model, model.path.empty() ? model.file->model.name : model.path,
                                 options);
    json = sim::to_json(result, model.path);
  }
  py::object out = to_python(json);
  py::array_t<float> output(static_cast<py::ssize_t>(result.output.size()));
  std::memcpy(output.mutable_data(), result.output.data(), result.output.size() * sizeof(float));
  out["output"] = output;
  out["cycles"] = result.chain.cycles;
  out["frames_per_s"] = result.chain.frames_per_s;
  out["energy_uj"] = result.chain.energy_uj;
  return out;
}

}  // namespace

void bind_sim(py::module_& m) {
  m.def("simulate", &simulate, py::arg("model"), py::arg("x"), py::arg("design"), py::arg("fit_design"),
        py::arg("input_density"), py::arg("seed"));
}

}  // namespace eie::python
