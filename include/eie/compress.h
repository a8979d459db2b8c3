// eie/compress.h: Deep Compression without retraining, on float arrays and shapes.
//
//   prune (magnitude, per layer) -> k-means weight sharing (per layer, 1-D) -> codes   = compress_layer()
//   CompressedLayer -> Deep Compression's CSC (relative indices, filler zeros)          = encode_relative_csc()
//   each stream (weight codes, relative indices) -> canonical Huffman                  = huffman_compress()
//   the paper's per-layer table (P, P+Q, P+Q+H)                                        = report_layer()
//
//   a layer already pruned and clustered elsewhere, taken exactly as it is               = import_clustered()
//   every weight of a model (glob rules per layer name)                                 = compress_weights()
//
// The layer functions work on a row-major rows x cols float matrix (rows = outputs); compress_weights runs them
// over a model's weight slots. The file format and the command line live in io/ and tools/.
// docs/compression.md says what every number counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eie/core.h"
#include "eie/model.h"

namespace eie {

// ---------------------------------------------------------------------------------------------------------
// Per-layer overrides: "fc*=0.09,conv*=0.35" or "fc*=4,conv*=8". Items are comma-separated PATTERN=VALUE; a
// bare VALUE means "*=VALUE". PATTERN is a glob over layer names ('*' any run, '?' one character, matched
// against the whole name). When several rules match a layer, the LAST one wins, so "0.1,fc8=0.25" is a
// default with one override.
struct LayerRule {
  std::string pattern;
  double value = 0.0;
  bool operator==(const LayerRule&) const = default;
};

bool glob_match(std::string_view pattern, std::string_view name);

class LayerRules {
 public:
  LayerRules() = default;
  explicit LayerRules(std::vector<LayerRule> rules) : rules_(std::move(rules)) {}

  // Parses the text; `option` names it in errors ("--density"). Throws Error for an empty item, a missing
  // pattern or value, or a value that is not a number.
  static LayerRules parse(std::string_view text, std::string_view option);
  // As parse(), and checks every value: density in (0, 1]; bits an integer in 1..8; quality >= 0.
  static LayerRules parse_density(std::string_view text, std::string_view option = "--density");
  static LayerRules parse_bits(std::string_view text, std::string_view option = "--bits");
  static LayerRules parse_quality(std::string_view text, std::string_view option = "--quality");

  // The value of the last rule matching `layer`, if any.
  std::optional<double> lookup(std::string_view layer) const;
  // Throws Error "<option>: pattern 'X' matches no layer (layers: a, b, ...)" for the first rule whose pattern
  // matches none of `layers`.
  void check_all_match(std::span<const std::string> layers, std::string_view option) const;

  const std::vector<LayerRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

