// eie/io.h: reading models from the files people have (NumPy .npy, safetensors, ONNX) and the .eie container.
//
// Every reader validates what it reads and throws eie::Error with one line naming the file, the tensor or
// section, and what is wrong. The parse_* functions take the bytes of a file (`what` names it in errors); the
// load_* functions read a path. Writers write a temporary file beside the target and rename it into place, so a
// failed write never leaves a partial file. docs/format.md specifies the .eie container.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "eie/compress.h"
#include "eie/core.h"
#include "eie/model.h"

namespace eie {

// --- files ----------------------------------------------------------------------------------------------
std::vector<std::uint8_t> read_file(const std::string& path);
// Writes `path` + ".tmp-<pid>", then renames it to `path`; removes the temporary file on failure.
void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes);
void write_file_atomic(const std::string& path, std::string_view text);

// --- NumPy .npy: one array in C order: float (<f4, <f8, <f2), integer (<i8, <i4, <i2, |i1, unsigned) or bool
// (|b1), held in fp32 (an integer beyond 2^24 in magnitude is an error). `type`, when given, receives the
// element type's ONNX name in lower case ("float", "int64", "bool", ...).
Tensor parse_npy(std::span<const std::uint8_t> bytes, const std::string& what, std::string* type = nullptr);
Tensor read_npy(const std::string& path, std::string* type = nullptr);
void write_npy(const std::string& path, const Tensor& tensor);  // <f4, C order, format 1.0
// A graph-less model with one initializer named after the file's stem; the array must have rank >= 2.
Model load_npy(const std::string& path);

// --- safetensors: F32, F16 and BF16 tensors (converted to fp32) ------------------------------------------
Model parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& what);
Model load_safetensors(const std::string& path);
// Writes every tensor as F32 (the model's dense initializers; compressed weights decompressed).
std::vector<std::uint8_t> serialize_safetensors(const std::map<std::string, Tensor>& tensors);

// --- ONNX: the whole graph, initializers as fp32 -------------------------------------------------------
Model parse_onnx(std::span<const std::uint8_t> bytes, const std::string& what);
Model load_onnx(const std::string& path);
// BatchNormalization nodes that follow a Conv or Gemm are folded into it (fold_batch_norm in eie/model.h).
// The model as an ONNX ModelProto (opset 13, compressed weights decompressed to dense initializers).
std::vector<std::uint8_t> serialize_onnx(const Model& model);

// --- ONNX TensorProto (.pb, as in ONNX's test data): one tensor, converted to fp32 ---------------------------
// `type`, when given, receives the stored element type in lower case ("float", "int64", ...).
Tensor parse_tensor_proto(std::span<const std::uint8_t> bytes, const std::string& what, std::string* type = nullptr);
Tensor read_tensor_proto(const std::string& path, std::string* type = nullptr);
void write_tensor_proto(const std::string& path, const Tensor& tensor, const std::string& name = "");
std::string onnx_type_name(int data_type);  // ONNX TensorProto data type in lower case, "float"

// A tensor file by extension: .npy or .pb, with its element type in `type`; write_tensor writes fp32.
Tensor read_tensor(const std::string& path, std::string* type = nullptr);
void write_tensor(const std::string& path, const Tensor& tensor);

// Any supported model file, by extension: .onnx, .safetensors, .npy (and .eie: the stored model).
Model load_model(const std::string& path);

// --- the .eie container -----------------------------------------------------------------------------------
constexpr std::uint32_t kEieFormatVersion = 1;

struct EieFile {
  Model model;                            // compressed weights in model.compressed, the rest dense
  std::map<std::string, int> index_bits;  // relative-index bits per compressed weight (absent: 4)
  nlohmann::json settings = nlohmann::json::object();  // how it was compressed (carried, not interpreted)
  // Filled by the reader: the "writer" field, e.g. "eie 0.1.0" (empty for files written before it existed).
  // The writer always records its own version (eie/version.h), whatever this holds.
  std::string writer;
  // Filled by the reader (and by make_report): the paper's table, computed from the stored streams.
  CompressionReport report;
  std::int64_t file_bytes = 0;
};

std::vector<std::uint8_t> serialize_eie(const EieFile& file);
void save_eie(const std::string& path, const EieFile& file);
EieFile parse_eie(std::span<const std::uint8_t> bytes, const std::string& what);
EieFile load_eie(const std::string& path);
// The report of every compressed weight as the container stores it (Huffman streams included).
CompressionReport make_report(const EieFile& file);

// The compression report as JSON: {layers: [{name, rows, cols, weights, stored, density, bit counts, ratios}...],
// total: {...}, file_bytes}. info_json adds {file: path, model: name,
// imported: imported_weights(file)}: `eie info --json`'s document. An empty path stands for a model not saved
// yet: file is null and file_bytes the size save_eie would write.
nlohmann::json report_json(const CompressionReport& report, std::int64_t file_bytes);
nlohmann::json info_json(const EieFile& file, const std::string& path);
// For a model not compressed (`eie info MODEL.onnx --json`): {file, model, compressed: false, nodes, weights:
// [{name, op_type, shape, rows, cols, nonzeros, density, distinct_values}], compress_with}.
nlohmann::json dense_info_json(const Model& model, const std::string& path);
// "eie compress PATH -o STEM.eie": the command that compresses the model file `path`.
std::string compress_command(const std::string& path);

// --- compressing a whole model into a file --------------------------------------------------------------
// compress_weights (eie/compress.h), then the file: index bits per weight, the options and every weight's
// outcome in `settings` (an imported weight has "imported": true), and the report.
EieFile compress_model(Model model, const ModelCompressionOptions& options, const CompressionProgress& progress = {});
// The weights compress_model took as they are (provenance method "imported"), in report order.
std::vector<std::string> imported_weights(const EieFile& file);

}  // namespace eie
