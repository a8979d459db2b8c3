// eie/engine.h for Python: a model's ModelEngine, planned per set of input shapes and reused.
//
// ModelEngine plans for fixed shapes and its run() mutates scratch, so one Python Engine holds a small cache of
// planned ModelEngines (one per batch size seen, the latest few) behind one mutex: calls from several Python
// threads run one after another, with the GIL released so other Python threads go on. Inputs arrive as
// C-contiguous float32 (converted once otherwise) and are read in place; outputs are numpy arrays the engine
// writes directly.
#include <algorithm>
#include <ctime>
#include <mutex>

#include <fmt/core.h>

#include <pybind11/stl.h>

#include "bindings.h"
#include "eie/engine.h"

namespace eie::python {
namespace {

class PyEngine {
 public:
  PyEngine(const ModelHandle& model, int threads, const std::string& precision, const std::string& kernel,
           std::int64_t max_batch, bool skip_zero_activations, const std::string& layout, bool profile)
      : file_(model.file), max_batch_(max_batch) {
    if (file_->model.nodes.empty()) {
      throw Error(fmt::format("model '{}' has no graph: an engine needs a model from .onnx (or an .eie made "
                              "from one)", file_->model.name));
    }
    options_ = {.threads = threads, .kernel = parse_kernel_isa(kernel),
                .skip_zero_activations = skip_zero_activations, .precision = parse_precision(precision),
                .layout = parse_layout(layout), .profile = profile};
    check_layout(options_.layout, options_.precision, options_.kernel);
    // Dimension 0 of every input is the batch, as `eie run --batch` treats it.
    batched_ = file_->model;
    for (ValueInfo& input : batched_.inputs) {
      if (!input.shape.empty()) input.shape[0] = -1;
    }
    // Plan batch 1 now when every other dimension is declared, so a model or option the engine cannot run
    // fails here rather than at the first run.
    std::vector<Shape> shapes;
    for (const ValueInfo& input : batched_.inputs) {
      Shape shape = input.shape;
      if (!shape.empty()) shape[0] = 1;
      if (std::find(shape.begin(), shape.end(), -1) != shape.end()) return;
      shapes.push_back(shape);
    }
    py::gil_scoped_release release;
    planned(shapes);
  }

  // Inputs in graph order; outputs in graph order.
  py::list run(const std::vector<FloatArray>& inputs) {
    const std::vector<ValueInfo>& declared = batched_.inputs;
    if (inputs.size() != declared.size()) {
      throw Error(fmt::format("the model has {} inputs, {} given", declared.size(), inputs.size()));
    }
    std::vector<Shape> shapes;
    std::vector<std::span<const float>> spans;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const FloatArray& x = inputs[i];
      Shape shape(x.shape(), x.shape() + x.ndim());
      check_shape(shape, declared[i]);
      shapes.push_back(shape);
      spans.emplace_back(x.data(), static_cast<std::size_t>(x.size()));
    }
    std::vector<py::array_t<float>> outputs;
    std::vector<std::span<float>> out_spans;
    ModelEngine* engine = nullptr;
    std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
    {
      py::gil_scoped_release release;
      lock.lock();
      engine = &planned(shapes);
    }
    for (const Shape& shape : engine->output_shapes()) {
      outputs.emplace_back(std::vector<py::ssize_t>(shape.begin(), shape.end()));
      out_spans.emplace_back(outputs.back().mutable_data(), static_cast<std::size_t>(outputs.back().size()));
    }
    {
      py::gil_scoped_release release;
      engine->run(spans, out_spans);
      lock.unlock();
    }
    py::list result;
    for (auto& y : outputs) result.append(std::move(y));
    return result;
  }

  // CPU seconds of the calling thread per run, over `repeats` back-to-back runs inside C++ on the same inputs:
  // the baseline bench/python_overhead.py subtracts from a Python call. Thread CPU time, not wall time, so
  // that other processes on a busy machine do not count (the engine's own workers do not either: time it with
  // threads=1).
  double time_runs(const std::vector<FloatArray>& inputs, int repeats) {
    std::vector<Shape> shapes;
    std::vector<std::span<const float>> spans;
    for (const FloatArray& x : inputs) {
      shapes.emplace_back(x.shape(), x.shape() + x.ndim());
      spans.emplace_back(x.data(), static_cast<std::size_t>(x.size()));
    }
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex_);
    ModelEngine& engine = planned(shapes);
    std::vector<std::vector<float>> outputs;
    std::vector<std::span<float>> out_spans;
    for (const Shape& shape : engine.output_shapes()) outputs.emplace_back(static_cast<std::size_t>(shape_numel(shape)));
    for (auto& y : outputs) out_spans.emplace_back(y);
    const auto cpu_seconds = [] {
      timespec t{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
      return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
    };
    const double t0 = cpu_seconds();
    for (int r = 0; r < repeats; ++r) engine.run(spans, out_spans);
    return (cpu_seconds() - t0) / std::max(repeats, 1);
  }

