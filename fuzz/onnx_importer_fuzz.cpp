// libFuzzer target: parse_onnx on arbitrary bytes must return a valid model or throw eie::Error; a model it
// returns must export and import back to itself, and planning its shapes (the shape computations evaluated by
// fold_shapes, then shape inference, then the layer-normalisation fusing) for its declared input shapes (unknown
// dimensions 2) must succeed or throw eie::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "eie/io.h"
#include "eie/model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  eie::Model m;
  try {
    m = eie::parse_onnx({data, size}, "fuzz.onnx");
  } catch (const eie::Error&) {
    return 0;
  }
  try {
    (void)m.weight_slots();  // may reject an attribute of the wrong type (e.g. a string transB) with an Error
  } catch (const eie::Error&) {
  }
  try {
    std::map<std::string, eie::Shape> shapes;
    for (const eie::ValueInfo& input : m.inputs) {
      eie::Shape shape = input.shape;
      for (std::int64_t& d : shape) d = d < 0 ? 2 : d;
      shapes[input.name] = shape;
    }
    const std::map<std::string, eie::Shape> inferred = eie::infer_shapes(m, shapes);
    // The engine's fusing of layer normalisations and GELUs on what planning accepted: the fused graph plans too.
    if (const std::optional<eie::Model> fused = eie::fuse_layer_norms(m, inferred)) {
      (void)eie::infer_shapes(*fused, shapes);
    }
    if (const std::optional<eie::Model> fused = eie::fuse_gelus(m)) (void)eie::infer_shapes(*fused, shapes);
  } catch (const eie::Error&) {
  }
  try {
    // NaN initializers compare unequal to themselves, so compare the re-exported bytes instead.
    const auto bytes = eie::serialize_onnx(m);
    const eie::Model back = eie::parse_onnx(bytes, "fuzz-export.onnx");
    if (eie::serialize_onnx(back) != bytes) std::abort();
  } catch (const eie::Error&) {
    std::abort();  // a model the importer accepted must export and import again
  }
  return 0;
}
