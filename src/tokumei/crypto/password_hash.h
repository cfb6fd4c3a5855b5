#pragma once
// Argon2id (RFC 9106, libargon2): password hashes for accounts (AUTHN-08: salted, irreversible)
// and key derivation from a passphrase for the master key.

#include <cstdint>
#include <string>
#include <string_view>

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"
#include "tokumei/base/random.h"

namespace tokumei::crypto {

struct Argon2Params {
  std::uint32_t memory_kib = 64 * 1024;  // RFC 9106 §4 second recommended option: 64 MiB,
  std::uint32_t iterations = 3;          // t = 3,
  std::uint32_t parallelism = 1;         // one lane (the servers have few cores).

  // Cheap parameters for tests only; never use for real secrets.
  static Argon2Params for_tests() { return {256, 1, 1}; }
};

// Hashes `password` with a fresh 16-byte salt; returns the PHC string
// "$argon2id$v=19$m=...,t=...,p=...$salt$hash", which records its own parameters.
Result<std::string> argon2id_hash_password(std::string_view password, const Argon2Params& params,
                                           Random& random);

// True if `password` matches the PHC string `encoded`. A malformed `encoded` is a failure (false);
// the check takes the same time whether the password is right or wrong.
bool argon2id_verify_password(std::string_view password, std::string_view encoded);

// Derives `length` key bytes from `passphrase` and `salt` (at least 16 bytes).
Result<SecretBytes> argon2id_derive_key(std::string_view passphrase, ByteView salt,
                                        const Argon2Params& params, std::size_t length);

// Full RFC 9106 interface (secret and associated data), for the known-answer test.
Result<Bytes> argon2id_raw(ByteView password, ByteView salt, ByteView secret, ByteView associated,
                           const Argon2Params& params, std::size_t length);

}  // namespace tokumei::crypto
