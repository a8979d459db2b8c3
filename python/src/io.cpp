// eie/io.h for Python: loading (.eie, .onnx, .safetensors, .npy), saving (.eie, atomic), compressing a whole
// model with per-layer glob rules, and the compression report (`eie info --json`'s document).
#include <filesystem>

#include <pybind11/stl.h>

#include "bindings.h"

namespace eie::python {
namespace {

ModelHandle load(const std::string& path) {
  py::gil_scoped_release release;
  auto file = std::make_shared<EieFile>();
  if (std::filesystem::path(path).extension() == ".eie") {
    *file = load_eie(path);
  } else {
    file->model = load_model(path);
  }
  return {std::move(file), path};
}

// A graph-less model from named arrays of rank >= 2 ([outputs, inputs...], PyTorch's convention).
ModelHandle from_arrays(const std::vector<std::pair<std::string, FloatArray>>& arrays, const std::string& name) {
  auto file = std::make_shared<EieFile>();
  file->model.name = name;
  for (const auto& [key, array] : arrays) {
    Tensor tensor{{array.shape(), array.shape() + array.ndim()}, {}};
    tensor.data.assign(array.data(), array.data() + array.size());
    file->model.initializers[key] = std::move(tensor);
  }
  file->model.validate();
  return {std::move(file), ""};
}

ModelHandle compress(const ModelHandle& source, const std::string& density, const std::string& quality,
                     const std::string& bits, const std::string& index_bits, const std::string& init,
                     std::uint64_t seed, int max_iterations, bool import_distinct, const std::string& source_name) {
  ModelCompressionOptions options;
  if (!density.empty()) options.density = LayerRules::parse_density(density, "density");
  if (!quality.empty()) options.quality = LayerRules::parse_quality(quality, "quality");
  if (!bits.empty()) options.bits = LayerRules::parse_bits(bits, "bits");
  if (!index_bits.empty()) options.index_bits = LayerRules::parse_bits(index_bits, "index_bits");
  options.init = parse_kmeans_init(init, "init");
  options.seed = seed;
  options.max_iterations = max_iterations;
  options.import_distinct = import_distinct;
  auto file = std::make_shared<EieFile>();
  {
    py::gil_scoped_release release;
    *file = compress_model(source.file->model, options);
  }
  if (!source_name.empty()) file->settings["source"] = source_name;
  return {std::move(file), ""};
}

void save(ModelHandle& handle, const std::string& path) {
  {
    py::gil_scoped_release release;
    save_eie(path, *handle.file);
  }
  auto file = std::make_shared<EieFile>(*handle.file);
  file->file_bytes = static_cast<std::int64_t>(std::filesystem::file_size(path));
  handle.file = std::move(file);
  handle.path = path;
}

py::object info(const ModelHandle& handle) {
  nlohmann::json json;
  {
    py::gil_scoped_release release;
    const bool stored = !handle.path.empty() && std::filesystem::path(handle.path).extension() == ".eie";
    if (handle.file->model.compressed.empty() && !handle.path.empty() && !stored) {  // a model file to compress
      json = dense_info_json(handle.file->model, handle.path);
    } else {  // a .eie file, or a model not saved yet (the numbers of the file save() would write)
      json = info_json(*handle.file, stored ? handle.path : "");
    }
  }
  return to_python(json);
}

// Every constant tensor of the model, compressed weights decompressed (codebook values substituted), in the
// tensor's original shape.
py::dict weights(const ModelHandle& handle) {
  py::dict out;
  const Model& model = handle.file->model;
  const auto add = [&](const std::string& name, const Tensor& tensor) {
    py::array_t<float> array(std::vector<py::ssize_t>(tensor.shape.begin(), tensor.shape.end()));
    std::copy(tensor.data.begin(), tensor.data.end(), array.mutable_data());
    out[py::str(name)] = array;
  };
  for (const auto& [name, tensor] : model.initializers) add(name, tensor);
  for (const auto& [name, weight] : model.compressed) add(name, weight.to_tensor());
  return out;
}

py::list value_infos(const std::vector<ValueInfo>& values) {
  py::list out;
  for (const ValueInfo& v : values) out.append(py::make_tuple(v.name, py::tuple(py::cast(v.shape)), v.type));
  return out;
}

}  // namespace

void bind_io(py::module_& m) {
  py::class_<ModelHandle>(m, "ModelHandle")
      .def_property_readonly("path", [](const ModelHandle& h) { return h.path; })
      .def_property_readonly("name", [](const ModelHandle& h) { return h.file->model.name; })
      .def_property_readonly("inputs", [](const ModelHandle& h) { return value_infos(h.file->model.inputs); })
      .def_property_readonly("outputs", [](const ModelHandle& h) { return value_infos(h.file->model.outputs); })
      .def_property_readonly("has_graph", [](const ModelHandle& h) { return !h.file->model.nodes.empty(); })
      .def_property_readonly("compressed", [](const ModelHandle& h) {
        py::list names;
        for (const auto& [name, weight] : h.file->model.compressed) names.append(name);
        return names;
      })
      .def_property_readonly("writer", [](const ModelHandle& h) { return h.file->writer; });
  m.def("load", &load, py::arg("path"));
  m.def("weights", &weights, py::arg("handle"));
  m.def("from_arrays", &from_arrays, py::arg("arrays"), py::arg("name"));
  m.def("compress", &compress, py::arg("source"), py::arg("density"), py::arg("quality"), py::arg("bits"),
        py::arg("index_bits"), py::arg("init"), py::arg("seed"), py::arg("max_iterations"), py::arg("import_distinct"),
        py::arg("source_name"));
  m.def("save", &save, py::arg("handle"), py::arg("path"));
  m.def("info", &info, py::arg("handle"));
}

}  // namespace eie::python