 private:
  std::vector<LayerRule> rules_;
};

// ---------------------------------------------------------------------------------------------------------
// Pruning (Han et al., NIPS 2015): per layer, keep the weights of largest magnitude. Biases are never pruned
// (they are not passed here). Exact zeros are never kept by the two pruning modes.
enum class PruneMode {
  none,       // keep every weight (exact zeros included)
  quality,    // keep |w| > quality * std(w)  (std over all of the layer's weights, population std)
  density,    // keep exactly min(round(density * n), non-zeros) weights of largest |w|; ties: lower index first
};

struct PruneSettings {
  PruneMode mode = PruneMode::none;
  double quality = 0.0;  // mode quality: >= 0
  double density = 1.0;  // mode density: in (0, 1]
};

struct PruneResult {
  std::vector<std::uint8_t> keep;  // one per weight: 1 = kept
  std::int64_t kept = 0;
  double threshold = 0.0;          // quality: quality * std; density: smallest kept |w| (0 when none kept)
};

// Throws Error naming `layer` for a NaN/Inf weight or settings out of range.
PruneResult prune(std::span<const float> weights, const PruneSettings& settings, std::string_view layer = "");

// ---------------------------------------------------------------------------------------------------------
// Weight sharing: 1-D k-means (Lloyd) minimising the within-cluster sum of squares. The values are sorted once
// (radix sort, both cores); each iteration then finds the cluster boundaries by binary search and the means by
// prefix sums: O(k log n) per iteration. The result is exactly Lloyd's algorithm on the unsorted values: a value
// belongs to the nearest centroid (ties: the lower), centroids are float means of their clusters (accumulated
// in double), an empty cluster keeps its centroid.
enum class KmeansInit {
  linear,   // k centroids evenly over [min, max] (the paper's default: keeps the rare large weights)
  density,  // the quantiles at (i + 0.5) / k of the values (linear in the CDF)
  random,   // Forgy: k values drawn without replacement, seeded
};

struct KmeansSettings {
  int clusters = 16;           // 1..256
  KmeansInit init = KmeansInit::linear;
  std::uint64_t seed = 1;      // for KmeansInit::random
  int max_iterations = 100000;  // Lloyd on 10^8 values can need ~10^4 iterations; each costs what changes
  int threads = 2;             // for the sort and the final assignment; 1 = single-threaded
};

struct KmeansResult {
  std::vector<float> centroids;  // `clusters` values, ascending (empty when there are no values)
  int iterations = 0;            // Lloyd iterations run
  bool converged = false;        // stopped because no assignment changed
  double wcss = 0.0;             // within-cluster sum of squares at the end
};

// Throws Error for clusters outside 1..256, max_iterations < 1, or a non-finite value.
KmeansResult kmeans_1d(std::span<const float> values, const KmeansSettings& settings);
// The index of the nearest centroid (ascending centroids; ties: the lower index) for every value.
std::vector<std::uint8_t> assign_clusters(std::span<const float> values, std::span<const float> centroids,
                                          int threads = 2);

// Compression rate of weight sharing alone (Deep Compression eq. 1): n * b / (n * log2(k) + k * b).
double sharing_ratio(std::int64_t n, int clusters, int value_bits = 32);

// ---------------------------------------------------------------------------------------------------------
// One layer, dense float in, CompressedLayer out: prune -> k-means over the survivors -> codes.
// With reserve_zero (the default; the EIE encoding needs it) codebook entry 0 is the value 0, 2^bits - 1
// centroids are fitted to the survivors, and exact zeros are never stored. Without it 2^bits centroids are
// fitted and every kept weight is stored. A layer where nothing survives gets the one-entry codebook {0}.
// Provenance: method "prune+quantize" (or "quantize" when every weight is stored), density = stored /
// (rows * cols), bits. (With designated initializers write `.prune = {}` first: GCC's -Wextra warns when a
// leading member is left out.)
struct LayerSettings {
  PruneSettings prune;
  int bits = 8;  // 1..8
  KmeansInit init = KmeansInit::linear;
  std::uint64_t seed = 1;
  int max_iterations = 100000;  // Lloyd on 10^8 values can need ~10^4 iterations; each costs what changes
  bool reserve_zero = true;
  int threads = 2;
};

struct LayerStats {
  double threshold = 0.0;   // the pruning threshold used
  int iterations = 0;       // k-means iterations
  bool converged = false;
  double wcss = 0.0;
};

// Throws Error naming the layer for a NaN/Inf weight, a shape that does not match the data, a bias of the
// wrong length, or settings out of range (bits outside 1..8, density outside (0, 1], quality < 0).
CompressedLayer compress_layer(std::string name, std::int64_t rows, std::int64_t cols,
                               std::span<const float> weights, std::span<const float> bias,
                               const LayerSettings& settings, LayerStats* stats = nullptr);

// ---------------------------------------------------------------------------------------------------------
// Canonical Huffman coding of byte streams (weight codes, relative indices). A table is the code length of
// each symbol (0 = absent); codes are assigned canonically (shorter first, then by symbol), so the lengths are
// all a decoder needs. Lengths are limited (package-merge, optimal under the limit) so decoding tables stay
// small. Bits are written LSB-first into bytes, each code bit-reversed (the deflate convention), so the decoder
// peeks the next bits with one shift.
constexpr int kHuffmanMaxLength = 24;          // the largest length limit a table may use
constexpr int kHuffmanDefaultLength = 16;      // the limit huffman_compress uses by default
constexpr std::size_t kHuffmanMaxSymbols = 65536;  // coded symbols (groups of source symbols, see HuffmanStream)

class HuffmanTable {
 public:
  HuffmanTable() = default;
  // Optimal code lengths for the frequencies (up to 65536 symbols) under `max_length` (1..24). A single used
  // symbol gets length 1; no used symbol gives an empty table. Throws Error if the symbols cannot fit in
  // max_length bits.
  static HuffmanTable from_frequencies(std::span<const std::uint64_t> frequencies,
                                       int max_length = kHuffmanDefaultLength);
  // Validates (each length 0..24, a complete code, or one symbol of length 1) and builds the codes.
  static HuffmanTable from_lengths(std::vector<std::uint8_t> lengths);

