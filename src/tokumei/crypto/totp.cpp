#include "tokumei/crypto/totp.h"

#include <liboath/oath.h>

#include <array>
#include <limits>

namespace tokumei::crypto {
namespace {

// liboath needs oath_init() once per process before use; a function-local static makes that
// thread-safe. oath_done() is left to process exit: other threads may still be generating codes.
int oath_ready() {
  static const int rc = oath_init();
  return rc;
}

int oath_flags(TotpHash hash) {
  switch (hash) {
    case TotpHash::sha1:
      return 0;
    case TotpHash::sha256:
      return OATH_TOTP_HMAC_SHA256;
    case TotpHash::sha512:
      return OATH_TOTP_HMAC_SHA512;
  }
  return 0;
}

const char* algorithm_name(TotpHash hash) {
  switch (hash) {
    case TotpHash::sha1:
      return "SHA1";
    case TotpHash::sha256:
      return "SHA256";
    case TotpHash::sha512:
      return "SHA512";
  }
  return "SHA1";
}

Status check_params(ByteView secret, const TotpParams& params) {
  if (secret.empty()) {
    return fail(Errc::invalid_argument,
                {"TOTP の共有秘密が空です", "the TOTP shared secret is empty"});
  }
  // liboath (like RFC 4226 §5.3) produces 6, 7 or 8 digits.
  if (params.digits < 6 || params.digits > 8) {
    return fail(Errc::invalid_argument,
                {"TOTP の桁数は 6〜8 桁でなければなりません（" + std::to_string(params.digits) +
                     " 桁が指定されました）",
                 "TOTP codes must have 6 to 8 digits (got " + std::to_string(params.digits) + ")"});
  }
  if (params.period_seconds == 0) {
    return fail(Errc::invalid_argument, {"TOTP の時間間隔は 1 秒以上でなければなりません",
                                         "the TOTP period must be at least one second"});
  }
  return ok();
}

// Code for time step `step` (RFC 6238 T, with T0 = 0). Parameters already checked.
Result<std::string> code_for_step(ByteView secret, std::int64_t step, const TotpParams& params) {
  int rc = oath_ready();
  if (rc != OATH_OK) {
    return fail(Errc::internal,
                {std::string("liboath の初期化に失敗しました: ") + oath_strerror(rc),
                 std::string("liboath initialisation failed: ") + oath_strerror(rc)});
  }
  // liboath takes a time and divides it by the period itself; hand it the step's first second.
  std::array<char, 16> buf{};
  rc = oath_totp_generate2(reinterpret_cast<const char*>(secret.data()), secret.size(),
                           static_cast<time_t>(step * params.period_seconds), params.period_seconds,
                           0, params.digits, oath_flags(params.hash), buf.data());
  if (rc != OATH_OK) {
    return fail(Errc::internal,
                {std::string("TOTP コードの生成に失敗しました: ") + oath_strerror(rc),
                 std::string("generating the TOTP code failed: ") + oath_strerror(rc)});
  }
  return std::string(buf.data(), params.digits);
}

// RFC 3986 unreserved characters stay; every other byte (including ':' and UTF-8) is %XX.
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

}  // namespace

Result<std::string> totp_code(ByteView secret, std::int64_t unix_seconds,
                              const TotpParams& params) {
  TKM_RETURN_IF_ERROR(check_params(secret, params));
  if (unix_seconds < 0) {
    return fail(Errc::invalid_argument,
                {"TOTP の時刻が 1970 年より前です", "the TOTP time is before 1970"});
  }
  return code_for_step(secret, unix_seconds / params.period_seconds, params);
}

std::optional<std::int64_t> totp_match(ByteView secret, std::string_view code,
                                       std::int64_t unix_seconds, const TotpParams& params,
                                       unsigned window) {
  if (!check_params(secret, params) || unix_seconds < 0) return std::nullopt;
  const std::int64_t period = params.period_seconds;
  const std::int64_t current = unix_seconds / period;
  const std::int64_t max_step = std::numeric_limits<time_t>::max() / period;
  if (window > current) window = static_cast<unsigned>(current);  // no steps before 1970

  // Every step in the window is computed and compared, whatever matches, so the time taken does
  // not tell an attacker how close a guess was; the comparison itself is constant-time.
  std::optional<std::int64_t> found;
  for (std::int64_t step = current - window; step <= current + window; ++step) {
    if (step > max_step) break;
    auto expected = code_for_step(secret, step, params);
    if (!expected) return std::nullopt;
    if (constant_time_equal(as_bytes(*expected), as_bytes(code)) && !found) found = step;
  }
  return found;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, ByteView secret,
                        const TotpParams& params) {
  // Key Uri Format: the label is "issuer:account"; without an issuer it is the account alone,
  // and the issuer parameter is left out rather than sent empty.
  std::string uri = "otpauth://totp/";
  if (!issuer.empty()) uri += percent_encode(issuer) + ":";
  uri += percent_encode(account);
  uri += "?secret=" + base32_encode(secret);
  if (!issuer.empty()) uri += "&issuer=" + percent_encode(issuer);
  uri += std::string("&algorithm=") + algorithm_name(params.hash);
  uri += "&digits=" + std::to_string(params.digits);
  uri += "&period=" + std::to_string(params.period_seconds);
  return uri;
}

}  // namespace tokumei::crypto
