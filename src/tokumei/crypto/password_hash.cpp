#include "tokumei/crypto/password_hash.h"

#include <argon2.h>

#include <cstring>
#include <limits>
#include <span>
#include <string>

namespace tokumei::crypto {
namespace {

constexpr std::size_t kSaltSize = 16;         // RFC 9106 §3.1 recommends 16 bytes
constexpr std::size_t kPasswordTagSize = 32;  // RFC 9106 §4: a 256-bit tag
constexpr std::uint32_t kMax32 = std::numeric_limits<std::uint32_t>::max();

std::unexpected<Error> argon2_failure(int rc) {
  std::string detail = argon2_error_message(rc);
  // Only an allocation or thread failure is the machine's fault; everything else libargon2
  // reports is a parameter or input out of range (too little memory, zero passes, short salt...).
  Errc code = (rc == ARGON2_MEMORY_ALLOCATION_ERROR || rc == ARGON2_THREAD_FAIL)
                  ? Errc::internal
                  : Errc::invalid_argument;
  return fail(code, {"Argon2id の計算に失敗しました: " + detail, "Argon2id failed: " + detail});
}

Status check_size(std::size_t size, const char* what_ja, const char* what_en) {
  if (size > kMax32) {
    return fail(Errc::invalid_argument,
                {std::string(what_ja) + "が長すぎます", std::string(what_en) + " is too long"});
  }
  return ok();
}

// libargon2 wants mutable pointers for its inputs but only writes through them when asked to
// clear them (ARGON2_FLAG_CLEAR_*), which is never set here.
std::uint8_t* mutable_ptr(ByteView b) { return const_cast<std::uint8_t*>(b.data()); }

Status argon2id_into(ByteView password, ByteView salt, ByteView secret, ByteView associated,
                     const Argon2Params& params, std::span<std::uint8_t> out) {
  TKM_RETURN_IF_ERROR(check_size(password.size(), "パスワード", "password"));
  TKM_RETURN_IF_ERROR(check_size(salt.size(), "ソルト", "salt"));
  TKM_RETURN_IF_ERROR(check_size(secret.size(), "秘密値", "secret"));
  TKM_RETURN_IF_ERROR(check_size(associated.size(), "関連データ", "associated data"));
  TKM_RETURN_IF_ERROR(check_size(out.size(), "出力長", "output length"));

  argon2_context ctx{};
  ctx.out = out.data();
  ctx.outlen = static_cast<std::uint32_t>(out.size());
  ctx.pwd = mutable_ptr(password);
  ctx.pwdlen = static_cast<std::uint32_t>(password.size());
  ctx.salt = mutable_ptr(salt);
  ctx.saltlen = static_cast<std::uint32_t>(salt.size());
  ctx.secret = secret.empty() ? nullptr : mutable_ptr(secret);
  ctx.secretlen = static_cast<std::uint32_t>(secret.size());
  ctx.ad = associated.empty() ? nullptr : mutable_ptr(associated);
  ctx.adlen = static_cast<std::uint32_t>(associated.size());
  ctx.t_cost = params.iterations;
  ctx.m_cost = params.memory_kib;
  ctx.lanes = params.parallelism;
  ctx.threads = params.parallelism;
  ctx.version = ARGON2_VERSION_13;
  ctx.allocate_cbk = nullptr;
  ctx.free_cbk = nullptr;
  ctx.flags = ARGON2_DEFAULT_FLAGS;

  int rc = argon2_ctx(&ctx, Argon2_id);
  if (rc != ARGON2_OK) {
    secure_wipe(out.data(), out.size());
    return argon2_failure(rc);
  }
  return ok();
}

}  // namespace

Result<std::string> argon2id_hash_password(std::string_view password, const Argon2Params& params,
                                           Random& random) {
  TKM_RETURN_IF_ERROR(check_size(password.size(), "パスワード", "password"));
  Bytes salt = random.bytes(kSaltSize);
  std::size_t encoded_len =
      argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism, kSaltSize,
                        kPasswordTagSize, Argon2_id);
  std::string encoded(encoded_len, '\0');  // includes room for the terminating NUL
  int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                 password.data(), password.size(), salt.data(), salt.size(),
                                 kPasswordTagSize, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return argon2_failure(rc);
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

bool argon2id_verify_password(std::string_view password, std::string_view encoded) {
  // libargon2 reads `encoded` as a C string: an embedded NUL would make it check a prefix.
  if (encoded.find('\0') != std::string_view::npos) return false;
  if (password.size() > kMax32) return false;
  std::string terminated(encoded);
  // argon2id_verify decodes the parameters, salt and tag from the PHC string (a malformed one
  // fails to decode) and compares tags in constant time.
  return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

Result<SecretBytes> argon2id_derive_key(std::string_view passphrase, ByteView salt,
                                        const Argon2Params& params, std::size_t length) {
  if (salt.size() < kSaltSize) {
    return fail(Errc::invalid_argument,
                {"鍵導出のソルトは 16 バイト以上必要です（" + std::to_string(salt.size()) +
                     " バイトが渡されました）",
                 "a key-derivation salt must be at least 16 bytes (got " +
                     std::to_string(salt.size()) + ")"});
  }
  SecretBytes key(length);
  TKM_RETURN_IF_ERROR(argon2id_into(as_bytes(passphrase), salt, {}, {}, params, key.span()));
  return key;
}

Result<Bytes> argon2id_raw(ByteView password, ByteView salt, ByteView secret, ByteView associated,
                           const Argon2Params& params, std::size_t length) {
  Bytes out(length);
  TKM_RETURN_IF_ERROR(argon2id_into(password, salt, secret, associated, params, out));
  return out;
}

}  // namespace tokumei::crypto
