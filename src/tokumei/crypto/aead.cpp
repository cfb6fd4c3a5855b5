#include "tokumei/crypto/aead.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <memory>
#include <string>

#include "tokumei/crypto/detail/openssl.h"

namespace tokumei::crypto {
namespace {

using detail::FreeWith;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, FreeWith<&EVP_CIPHER_CTX_free>>;
using Cipher = std::unique_ptr<EVP_CIPHER, FreeWith<&EVP_CIPHER_free>>;

// Fetched once: an implicit fetch (EVP_aes_256_gcm()) on every call costs more than sealing a
// small record. EVP_CIPHER objects are reference-counted and safe to share between threads.
const EVP_CIPHER* aes256gcm() {
  static const Cipher cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  return cipher.get();
}

using detail::take_openssl_error;

std::unexpected<Error> openssl_failure(const std::string& step) {
  std::string detail = take_openssl_error();
  return fail(Errc::internal,
              {"OpenSSL の AES-256-GCM 処理に失敗しました（" + step + "）: " + detail,
               "OpenSSL AES-256-GCM failed (" + step + "): " + detail});
}

Status check_key(ByteView key) {
  if (key.size() != kAeadKeySize) {
    return fail(Errc::invalid_argument,
                {"AES-256-GCM の鍵は 32 バイトでなければなりません（" + std::to_string(key.size()) +
                     " バイトが渡されました）",
                 "an AES-256-GCM key must be 32 bytes (got " + std::to_string(key.size()) + ")"});
  }
  return ok();
}

Status check_nonce(ByteView nonce) {
  if (nonce.size() != kAeadNonceSize) {
    return fail(
        Errc::invalid_argument,
        {"AES-256-GCM のノンスは 12 バイトでなければなりません（" + std::to_string(nonce.size()) +
             " バイトが渡されました）",
         "an AES-256-GCM nonce must be 12 bytes (got " + std::to_string(nonce.size()) + ")"});
  }
  return ok();
}

Status check_key_and_nonce(ByteView key, ByteView nonce) {
  TKM_RETURN_IF_ERROR(check_key(key));
  return check_nonce(nonce);
}

// EVP_*Update take int lengths.
Status check_length(std::size_t size, const char* what_ja, const char* what_en) {
  if (size > static_cast<std::size_t>(INT_MAX) - kAeadTagSize) {
    return fail(Errc::invalid_argument,
                {std::string(what_ja) + "が大きすぎます（2 GiB 未満にしてください）",
                 std::string(what_en) + " is too large (must be under 2 GiB)"});
  }
  return ok();
}
Status check_length(ByteView data, const char* what_ja, const char* what_en) {
  return check_length(data.size(), what_ja, what_en);
}

std::unexpected<Error> integrity_failure() {
  return fail(Errc::integrity, {"暗号文の認証に失敗しました（改ざん、または鍵の誤り）",
                                "ciphertext failed authentication (tampered, or wrong key)"});
}

}  // namespace

Result<Aes256GcmSealer> Aes256GcmSealer::create(ByteView key) {
  TKM_RETURN_IF_ERROR(check_key(key));
  if (aes256gcm() == nullptr) return openssl_failure("fetch");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_failure("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex2(ctx.get(), aes256gcm(), key.data(), nullptr, nullptr) != 1) {
    return openssl_failure("EVP_EncryptInit_ex2");
  }
  return Aes256GcmSealer(ctx.release());
}

Aes256GcmSealer::~Aes256GcmSealer() {
  // Frees the key schedule with OPENSSL_clear_free: the key does not outlive the sealer.
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_));
}

Aes256GcmSealer& Aes256GcmSealer::operator=(Aes256GcmSealer&& o) noexcept {
  if (this != &o) {
    EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_));
    ctx_ = o.ctx_;
    o.ctx_ = nullptr;
  }
  return *this;
}

