// eie/core.h: the canonical compressed layer, its EIE encoding and the scalar reference M x V.
//
// Everything in eie is an encoding of one in-memory form, CompressedLayer: a weight matrix (rows = outputs,
// cols = inputs) in CSC with absolute row indices and one codebook code per stored entry. The paper's N-PE
// interleaved CSC (EieEncoding) is derived from it and decodes back to it exactly. reference_spmv() is the
// slowest, clearest M x V there is; every kernel, the simulator and every file format are tested against it.
// docs/format.md describes both forms with the paper's worked example.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace eie {

// A user error: bad input, a bad argument, a bad file. The message names the argument or file and the value.
// The command line turns it into a one-line message and exit status 1; anything else is an internal error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------------------
// Codebook: the shared weights of one layer. Up to 2^bits values, bits in 1..8. In a pruned layer entry 0 is
// reserved for the value 0: stored entries never use it, and the EIE encoding's padding entries do.
class Codebook {
 public:
  Codebook() = default;
  // Throws Error if bits is outside 1..8, values has more than 2^bits entries, a value is not finite, or
  // zero_reserved is set and values[0] != 0.
  Codebook(std::vector<float> values, int bits, bool zero_reserved);

  int bits() const { return bits_; }
  std::size_t size() const { return values_.size(); }
  bool zero_reserved() const { return zero_reserved_; }
  float operator[](std::size_t code) const { return values_[code]; }
  const std::vector<float>& values() const { return values_; }
  // The first code a stored (non-zero) entry may use: 1 when entry 0 is reserved for zero, else 0.
  int first_code() const { return zero_reserved_ ? 1 : 0; }
  // The code of the value nearest to w among the codes a stored entry may use (ties: the lower code).
  std::uint8_t nearest(float w) const;

  bool operator==(const Codebook&) const = default;

 private:
  std::vector<float> values_;
  int bits_ = 0;
  bool zero_reserved_ = false;
};

// Where a layer came from: how it was compressed. Carried through every encoding and file.
struct Provenance {
  std::string method = "none";  // "none", "prune+quantize", "deep-compression", "ttq", ...
  double density = 1.0;         // stored entries / (rows * cols) after pruning
  int bits = 0;                 // codebook bits

  bool operator==(const Provenance&) const = default;
};

// ---------------------------------------------------------------------------------------------------------
// The canonical compressed layer: y = W x + bias with W (rows x cols) in CSC. Column j's entries are
// [col_ptr[j], col_ptr[j+1]); row_idx is strictly increasing within a column; codes[k] < codebook.size() and,
// when the codebook reserves zero, codes[k] != 0.
struct CompressedLayer {
  std::string name;
  std::int64_t rows = 0;  // outputs
  std::int64_t cols = 0;  // inputs
  Codebook codebook;
  std::vector<std::uint32_t> col_ptr;  // cols + 1 entries
  std::vector<std::uint32_t> row_idx;  // one per stored entry, absolute
  std::vector<std::uint8_t> codes;     // one per stored entry
  std::vector<float> bias;             // rows entries, or empty for no bias
  Provenance provenance;

  std::int64_t nnz() const { return static_cast<std::int64_t>(row_idx.size()); }
  double density() const;

  // Stores every non-zero element of the row-major dense matrix with the code of its nearest codebook value
  // (the codebook assignment). Zero elements are not stored.
  static CompressedLayer from_dense(std::int64_t rows, std::int64_t cols, std::span<const float> dense,
                                    Codebook codebook, std::span<const float> bias = {});
  // Builds the layer from a row-major matrix of codes. With a zero-reserved codebook code 0 means "not stored";
  // otherwise every element is stored.
  static CompressedLayer from_codes(std::int64_t rows, std::int64_t cols, std::span<const std::uint8_t> codes,
                                    Codebook codebook, std::span<const float> bias = {});
  // The weight matrix, row-major, with the codebook values substituted (bias not included).
  std::vector<float> to_dense() const;

  // Throws Error naming the first field that breaks the invariants above.
  void validate() const;

  bool operator==(const CompressedLayer&) const = default;
};

// ---------------------------------------------------------------------------------------------------------
// The EIE encoding (Han et al., ISCA 2016, section III): rows are interleaved over N processing elements, row i
// on PE i mod N as local row i / N. Each PE stores, for every column, its slice as (v, z) entries: v = the
// weight code, z = the number of zero rows of this PE before the entry (counted from the previous entry of the
// column, or from the column's start). A gap longer than 2^index_bits - 1 is bridged by a padding entry
// (v = 0, z = 2^index_bits - 1) which itself takes one row slot. p[j] .. p[j+1]-1 are column j's entries.
struct EieEntry {
  std::uint8_t v = 0;  // weight code
  std::uint8_t z = 0;  // relative row index
  bool operator==(const EieEntry&) const = default;
};

