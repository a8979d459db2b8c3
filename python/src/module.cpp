// eie._core: the compiled half of the eie Python package (python/eie/__init__.py is the other).
#include "bindings.h"
#include "eie/version.h"

namespace eie::python {

py::object to_python(const nlohmann::json& json) {
  return py::module_::import("json").attr("loads")(json.dump());
}

std::string python_shape(const std::vector<std::int64_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out += (i ? ", " : "") + (shape[i] < 0 ? std::string("N") : std::to_string(shape[i]));
  }
  return out + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace eie::python

PYBIND11_MODULE(_core, m) {
  m.doc() = "The compiled part of eie; use the eie package, which wraps it.";
  m.attr("__version__") = eie::kVersion;
  eie::python::bind_core(m);
  eie::python::bind_compress(m);
  eie::python::bind_io(m);
  eie::python::bind_engine(m);
  eie::python::bind_sim(m);
}