  // run() for a model with one input: the per-call path bench/python_overhead.py times. The lock is taken
  // without releasing the GIL when it is free, the planned engine is found without allocating, and the GIL is
  // released once, around the run. Returns the output array (one output) or a list (several).
  py::object run1(const FloatArray& x) {
    if (batched_.inputs.size() != 1) {
      throw Error(fmt::format("the model has {} inputs, 1 given", batched_.inputs.size()));
    }
    const ValueInfo& declared = batched_.inputs[0];
    const std::span<const py::ssize_t> dims(x.shape(), static_cast<std::size_t>(x.ndim()));
    check_shape(Shape(dims.begin(), dims.end()), declared);
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) {
      py::gil_scoped_release release;
      lock.lock();
    }
    ModelEngine* engine = nullptr;
    if (!engines_.empty() && std::ranges::equal(engines_.front().first[0], dims)) {
      engine = engines_.front().second.get();
    } else {
      py::gil_scoped_release release;
      engine = &planned({Shape(dims.begin(), dims.end())});
    }
    const std::vector<Shape>& shapes = engine->output_shapes();
    std::vector<py::array_t<float>> outputs;
    std::vector<std::span<float>> out_spans;
    for (const Shape& shape : shapes) {
      outputs.emplace_back(std::vector<py::ssize_t>(shape.begin(), shape.end()));
      out_spans.emplace_back(outputs.back().mutable_data(), static_cast<std::size_t>(outputs.back().size()));
    }
    {
      const std::vector<std::span<const float>> inputs{{x.data(), static_cast<std::size_t>(x.size())}};
      py::gil_scoped_release release;
      engine->run(inputs, out_spans);
    }
    if (outputs.size() == 1) return std::move(outputs[0]);
    py::list result;
    for (auto& y : outputs) result.append(std::move(y));
    return result;
  }

  py::list plan(std::int64_t batch) {
    std::vector<Shape> shapes;
    for (const ValueInfo& input : batched_.inputs) {
      Shape shape = input.shape;
      if (!shape.empty()) shape[0] = batch;
      if (std::find(shape.begin(), shape.end(), -1) != shape.end()) {
        throw Error(fmt::format("input '{}' has shape {}: run the engine once to plan it", input.name,
                                python_shape(input.shape)));
      }
      shapes.push_back(shape);
    }
    std::vector<NodePlanInfo> info;
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mutex_);
      info = planned(shapes).plan_info();
    }
    py::list out;
    for (const NodePlanInfo& node : info) {
      py::dict d;
      d["node"] = node.node;
      d["op_type"] = node.op_type;
      d["path"] = node.path;
      d["kernel"] = node.kernel;
      d["weight_bytes"] = node.weight_bytes;
      if (options_.profile) {
        d["seconds"] = node.seconds;
        d["runs"] = node.runs;
      }
      out.append(d);
    }
    return out;
  }

 private:
  void check_shape(const Shape& shape, const ValueInfo& input) const {
    bool ok = shape.size() == input.shape.size();
    for (std::size_t d = 0; ok && d < shape.size(); ++d) ok = input.shape[d] < 0 || shape[d] == input.shape[d];
    if (!ok) {
      throw Error(fmt::format("input '{}' has shape {}, expected {} (N = batch, 1..{})", input.name,
                              python_shape(shape), python_shape(input.shape), max_batch_));
    }
    if (!shape.empty() && (shape[0] < 1 || shape[0] > max_batch_)) {
      throw Error(fmt::format("input '{}' has a batch of {}; this engine takes 1..{} (max_batch)", input.name,
                              shape[0], max_batch_));
    }
  }

  // The engine planned for `shapes` (planned now if new); the caller holds mutex_ (or is the constructor).
  ModelEngine& planned(const std::vector<Shape>& shapes) {
    for (auto it = engines_.begin(); it != engines_.end(); ++it) {
      if (it->first == shapes) {
        if (it != engines_.begin()) std::iter_swap(it, engines_.begin());
        return *engines_.front().second;
      }
    }
    constexpr std::size_t kKept = 4;  // a few batch sizes stay planned; each holds its own layouts
    if (engines_.size() == kKept) engines_.pop_back();
    engines_.insert(engines_.begin(), {shapes, std::make_unique<ModelEngine>(batched_, shapes, options_)});
    return *engines_.front().second;
  }

  std::shared_ptr<const EieFile> file_;
  Model batched_;
  ModelEngineOptions options_;
  std::int64_t max_batch_;
  std::mutex mutex_;
  std::vector<std::pair<std::vector<Shape>, std::unique_ptr<ModelEngine>>> engines_;
};

}  // namespace

void bind_engine(py::module_& m) {
  py::class_<PyEngine>(m, "Engine")
      .def(py::init<const ModelHandle&, int, const std::string&, const std::string&, std::int64_t, bool,
                    const std::string&, bool>(),
           py::arg("model"), py::arg("threads"), py::arg("precision"), py::arg("kernel"), py::arg("max_batch"),
           py::arg("skip_zero_activations"), py::arg("layout"), py::arg("profile"))
      .def("run", &PyEngine::run, py::arg("inputs"))
      .def("run1", &PyEngine::run1, py::arg("x"))
      .def("plan", &PyEngine::plan, py::arg("batch"))
      .def("time_runs", &PyEngine::time_runs, py::arg("inputs"), py::arg("repeats"));
  m.def("precision_available", [](const std::string& name) { return precision_available(parse_precision(name)); });
}

}  // namespace eie::python
