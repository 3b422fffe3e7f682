// Byte helpers: little-endian loads/stores, hex, and a bounds-checked reader.
//
// Every structure SGX and SEV-SNP define is little-endian. Untrusted bytes are
// read through ByteReader / load_le on spans, never by casting a pointer
// (STYLE: parse, don't cast).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/result.h"

namespace nsgx {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

template <typename T>
  requires std::is_unsigned_v<T>
constexpr T load_le(const std::uint8_t* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (static_cast<T>(p[i]) << (8 * i)));
  return v;
}

template <typename T>
  requires std::is_unsigned_v<T>
constexpr void store_le(std::uint8_t* p, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Lower-case hex of the bytes, in memory order.
std::string to_hex(ByteSpan bytes);
// Parses hex (whitespace ignored, optional 0x prefix) into bytes.
Result<Bytes> from_hex(std::string_view text);

// "0x1f" — for error messages naming addresses and sizes.
std::string hex_u64(std::uint64_t v);
// True when every byte is zero (reserved fields).
bool all_zero(ByteSpan bytes);

// Views any trivially copyable object as bytes (for our own, trusted objects).
template <typename T>
  requires std::is_trivially_copyable_v<T>
ByteSpan as_bytes(const T& obj) {
  return {reinterpret_cast<const std::uint8_t*>(&obj), sizeof(T)};
}
template <typename T>
  requires std::is_trivially_copyable_v<T>
MutableByteSpan as_writable_bytes(T& obj) {
  return {reinterpret_cast<std::uint8_t*>(&obj), sizeof(T)};
}

// Copies exactly sizeof(T) bytes into a T. The caller has checked the length;
// the copy is byte-wise so alignment and aliasing of the source do not matter.
template <typename T>
  requires std::is_trivially_copyable_v<T>
T copy_struct(ByteSpan bytes) {
  T out;
  std::memcpy(&out, bytes.data(), sizeof(T));
  return out;
}

// Bounds-checked sequential reader over untrusted bytes.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  std::size_t offset() const { return off_; }
  std::size_t remaining() const { return data_.size() - off_; }
  bool at_end() const { return off_ == data_.size(); }

  Result<ByteSpan> take(std::size_t n) {
    if (n > remaining()) return Error("truncated: need " + std::to_string(n) + " bytes at offset " +
                                      std::to_string(off_) + ", have " + std::to_string(remaining()));
    ByteSpan s = data_.subspan(off_, n);
    off_ += n;
    return s;
  }
  template <typename T>
    requires std::is_unsigned_v<T>
  Result<T> read_le() {
    auto s = take(sizeof(T));
    if (!s) return s.error();
    return load_le<T>(s->data());
  }

 private:
  ByteSpan data_;
  std::size_t off_ = 0;
};

// Checked range [offset, offset+length) within a buffer of `size` bytes.
constexpr bool range_within(std::uint64_t offset, std::uint64_t length, std::uint64_t size) {
  return offset <= size && length <= size - offset;
}

Result<Bytes> read_file(const std::string& path);
Status write_file(const std::string& path, ByteSpan data);

}  // namespace nsgx
