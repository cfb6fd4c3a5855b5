#include "tokumei/crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "tokumei/base/bytes.h"
#include "tokumei/crypto/detail/openssl.h"

namespace tokumei::crypto {
namespace {

using detail::FreeWith;
using BioPtr = std::unique_ptr<BIO, FreeWith<&BIO_free>>;
using X509Ptr = std::unique_ptr<X509, FreeWith<&X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<&EVP_PKEY_free>>;

std::unexpected<Error> not_a_certificate(const std::string& why) {
  return fail(Errc::invalid_input, {"証明書を読めません: " + why, "not a certificate: " + why});
}

std::string name_text(const X509_NAME* name) {
  BioPtr out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return detail::bio_text(out.get());
}

Result<TimePoint> asn1_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return not_a_certificate("validity");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Result<Certificate> parse_certificate(std::string_view pem) {
  BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return not_a_certificate(detail::take_openssl_error());
  Certificate out;
  BioPtr again(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(again.get(), cert.get());
  out.pem = detail::bio_text(again.get());
  out.subject = name_text(X509_get_subject_name(cert.get()));
  out.issuer = name_text(X509_get_issuer_name(cert.get()));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &md_len) != 1) detail::openssl_fatal("X509_digest");
  out.fingerprint = hex_encode(ByteView(md, md_len));
  TKM_ASSIGN_OR_RETURN(out.not_before, asn1_time(X509_get0_notBefore(cert.get())));
  TKM_ASSIGN_OR_RETURN(out.not_after, asn1_time(X509_get0_notAfter(cert.get())));
  return out;
}

Result<KeyAndCertificate> self_signed_certificate(std::string_view common_name,
                                                  std::string_view organisation, int days,
                                                  const Clock& clock) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return fail(Errc::internal, {"鍵を作れません", "cannot make a key"});
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  auto now = std::chrono::system_clock::to_time_t(clock.now());
  ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), static_cast<std::int64_t>(now));
  X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -60, &now);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, &now);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, std::string_view value) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.data()),
                               static_cast<int>(value.size()), -1, 0);
  };
  add("CN", common_name);
  if (!organisation.empty()) add("O", organisation);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return fail(Errc::internal, {"証明書に署名できません: " + detail::take_openssl_error(),
                                 "cannot sign the certificate: " + detail::take_openssl_error()});
  }
  BioPtr key_out(BIO_new(BIO_s_mem()));
  BioPtr cert_out(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(cert_out.get(), cert.get());
  return KeyAndCertificate{detail::bio_text(key_out.get()), detail::bio_text(cert_out.get())};
}

}  // namespace tokumei::crypto
