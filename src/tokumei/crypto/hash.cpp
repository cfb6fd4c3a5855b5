#include "tokumei/crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "tokumei/crypto/detail/openssl.h"

namespace tokumei::crypto {
namespace {

using detail::FreeWith;
using Md = std::unique_ptr<EVP_MD, FreeWith<&EVP_MD_free>>;
using Mac = std::unique_ptr<EVP_MAC, FreeWith<&EVP_MAC_free>>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, FreeWith<&EVP_MAC_CTX_free>>;
using Kdf = std::unique_ptr<EVP_KDF, FreeWith<&EVP_KDF_free>>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, FreeWith<&EVP_KDF_CTX_free>>;

constexpr std::size_t kHkdfMaxLength = 255 * 32;  // RFC 5869 §2.3: L <= 255 * HashLen

// These functions have no error path: SHA-256 and HMAC cannot fail on valid memory, so a failure
// here means a broken OpenSSL installation (missing default provider). Like SystemRandom without
// entropy, stopping is the only safe answer; carrying on with a zero digest would be worse.
[[noreturn]] void die(const char* step) { detail::openssl_fatal(step); }

// Fetched once rather than on every call (an implicit fetch costs more than hashing 32 bytes).
// The fetched objects are reference-counted and safe to share between threads.
const EVP_MD* sha256_md() {
  static const Md md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (!md) die("EVP_MD_fetch(SHA256)");
  return md.get();
}

EVP_MAC* hmac_mac() {
  static const Mac mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) die("EVP_MAC_fetch(HMAC)");
  return mac.get();
}

EVP_KDF* hkdf_kdf() {
  static const Kdf kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) die("EVP_KDF_fetch(HKDF)");
  return kdf.get();
}

using detail::non_null;

}  // namespace

Digest sha256(ByteView data) { return sha256({data}); }

Digest sha256(std::initializer_list<ByteView> parts) {
  Sha256 h;
  for (ByteView part : parts) h.update(part);
  return h.finish();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) die("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(ctx_), sha256_md(), nullptr) != 1) {
    die("EVP_DigestInit_ex2");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(ByteView data) {
  if (!data.empty() &&
      EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1) {
    die("EVP_DigestUpdate");
  }
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len) != 1 ||
      len != out.size()) {
    die("EVP_DigestFinal_ex");
  }
  return out;
}

Digest hmac_sha256(ByteView key, ByteView message) {
  MacCtx ctx(EVP_MAC_CTX_new(hmac_mac()));
  if (!ctx) die("EVP_MAC_CTX_new");
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  // A null key pointer would mean "keep the previous key" (there is none), not "empty key".
  if (EVP_MAC_init(ctx.get(), non_null(key), key.size(), params) != 1) die("EVP_MAC_init");
  if (!message.empty() && EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1) {
    die("EVP_MAC_update");
  }
  Digest out{};
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    die("EVP_MAC_final");
  }
  return out;
}

SecretBytes hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length) {
  if (length > kHkdfMaxLength) {
    // A caller bug, not an input error: every length in Tokumei is a compile-time constant.
    std::fprintf(stderr, "tokumei: fatal: hkdf_sha256 length %zu exceeds RFC 5869 limit %zu\n",
                 length, kHkdfMaxLength);
    std::abort();
  }
  SecretBytes out(length);
  if (length == 0) return out;

  KdfCtx ctx(EVP_KDF_CTX_new(hkdf_kdf()));
  if (!ctx) die("EVP_KDF_CTX_new");
  char digest_name[] = "SHA256";
  // OSSL_PARAM wants non-const pointers but only reads through them here.
  auto octets = [](const char* name, ByteView b) {
    return OSSL_PARAM_construct_octet_string(name, const_cast<std::uint8_t*>(non_null(b)),
                                             b.size());
  };
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
      octets(OSSL_KDF_PARAM_KEY, ikm),
      octets(OSSL_KDF_PARAM_SALT, salt),  // empty salt: RFC 5869 uses HashLen zero bytes
      octets(OSSL_KDF_PARAM_INFO, info),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) die("EVP_KDF_derive");
  return out;
}

}  // namespace tokumei::crypto
