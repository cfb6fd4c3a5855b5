#include "tokumei/crypto/signature.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "tokumei/crypto/detail/openssl.h"

namespace tokumei::crypto {
namespace {

using detail::FreeWith;
using Pkey = std::unique_ptr<EVP_PKEY, FreeWith<&EVP_PKEY_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, FreeWith<&EVP_MD_CTX_free>>;

// public_key() and sign() have no error path: with a 32-byte seed (checked on construction)
// Ed25519 cannot fail, so a failure means a broken OpenSSL installation. Stop rather than hand
// out an empty signature that a caller might store.
[[noreturn]] void die(const char* step) {
  detail::openssl_fatal((std::string("Ed25519 ") + step).c_str());
}

Pkey private_pkey(const SecretBytes& seed) {
  // OpenSSL keeps its own copy of the seed inside the EVP_PKEY and clears it on free.
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!key) die("EVP_PKEY_new_raw_private_key");
  return key;
}

using detail::non_null;

}  // namespace

Ed25519PrivateKey Ed25519PrivateKey::generate(Random& random) {
  SecretBytes seed(kEd25519SeedSize);
  random.fill(seed.span());
  return Ed25519PrivateKey(std::move(seed));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_seed(ByteView seed) {
  if (seed.size() != kEd25519SeedSize) {
    return fail(
        Errc::invalid_argument,
        {"Ed25519 の秘密鍵（シード）は 32 バイトでなければなりません（" +
             std::to_string(seed.size()) + " バイトが渡されました）",
         "an Ed25519 private key seed must be 32 bytes (got " + std::to_string(seed.size()) + ")"});
  }
  return Ed25519PrivateKey(SecretBytes(seed));
}

Bytes Ed25519PrivateKey::public_key() const {
  Pkey key = private_pkey(seed_);
  Bytes out(kEd25519PublicKeySize);
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), out.data(), &len) != 1 || len != out.size()) {
    die("EVP_PKEY_get_raw_public_key");
  }
  return out;
}

Bytes Ed25519PrivateKey::sign(ByteView message) const {
  Pkey key = private_pkey(seed_);
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) die("EVP_MD_CTX_new");
  // Ed25519 hashes internally (PureEdDSA), so no digest is named.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    die("EVP_DigestSignInit");
  }
  Bytes sig(kEd25519SignatureSize);
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, non_null(message), message.size()) != 1 ||
      len != sig.size()) {
    die("EVP_DigestSign");
  }
  return sig;
}

bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != kEd25519PublicKeySize || signature.size() != kEd25519SignatureSize) {
    return false;
  }
  Pkey key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  bool valid = key && ctx &&
               EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
               EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), non_null(message),
                                message.size()) == 1;
  // A rejected key or signature leaves errors on this thread's queue; they are not errors to us.
  ERR_clear_error();
  return valid;
}

}  // namespace tokumei::crypto
