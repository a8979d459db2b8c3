// Bit streams, LSB-first within each byte (the deflate convention): a reader peeks the next bits with one load
// and a shift.
#include <string>

#include "eie/compress.h"

namespace eie {

void BitWriter::put(std::uint64_t bits, int count) {
  if (count <= 0) return;
  buffer_ |= (bits & ((std::uint64_t{1} << count) - 1)) << buffered_;
  buffered_ += count;
  bit_count_ += count;
  while (buffered_ >= 8) {
    bytes_.push_back(static_cast<std::uint8_t>(buffer_));
    buffer_ >>= 8;
    buffered_ -= 8;
  }
}

std::vector<std::uint8_t> BitWriter::finish() {
  if (buffered_ > 0) bytes_.push_back(static_cast<std::uint8_t>(buffer_));
  buffer_ = 0;
  buffered_ = 0;
  bit_count_ = 0;
  return std::move(bytes_);
}

std::uint32_t BitReader::get(int count) {
  const std::int64_t available = static_cast<std::int64_t>(bytes_.size()) * 8 - position_;
  if (count > available) {
    throw Error("bit reader: needs " + std::to_string(count) + " bits at bit " + std::to_string(position_) +
                ", only " + std::to_string(available) + " left");
  }
  std::uint32_t value = 0;
  for (int i = 0; i < count; ++i, ++position_) {
    const auto byte = bytes_[static_cast<std::size_t>(position_ >> 3)];
    value |= static_cast<std::uint32_t>((byte >> (position_ & 7)) & 1u) << i;
  }
  return value;
}

}  // namespace eie
