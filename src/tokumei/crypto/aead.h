#pragma once
// AES-256-GCM authenticated encryption with associated data (OpenSSL 3). The building block under
// the key ring; callers normally use KeyRing::seal/open, which add key ids and random nonces.

#include <initializer_list>

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"

namespace tokumei::crypto {

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadNonceSize = 12;
inline constexpr std::size_t kAeadTagSize = 16;

// An AES-256-GCM key made ready once (its key schedule computed) for sealing many records, as the
// key ring keeps one per live data key. Not thread-safe. Wipes its key material when destroyed.
class Aes256GcmSealer {
 public:
  // Errc::invalid_argument unless `key` is 32 bytes.
  static Result<Aes256GcmSealer> create(ByteView key);
  ~Aes256GcmSealer();
  Aes256GcmSealer(Aes256GcmSealer&& o) noexcept : ctx_(o.ctx_) { o.ctx_ = nullptr; }
  Aes256GcmSealer& operator=(Aes256GcmSealer&& o) noexcept;
  Aes256GcmSealer(const Aes256GcmSealer&) = delete;
  Aes256GcmSealer& operator=(const Aes256GcmSealer&) = delete;

  // Appends the ciphertext of `plaintext` and its 16-byte tag to `out`, authenticating the parts
  // of `aad` as if they were one string. The same rules as aes256gcm_seal.
  Status seal_append(ByteView nonce, std::initializer_list<ByteView> aad, ByteView plaintext,
                     Bytes& out);

 private:
  explicit Aes256GcmSealer(void* ctx) : ctx_(ctx) {}
  void* ctx_;  // EVP_CIPHER_CTX holding the key
};

// Encrypts `plaintext` under `key` (32 bytes) with `nonce` (12 bytes; never reuse one with the same
// key) and authenticates `aad` alongside. Returns ciphertext || 16-byte tag.
Result<Bytes> aes256gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);

// Reverses aes256gcm_seal. Fails with Errc::integrity when the key, nonce, aad or any byte of
// `sealed` differs from what was sealed; never returns unauthenticated plaintext.
Result<Bytes> aes256gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed);

}  // namespace tokumei::crypto
