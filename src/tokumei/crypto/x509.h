#pragma once
// X.509 certificates (PEM) of the deployment's outside parties: what the registries keep of a
// hospital or a recipient, and what a package is encrypted to (PROVISION-04). Through OpenSSL 3.

#include <string>
#include <string_view>

#include "tokumei/base/clock.h"
#include "tokumei/base/error.h"

namespace tokumei::crypto {

struct Certificate {
  std::string pem;          // one PEM certificate, as given (trimmed)
  std::string subject;      // RFC 2253 form, UTF-8: "CN=…,O=…"
  std::string issuer;       // same form
  std::string fingerprint;  // SHA-256 of the DER encoding, lower-case hex
  TimePoint not_before{};
  TimePoint not_after{};
  bool valid_at(TimePoint t) const { return not_before <= t && t <= not_after; }
};

// Reads one PEM certificate. Errc::invalid_input naming the reason when it is not one.
Result<Certificate> parse_certificate(std::string_view pem);

struct KeyAndCertificate {
  std::string private_key_pem;  // PKCS#8, unencrypted: for tests and demonstrations only
  std::string certificate_pem;
};

// A fresh EC P-256 key and a self-signed certificate for it with the given common name and
// organisation, valid from now for `days`. For tests and `make demo`; a production deployment
// registers certificates its parties obtained elsewhere.
Result<KeyAndCertificate> self_signed_certificate(std::string_view common_name,
                                                  std::string_view organisation, int days,
                                                  const Clock& clock);

}  // namespace tokumei::crypto
