#pragma once
// Time-based one-time passwords (RFC 6238, liboath) for the second login factor (AUTHN-02).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tokumei/base/bytes.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/error.h"

namespace tokumei::crypto {

enum class TotpHash { sha1, sha256, sha512 };

struct TotpParams {
  TotpHash hash = TotpHash::sha1;  // what every authenticator app supports
  unsigned digits = 6;
  unsigned period_seconds = 30;
};

// The code for the time step containing `unix_seconds`, zero-padded to `digits`. Fails with
// Errc::invalid_argument for an empty secret, digits outside 6-8, a zero period or a time
// before 1970.
Result<std::string> totp_code(ByteView secret, std::int64_t unix_seconds, const TotpParams& params);

// Checks `code` against the steps within `window` steps either side of `unix_seconds`.
// Returns the matching time step (so callers can refuse a replay of the same step), or nullopt.
std::optional<std::int64_t> totp_match(ByteView secret, std::string_view code,
                                       std::int64_t unix_seconds, const TotpParams& params,
                                       unsigned window = 1);

// otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
// (the Key Uri Format authenticator apps scan), with issuer and account percent-encoded (RFC 3986:
// everything but A-Z a-z 0-9 - . _ ~, so a ':' inside either cannot split the label). An empty
// issuer is left out: the label is then the account alone.
std::string otpauth_uri(std::string_view issuer, std::string_view account, ByteView secret,
                        const TotpParams& params);

}  // namespace tokumei::crypto
