#pragma once
// Byte strings and their text encodings (hex, base64, RFC 4648 base32), plus a buffer that wipes
// itself, for key material.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/error.h"

namespace tokumei {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string to_string(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string hex_encode(ByteView data);
Result<Bytes> hex_decode(std::string_view text);

std::string base64_encode(ByteView data);
Result<Bytes> base64_decode(std::string_view text);

// RFC 4648 base32 without padding (the form authenticator apps expect in otpauth:// URIs).
std::string base32_encode(ByteView data);
Result<Bytes> base32_decode(std::string_view text);

// Overwrites memory in a way the compiler may not remove.
void secure_wipe(void* data, std::size_t size);

// Holds secret bytes (keys, passwords) and wipes them when destroyed. Move-only.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : data_(size) {}
  explicit SecretBytes(ByteView b) : data_(b.begin(), b.end()) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) {}
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      wipe();
      data_ = std::move(o.data_);
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  std::uint8_t* data() { return data_.data(); }
  const std::uint8_t* data() const { return data_.data(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteView view() const { return {data_.data(), data_.size()}; }
  std::span<std::uint8_t> span() { return {data_.data(), data_.size()}; }
  SecretBytes clone() const { return SecretBytes(view()); }

 private:
  void wipe() {
    if (!data_.empty()) secure_wipe(data_.data(), data_.size());
  }
  std::vector<std::uint8_t> data_;
};

// Constant-time comparison (for tags, codes and hashes).
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace tokumei
