#pragma once
// CMS (RFC 5652) for packages to recipients: SignedData by the operator, inside an
// AuthEnvelopedData (RFC 5083, AES-256-GCM) to the recipient's certificate (PROVISION-04). Plain
// `openssl cms -decrypt` and `openssl cms -verify` read what these make. DER throughout.

#include <string>

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"

namespace tokumei::crypto {

// SignedData with `content` attached, signed by the key and certificate given (PEM).
Result<Bytes> cms_sign(ByteView content, const std::string& certificate_pem,
                       const std::string& private_key_pem);

// The content of a SignedData, after checking its signature was made by the key of
// `signer_certificate_pem` (pinned: the certificate is compared, no chain is built).
// Errc::integrity when the signature or the signer does not match.
Result<Bytes> cms_verify(ByteView signed_der, const std::string& signer_certificate_pem);

// The certificate (PEM) a SignedData names as its signer.
Result<std::string> cms_signer(ByteView signed_der);

// AuthEnvelopedData (AES-256-GCM) of `content` for the holder of `recipient_certificate_pem`.
Result<Bytes> cms_encrypt(ByteView content, const std::string& recipient_certificate_pem);

// Decrypts what cms_encrypt made, with the recipient's certificate and private key (PEM).
// Errc::authentication_failed when the key is not the recipient's or the data was altered.
Result<Bytes> cms_decrypt(ByteView enveloped_der, const std::string& certificate_pem,
                          const std::string& private_key_pem);

}  // namespace tokumei::crypto