struct PeSlice {
  std::int64_t num_rows = 0;             // rows owned by this PE
  std::vector<std::uint32_t> col_ptr;    // cols + 1 entries
  std::vector<EieEntry> entries;
  std::int64_t padding_entries = 0;      // entries with v = 0 that exist only to bridge long gaps
  bool operator==(const PeSlice&) const = default;
};

struct EieEncoding {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  int num_pes = 1;
  int index_bits = 4;
  Codebook codebook;
  std::vector<float> bias;
  Provenance provenance;
  std::vector<PeSlice> pes;

  int max_gap() const { return (1 << index_bits) - 1; }
  // PE that owns global row `row`, and the global row of PE `pe`'s local row `local`.
  int pe_of_row(std::int64_t row) const { return static_cast<int>(row % num_pes); }
  std::int64_t global_row(int pe, std::int64_t local) const { return local * num_pes + pe; }
};

// Requires a zero-reserved codebook (padding entries need the value 0). Throws Error for num_pes < 1,
// index_bits outside 2..8, a codebook without a reserved zero, or a layer that fails validate().
EieEncoding encode_eie(const CompressedLayer& layer, int num_pes, int index_bits = 4);
// Back to the canonical form; decode_eie(encode_eie(l, n, b)) == l for every valid l, n, b.
CompressedLayer decode_eie(const EieEncoding& encoding);

struct PeStats {
  std::int64_t real_entries = 0;
  std::int64_t padding_entries = 0;
  std::int64_t pointers = 0;  // cols + 1
  std::int64_t bytes = 0;     // entries at (weight bits + index bits), pointers at pointer_bits, rounded up
};

struct EncodingStats {
  std::vector<PeStats> pes;
  std::int64_t real_entries = 0;
  std::int64_t padding_entries = 0;
  std::int64_t bytes = 0;
  int pointer_bits = 16;          // 16 as in the paper, or 32 when a PE holds more than 65,535 entries
  double imbalance = 1.0;         // max / mean entries (real + padding) per PE; 1 = perfectly balanced
  double padding_fraction() const;  // padding / (real + padding)
  std::int64_t dense_fp32_bytes = 0;  // rows * cols * 4, for comparison
};

EncodingStats encoding_stats(const EieEncoding& encoding);

// ---------------------------------------------------------------------------------------------------------
// References. All accumulate in double. None applies an activation function.

// y = W x + bias, walking the EIE entries PE by PE and skipping zero activations, exactly as the hardware does.
// Throws Error if x.size() != cols.
std::vector<double> reference_spmv(const EieEncoding& encoding, std::span<const float> x);
// y = W x + bias on the canonical CSC form (same arithmetic, no padding).
std::vector<double> reference_spmv(const CompressedLayer& layer, std::span<const float> x);
// y = W x + bias for a row-major dense W (bias may be empty).
std::vector<double> dense_reference(std::int64_t rows, std::int64_t cols, std::span<const float> w,
                                    std::span<const float> x, std::span<const float> bias = {});

// The activation function applied to a layer's output after the bias, by every engine (CPU and GPU) that runs
// a chain of layers: between layers and after the last one.
enum class Activation { none, relu };
const char* activation_name(Activation activation);  // "none", "relu"

// ---------------------------------------------------------------------------------------------------------
// Deterministic randomness (splitmix64): the same seed gives the same layers on every platform and compiler.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();                               // [0, 1)
  std::uint64_t below(std::uint64_t n);           // [0, n)
  double normal();                                // standard normal (Box-Muller)

 private:
  std::uint64_t state_;
};

// Synthetic layers and inputs for tests, the benchmark suites and the simulator. Each element is kept
// independently with probability `density` (gaps drawn geometrically, so cost is proportional to the entries
// kept); kept entries get codes uniform over the codebook's usable codes. The codebook is the 2^bits - 1
// non-zero values spread linearly over [-1, 1] (zero excluded), entry 0 reserved for zero.
struct SyntheticLayerSpec {
  std::string name = "synthetic";
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  double density = 0.1;
  int bits = 4;
  bool bias = false;
  std::uint64_t seed = 1;
};
CompressedLayer synthetic_layer(const SyntheticLayerSpec& spec);
// An input vector with each element non-zero with probability `density`, non-zero values uniform in (0, 1]
// (post-ReLU activations are non-negative).
std::vector<float> synthetic_activations(std::int64_t n, double density, std::uint64_t seed);

// The nine benchmark layers of the EIE paper (Table III), rows = outputs, cols = inputs.
struct PaperLayer {
  const char* name;
  std::int64_t rows;
  std::int64_t cols;
  double weight_density;
  double activation_density;
  const char* description;
};
std::span<const PaperLayer> paper_benchmark_layers();
// Looks a layer up by name (case-insensitive); throws Error listing the valid names if there is none.
const PaperLayer& paper_benchmark_layer(const std::string& name);
// The suite's layer and input as the simulator and the benchmarks build them (seeded by name and `seed`).
CompressedLayer paper_layer_weights(const PaperLayer& layer, std::uint64_t seed = 1);
std::vector<float> paper_layer_input(const PaperLayer& layer, std::uint64_t seed = 1);

}  // namespace eie
