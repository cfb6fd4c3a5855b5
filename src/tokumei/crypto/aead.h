#pragma once
// AES-256-GCM authenticated encryption with associated data (OpenSSL 3). The building block under
// the key ring; callers normally use KeyRing::seal/open, which add key ids and random nonces.

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"

namespace tokumei::crypto {

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadNonceSize = 12;
inline constexpr std::size_t kAeadTagSize = 16;

// Encrypts `plaintext` under `key` (32 bytes) with `nonce` (12 bytes; never reuse one with the same
// key) and authenticates `aad` alongside. Returns ciphertext || 16-byte tag.
Result<Bytes> aes256gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);

// Reverses aes256gcm_seal. Fails with Errc::integrity when the key, nonce, aad or any byte of
// `sealed` differs from what was sealed; never returns unauthenticated plaintext.
Result<Bytes> aes256gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed);

}  // namespace tokumei::crypto
