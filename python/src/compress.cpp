// eie/compress.h for Python: k-means weight sharing, the same kmeans_1d and assign_clusters `eie compress`
// runs on every layer.
#include <cstring>

#include "bindings.h"
#include "eie/compress.h"

namespace eie::python {
namespace {

// With reserve_zero, as compress_layer() does for a pruned layer: 2^bits - 1 centroids fitted, the codebook
// [0, centroids...] and every code one higher.
py::tuple kmeans(const FloatArray& values, int bits, const std::string& init, std::uint64_t seed,
                 int max_iterations, bool reserve_zero) {
  if (values.ndim() != 1) {
    throw Error("kmeans: values must be a 1-D array, got shape " +
                python_shape({values.shape(), values.shape() + values.ndim()}));
  }
  if (bits < 1 || bits > 8) throw Error("kmeans: bits must be in 1..8, got " + std::to_string(bits));
  const std::span<const float> data(values.data(), static_cast<std::size_t>(values.shape(0)));
  const int first = reserve_zero ? 1 : 0;
  KmeansSettings settings{.clusters = (1 << bits) - first, .init = parse_kmeans_init(init, "kmeans: init"),
                          .seed = seed, .max_iterations = max_iterations, .threads = 2};
  KmeansResult result;
  std::vector<std::uint8_t> assigned;
  {
    py::gil_scoped_release release;
    if (settings.clusters >= 1) {
      result = kmeans_1d(data, settings);
      assigned = assign_clusters(data, result.centroids, settings.threads);
    } else {
      assigned.assign(data.size(), 0);  // bits 1 with the zero reserved: the codebook is {0}
    }
  }
  py::array_t<float> codebook(static_cast<py::ssize_t>(result.centroids.size()) + first);
  float* c = codebook.mutable_data();
  if (reserve_zero) c[0] = 0.0f;
  std::memcpy(c + first, result.centroids.data(), result.centroids.size() * sizeof(float));
  py::array_t<std::int64_t> codes(static_cast<py::ssize_t>(assigned.size()));
  std::int64_t* out = codes.mutable_data();
  for (std::size_t i = 0; i < assigned.size(); ++i) out[i] = assigned[i] + first;
  return py::make_tuple(codebook, codes);
}

}  // namespace

void bind_compress(py::module_& m) {
  m.def("kmeans", &kmeans, py::arg("values"), py::arg("bits"), py::arg("init"), py::arg("seed"),
        py::arg("max_iterations"), py::arg("reserve_zero"));
}

}  // namespace eie::python