  const std::vector<std::uint8_t>& lengths() const { return lengths_; }
  std::size_t symbols() const { return lengths_.size(); }  // alphabet size (highest used symbol + 1)
  int max_length() const { return max_length_; }
  std::uint32_t code(std::size_t symbol) const { return codes_[symbol]; }  // canonical, MSB-first
  int length(std::size_t symbol) const { return symbol < lengths_.size() ? lengths_[symbol] : 0; }

  // The serialised table, LSB-first bits: a 32-bit alphabet size, then per symbol a 5-bit length (0..24), except
  // that the 5-bit value 31 followed by a 12-bit r stands for r + 1 absent symbols; padded to a whole byte.
  std::vector<std::uint8_t> serialize() const;
  // Reads a table from the front of `bytes`; `consumed` gets its size. Throws Error naming `what` if it is
  // truncated or invalid.
  static HuffmanTable deserialize(std::span<const std::uint8_t> bytes, std::size_t* consumed,
                                  std::string_view what = "huffman table");
  std::int64_t serialized_bits() const;

  bool operator==(const HuffmanTable& other) const { return lengths_ == other.lengths_; }

 private:
  std::vector<std::uint8_t> lengths_;
  std::vector<std::uint32_t> codes_;
  int max_length_ = 0;
};

// Bits LSB-first into bytes.
class BitWriter {
 public:
  void put(std::uint64_t bits, int count);  // the low `count` (0..32) bits, lowest first
  std::int64_t bit_count() const { return bit_count_; }
  std::vector<std::uint8_t> finish();       // pads the last byte with zeros

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint64_t buffer_ = 0;
  int buffered_ = 0;
  std::int64_t bit_count_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  // The next `count` (0..32) bits. Throws Error past the end of the input.
  std::uint32_t get(int count);
  std::int64_t position() const { return position_; }  // bits read

 private:
  std::span<const std::uint8_t> bytes_;
  std::int64_t position_ = 0;
};

// A Huffman-coded stream. Symbol-by-symbol Huffman wastes up to ~1 bit per symbol on small or skewed alphabets
// (2-bit weight codes, the relative indices of a 25%-dense layer), which is more than 1% of their entropy, so a
// stream may be coded in groups: `group` consecutive source symbols s_0 .. s_{g-1} (each < alphabet) become one
// coded symbol s_0 + s_1 * alphabet + ... (alphabet^group <= 65536; a last partial group is padded with 0).
// huffman_compress tries groups 1, 2, ... while alphabet^group fits and the payload + table keeps shrinking.
struct HuffmanStream {
  HuffmanTable table;                  // over the coded symbols
  int alphabet = 1;                    // source symbols are < alphabet (1..256)
  int group = 1;                       // source symbols per coded symbol (1..8)
  std::int64_t symbols = 0;            // source symbols
  std::int64_t bit_count = 0;          // payload bits (without the table)
  std::vector<std::uint8_t> bytes;     // ceil(bit_count / 8) bytes