Status Aes256GcmSealer::seal_append(ByteView nonce, std::initializer_list<ByteView> aad,
                                    ByteView plaintext, Bytes& out) {
  TKM_RETURN_IF_ERROR(check_nonce(nonce));
  std::size_t aad_size = 0;
  for (ByteView part : aad) aad_size += part.size();
  TKM_RETURN_IF_ERROR(check_length(aad_size, "関連データ", "associated data"));
  TKM_RETURN_IF_ERROR(check_length(plaintext, "平文", "plaintext"));
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(ctx_);
  if (ctx == nullptr) return openssl_failure("moved-from sealer");
  // A new nonce restarts the cipher under the key already set.
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) != 1) {
    return openssl_failure("EVP_EncryptInit_ex2");
  }
  int len = 0;
  for (ByteView part : aad) {
    if (!part.empty() &&
        EVP_EncryptUpdate(ctx, nullptr, &len, part.data(), static_cast<int>(part.size())) != 1) {
      return openssl_failure("EVP_EncryptUpdate (aad)");
    }
  }
  const std::size_t start = out.size();
  out.resize(start + plaintext.size() + kAeadTagSize);
  std::uint8_t* ct = out.data() + start;
  std::size_t written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx, ct, &len, plaintext.data(), static_cast<int>(plaintext.size())) !=
        1) {
      out.resize(start);
      return openssl_failure("EVP_EncryptUpdate");
    }
    written = static_cast<std::size_t>(len);
  }
  if (EVP_EncryptFinal_ex(ctx, ct + written, &len) != 1) {
    out.resize(start);
    return openssl_failure("EVP_EncryptFinal_ex");
  }
  written += static_cast<std::size_t>(len);
  if (written != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagSize),
                          ct + written) != 1) {
    out.resize(start);
    return openssl_failure("EVP_CTRL_GCM_GET_TAG");
  }
  return ok();
}

Result<Bytes> aes256gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  // The sealer checks the key, then the nonce and the lengths.
  TKM_ASSIGN_OR_RETURN(Aes256GcmSealer sealer, Aes256GcmSealer::create(key));
  Bytes out;
  TKM_RETURN_IF_ERROR(sealer.seal_append(nonce, {aad}, plaintext, out));
  return out;
}

Result<Bytes> aes256gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed) {
  TKM_RETURN_IF_ERROR(check_key_and_nonce(key, nonce));
  TKM_RETURN_IF_ERROR(check_length(aad, "関連データ", "associated data"));
  TKM_RETURN_IF_ERROR(check_length(sealed, "暗号文", "sealed ciphertext"));
  // Shorter than a tag cannot be anything seal() produced: treat it like any other corruption.
  if (sealed.size() < kAeadTagSize) return integrity_failure();
  if (aes256gcm() == nullptr) return openssl_failure("fetch");

  ByteView ciphertext = sealed.first(sealed.size() - kAeadTagSize);
  ByteView tag = sealed.last(kAeadTagSize);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_failure("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex2(ctx.get(), aes256gcm(), key.data(), nonce.data(), nullptr) != 1) {
    return openssl_failure("EVP_DecryptInit_ex2");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return openssl_failure("EVP_DecryptUpdate (aad)");
  }

  // The plaintext is decrypted before the tag is checked; it must not escape unless the tag
  // matches, so it is wiped on every failure path.
  SecretBytes plain(ciphertext.size());
  std::size_t written = 0;
  if (!ciphertext.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), plain.data(), &len, ciphertext.data(),
                          static_cast<int>(ciphertext.size())) != 1) {
      return openssl_failure("EVP_DecryptUpdate");
    }
    written = static_cast<std::size_t>(len);
  }
  // SET_TAG takes a non-const pointer but only copies from it.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagSize),
                          const_cast<std::uint8_t*>(tag.data())) != 1) {
    return openssl_failure("EVP_CTRL_GCM_SET_TAG");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + written, &len) != 1) {
    ERR_clear_error();
    return integrity_failure();
  }
  written += static_cast<std::size_t>(len);
  if (written != ciphertext.size()) return openssl_failure("unexpected plaintext length");
  return Bytes(plain.view().begin(), plain.view().end());
}

}  // namespace tokumei::crypto
