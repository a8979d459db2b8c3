// What the binding files of the eie Python module share: the array type they accept, the model handle the
// Python Model wraps, JSON documents as Python objects, and one bind_* function per public header.
//
// The bindings are thin: every computation is a call into the library (include/eie/), the same calls the
// `eie` command makes. The pure-Python layer (python/eie/__init__.py) checks argument types and ranges before
// anything here runs; these files check what only C++ knows (shapes against the model) and release the GIL
// around every call that computes.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "eie/io.h"

namespace eie::python {

namespace py = pybind11;

// C-contiguous float32 arrives without a copy; anything else numpy can convert is converted once.
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// A model as Python holds it: the .eie file form (a model loaded from .onnx has no compressed weight), and the
// file it was loaded from or last saved to ("" for none). Engines share `file`, which never changes once built.
struct ModelHandle {
  std::shared_ptr<const EieFile> file;
  std::string path;
};

// The JSON document as Python dicts, lists, numbers and strings (through the json module: the same numbers
// Python's json.loads reads from the CLI's output).
py::object to_python(const nlohmann::json& json);

// "(2, 784)": a shape as Python prints it.
std::string python_shape(const std::vector<std::int64_t>& shape);

void bind_core(py::module_& m);
void bind_compress(py::module_& m);
void bind_io(py::module_& m);
void bind_engine(py::module_& m);
void bind_sim(py::module_& m);

}  // namespace eie::python