  std::int64_t coded_symbols() const { return (symbols + group - 1) / group; }
};

HuffmanStream huffman_compress(std::span<const std::uint8_t> symbols, int max_length = kHuffmanDefaultLength);
// Table-driven decoding of the stream's `symbols` source symbols into `out` (out.size() >= symbols). Throws
// Error naming `what` for an alphabet or group out of range, a symbol count that cannot fit in the payload, a
// payload that runs out or holds a bit pattern that is no code, or a coded symbol that is no group.
void huffman_decode(const HuffmanStream& stream, std::span<std::uint8_t> out,
                    std::string_view what = "huffman stream");
std::vector<std::uint8_t> huffman_decompress(const HuffmanStream& stream, std::string_view what = "huffman stream");

// Shannon entropy of the stream in bits (sum over symbols of -count * log2(count / n)).
double entropy_bits(std::span<const std::uint8_t> symbols);

// ---------------------------------------------------------------------------------------------------------
// Deep Compression's sparse storage (ICLR 2016, section 4): CSC, column by column, each stored entry a weight
// code and a RELATIVE row index z = the number of zero rows before it since the previous entry of its column
// (or the column's start), z in 0 .. 2^index_bits - 1. A longer gap gets a filler zero: an entry with code 0 and
// z = 2^index_bits - 1 that itself takes one row slot. This is the EIE encoding with one PE (no interleave).
// Filler zeros need code 0 to mean the value 0: a layer whose codebook does not reserve zero is an Error if it
// needs one.
constexpr int kFcIndexBits = 4;    // the default relative-index width for fully connected layers
constexpr int kConvIndexBits = 5;  // and for convolutions

struct RelativeCsc {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  int index_bits = kFcIndexBits;
  Codebook codebook;
  std::vector<float> bias;
  Provenance provenance;
  std::vector<std::uint32_t> col_ptr;  // cols + 1 entries, counting filler zeros
  std::vector<std::uint8_t> codes;     // one per entry; 0 for a filler zero
  std::vector<std::uint8_t> index;     // one relative row index per entry
  std::int64_t filler_entries = 0;

