#pragma once
// SHA-256 and HMAC-SHA-256 (RFC 2104 / RFC 4231), and HKDF-SHA-256 (RFC 5869).

#include <array>
#include <cstdint>

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"

namespace tokumei::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(ByteView data);
// SHA-256 over the concatenation of `parts`, without copying them together.
Digest sha256(std::initializer_list<ByteView> parts);

// SHA-256 fed piece by piece (a file read in blocks).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(ByteView data);
  Digest finish();  // once

 private:
  void* ctx_;  // EVP_MD_CTX
};

// HMAC-SHA-256 of `message` under `key` (any length).
Digest hmac_sha256(ByteView key, ByteView message);

// HKDF-SHA-256: derives `length` bytes from `ikm` with `salt` and `info`. `length` is at most
// 255 * 32 = 8160 (RFC 5869); asking for more is a programming error and aborts. An empty `salt`
// means RFC 5869's default (32 zero bytes).
SecretBytes hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length);

}  // namespace tokumei::crypto
