#pragma once
// Ed25519 signatures (RFC 8032) through OpenSSL 3: for audit checkpoints, receipts and packages.

#include <array>
#include <cstdint>

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"
#include "tokumei/base/random.h"

namespace tokumei::crypto {

inline constexpr std::size_t kEd25519SeedSize = 32;
inline constexpr std::size_t kEd25519PublicKeySize = 32;
inline constexpr std::size_t kEd25519SignatureSize = 64;

// A signing key: the 32-byte RFC 8032 private seed, wiped on destruction.
class Ed25519PrivateKey {
 public:
  // A fresh key from `random`.
  static Ed25519PrivateKey generate(Random& random);
  // Rebuilds a key from its 32-byte seed; fails on a wrong length.
  static Result<Ed25519PrivateKey> from_seed(ByteView seed);

  const SecretBytes& seed() const { return seed_; }
  Bytes public_key() const;
  Bytes sign(ByteView message) const;

 private:
  explicit Ed25519PrivateKey(SecretBytes seed) : seed_(std::move(seed)) {}
  SecretBytes seed_;
};

// True only if `signature` is a valid Ed25519 signature of `message` by `public_key`.
// A malformed key or signature is simply invalid (false), never an error.
bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature);

}  // namespace tokumei::crypto