  std::int64_t entries() const { return static_cast<std::int64_t>(codes.size()); }
  int max_gap() const { return (1 << index_bits) - 1; }
};

// Throws Error for index_bits outside 1..8, a layer that fails validate(), or a needed filler zero without a
// reserved zero.
RelativeCsc encode_relative_csc(const CompressedLayer& layer, int index_bits = kFcIndexBits);
// decode_relative_csc(encode_relative_csc(l, b)) == l. Throws Error naming the layer for inconsistent input
// (pointers, a row past the end, a code outside the codebook, a filler not at the maximum gap).
CompressedLayer decode_relative_csc(const RelativeCsc& csc);

// ---------------------------------------------------------------------------------------------------------
// The report: Deep Compression's per-layer table. "Entries" are the relative CSC's entries (stored weights +
// filler zeros). Sizes in bits:
//   dense      = rows * cols * 32 (+ rows * 32 with count_bias)
//   P+Q        = entries * (weight bits + index bits) + pointers + codebook (+ bias)
//   P+Q+H      = Huffman payload of codes + its table + Huffman payload of indices + its table + pointers
//                + codebook (+ bias)
//   pointers   = (cols + 1) * pointer_bits, pointer_bits = bits to hold the entry count (at least 1)
//   codebook   = codebook entries * 32;  bias = its values * 32 (kept uncompressed)
// A layer that stores every weight (sharing alone) is counted as plain codes: index bits 0, no pointers, no
// index stream, so the slide's 4 x 4 example gives 16 * 32 / (16 * 2 + 4 * 32) = 3.2.
// docs/compression.md relates this to how the paper's tables count.
struct ReportOptions {
  bool count_bias = true;
  bool count_pointers = true;
  bool count_codebook = true;
  int huffman_max_length = kHuffmanDefaultLength;
};

struct LayerReport {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t weights = 0;           // rows * cols
  std::int64_t stored = 0;            // non-zero entries kept
  std::int64_t filler_entries = 0;
  std::int64_t entries = 0;           // stored + filler
  std::int64_t bias_values = 0;
  std::int64_t codebook_entries = 0;
  double density = 0.0;               // weights% kept (P): stored / weights
  int weight_bits = 0;                // weight bits (P+Q): the codebook's bits
  double weight_bits_huffman = 0.0;   // weight bits (P+Q+H): coded code stream (payload + table) / entries
  int index_bits = 0;                 // index bits (P+Q); 0 for a layer that stores every weight
  double index_bits_huffman = 0.0;    // index bits (P+Q+H): coded index stream (payload + table) / entries
  std::int64_t pointer_bits = 0;      // all pointers
  std::int64_t codebook_bits = 0;
  std::int64_t bias_bits = 0;
  std::int64_t dense_bits = 0;
  std::int64_t bits_pq = 0;
  std::int64_t bits_pqh = 0;
  double ratio_pq = 0.0;              // dense_bits / bits_pq
  double ratio_pqh = 0.0;             // dense_bits / bits_pqh
};

struct CompressionReport {
  std::vector<LayerReport> layers;
  LayerReport total;  // sums; density, weight/index bits are entry-weighted averages; weight_bits and index_bits
                      // are the maximum over the layers (0 when there are none)
};

LayerReport report_layer(const CompressedLayer& layer, int index_bits = kFcIndexBits,
                         const ReportOptions& options = {});
// The layer report from an already encoded layer and its two coded streams (what a file holds).
LayerReport report_layer(const RelativeCsc& csc, const HuffmanStream& codes, const HuffmanStream& index,
                         const ReportOptions& options = {});
CompressionReport summarize(std::vector<LayerReport> layers);

// ---------------------------------------------------------------------------------------------------------
// Exact import: a weight pruned and clustered elsewhere (this project's own export, torch.ao.pruning,
// TF-MOT-style clustering) is taken as it is when its non-zero values take at most 2^bits - 1 distinct values
// (2^bits when it holds no zero) and at least one value is shared by two weights (a layer of distinct values
// is a layer nobody clustered, however small). The codebook is {0, the distinct values ascending} (without the
// 0 when no weight is zero) and the mask is its zeros, so the decompressed weights equal the input bit for
// bit. `bits` is the codebook's width; with `smallest_bits` the codebook takes the fewest bits (1..`bits`) that
// hold the values instead. `distinct_too` drops the shared-value condition, for a caller that knows the weight
// was clustered (a layer with fewer non-zero weights than centroids shares no value). Provenance: method
// "imported". Returns nullopt when the weight does not qualify. Throws Error naming the layer for a shape that
// does not match the data or a NaN/Inf weight.
std::optional<CompressedLayer> import_clustered(std::string name, std::int64_t rows, std::int64_t cols,
                                                std::span<const float> weights, int bits, bool smallest_bits,
                                                bool distinct_too = false);

// ---------------------------------------------------------------------------------------------------------
// A whole model. Per-layer settings come from glob rules over the weight names (LayerRules). A layer matched by
// a --quality rule is pruned to |w| > quality * std; otherwise to the density of the last matching --density
// rule, else to `default_density`. Bits and index bits: the last matching rule, else 4 bits and 4-bit indices
// for fully connected weights (EIE's format) and 8 bits and 5-bit indices for convolutions (Deep Compression's).
// Unless `recluster` is set, a weight that import_clustered() accepts is taken as it is (its zeros as its mask,
// its values as its codebook): with the bits of its --bits rule, or without one the fewest bits (up to 8) that
// hold its values.
struct ModelCompressionOptions {
  LayerRules density;
  LayerRules quality;
  LayerRules bits;
  LayerRules index_bits;
  double default_density = 0.1;
  KmeansInit init = KmeansInit::linear;
  std::uint64_t seed = 1;
  int max_iterations = 300;
  int threads = 2;
  bool recluster = false;  // prune and cluster every weight, also those already clustered
  // Take as it is also a weight whose non-zero values are all distinct, where they fit its codebook (import_clustered's
  // distinct_too): for exports of trained clusters (eie.torch), whose small layers may share no value.
  bool import_distinct = false;
};

// What happened to one weight.
struct WeightOutcome {
  std::string name;
  bool imported = false;          // taken as it is (no pruning, no k-means)
  PruneSettings prune;            // as applied (imported: mode none)
  double threshold = 0.0;         // the pruning threshold used
  int bits = 0;                   // the codebook's bits
  int index_bits = kFcIndexBits;  // relative-index bits for the stored form
  int kmeans_iterations = 0;
  bool kmeans_converged = false;
  double wcss = 0.0;
};

struct ModelCompression {
  Model model;                        // compressed weights in model.compressed, the rest dense
  std::vector<WeightOutcome> weights;  // in Model::weight_slots() order
};

// Called before each layer (done = layers finished so far) and once at the end (done == total).
using CompressionProgress = std::function<void(std::size_t done, std::size_t total, const std::string& layer)>;

// Compresses every weight slot of `model` (Model::weight_slots). Throws Error when the model has no
// compressible weight, a rule's pattern matches no weight, a value is out of range, or a weight is not finite
// (naming the layer).
ModelCompression compress_weights(Model model, const ModelCompressionOptions& options,
                                  const CompressionProgress& progress = {});
const char* to_string(KmeansInit init);
// "linear", "density", "random"; throws Error naming `option` and the value otherwise.
KmeansInit parse_kmeans_init(const std::string& name, const std::string& option = "--init");

}  // namespace eie
