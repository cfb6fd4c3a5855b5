#include "tokumei/crypto/cms.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>

#include "tokumei/crypto/detail/openssl.h"

namespace tokumei::crypto {
namespace {

using detail::FreeWith;
using BioPtr = std::unique_ptr<BIO, FreeWith<&BIO_free>>;
using X509Ptr = std::unique_ptr<X509, FreeWith<&X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<&EVP_PKEY_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, FreeWith<&CMS_ContentInfo_free>>;
struct CertStackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using CertStack = std::unique_ptr<STACK_OF(X509), CertStackFree>;

std::unexpected<Error> cms_error(Errc code, const char* ja, const char* en) {
  const std::string why = detail::take_openssl_error();
  return fail(code, {std::string(ja) + (why.empty() ? "" : ": " + why),
                     std::string(en) + (why.empty() ? "" : ": " + why)});
}

// Callers check the size first (check_size): a memory BIO takes an int.
BioPtr memory(ByteView data) {
  return BioPtr(BIO_new_mem_buf(detail::non_null(data), static_cast<int>(data.size())));
}

Status check_size(ByteView data) {
  if (data.size() >= static_cast<std::size_t>(INT_MAX)) {
    return fail(Errc::invalid_argument, {"CMS で扱える大きさ (2 GiB 未満) を超えています",
                                         "larger than CMS here can take (under 2 GiB)"});
  }
  return {};
}
BioPtr memory(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Result<X509Ptr> certificate(const std::string& pem) {
  auto in = memory(pem);
  X509Ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return cms_error(Errc::invalid_input, "証明書を読めません", "not a certificate");
  return cert;
}

Result<PkeyPtr> private_key(const std::string& pem) {
  auto in = memory(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  if (!key) return cms_error(Errc::invalid_input, "秘密鍵を読めません", "not a private key");
  return key;
}

Result<CmsPtr> read_der(ByteView der) {
  TKM_RETURN_IF_ERROR(check_size(der));
  auto in = memory(der);
  CmsPtr cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms) return cms_error(Errc::invalid_input, "CMS として読めません", "not CMS data");
  return cms;
}

Result<Bytes> to_der(CMS_ContentInfo* cms) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (i2d_CMS_bio(out.get(), cms) != 1) {
    return cms_error(Errc::internal, "CMS を書けません", "cannot write CMS");
  }
  return detail::bio_bytes(out.get());
}

}  // namespace

Result<Bytes> cms_sign(ByteView content, const std::string& certificate_pem,
                       const std::string& private_key_pem) {
  TKM_RETURN_IF_ERROR(check_size(content));
  TKM_ASSIGN_OR_RETURN(X509Ptr cert, certificate(certificate_pem));
  TKM_ASSIGN_OR_RETURN(PkeyPtr key, private_key(private_key_pem));
  auto in = memory(content);
  CmsPtr cms(CMS_sign(cert.get(), key.get(), nullptr, in.get(), CMS_BINARY));
  if (!cms) return cms_error(Errc::internal, "署名できません", "cannot sign");
  return to_der(cms.get());
}

Result<std::string> cms_signer(ByteView signed_der) {
  TKM_ASSIGN_OR_RETURN(CmsPtr cms, read_der(signed_der));
  CertStack certs(CMS_get1_certs(cms.get()));
  if (!certs || sk_X509_num(certs.get()) == 0) {
    return fail(Errc::integrity, {"署名者の証明書がありません", "no signer certificate"});
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(out.get(), sk_X509_value(certs.get(), 0));
  return detail::bio_text(out.get());
}

Result<Bytes> cms_verify(ByteView signed_der, const std::string& signer_certificate_pem) {
  TKM_ASSIGN_OR_RETURN(CmsPtr cms, read_der(signed_der));
  TKM_ASSIGN_OR_RETURN(X509Ptr pinned, certificate(signer_certificate_pem));
  CertStack certs(sk_X509_new_null());
  sk_X509_push(certs.get(), X509_dup(pinned.get()));
  BioPtr out(BIO_new(BIO_s_mem()));
  // Only the pinned certificate may have signed (CMS_NOINTERN: certificates the data carries are
  // not used); it is the operator's own, so no chain is built.
  if (CMS_verify(cms.get(), certs.get(), nullptr, nullptr, out.get(),
                 CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    return cms_error(Errc::integrity, "署名を確認できません (改ざんまたは別の署名者)",
                     "the signature does not verify (altered, or another signer)");
  }
  return detail::bio_bytes(out.get());
}

Result<Bytes> cms_encrypt(ByteView content, const std::string& recipient_certificate_pem) {
  TKM_RETURN_IF_ERROR(check_size(content));
  TKM_ASSIGN_OR_RETURN(X509Ptr cert, certificate(recipient_certificate_pem));
  CertStack recipients(sk_X509_new_null());
  sk_X509_push(recipients.get(), X509_dup(cert.get()));
  auto in = memory(content);
  CmsPtr cms(CMS_encrypt(recipients.get(), in.get(), EVP_aes_256_gcm(), CMS_BINARY));
  if (!cms) return cms_error(Errc::internal, "暗号化できません", "cannot encrypt");
  return to_der(cms.get());
}

Result<Bytes> cms_decrypt(ByteView enveloped_der, const std::string& certificate_pem,
                          const std::string& private_key_pem) {
  TKM_ASSIGN_OR_RETURN(CmsPtr cms, read_der(enveloped_der));
  TKM_ASSIGN_OR_RETURN(X509Ptr cert, certificate(certificate_pem));
  TKM_ASSIGN_OR_RETURN(PkeyPtr key, private_key(private_key_pem));
  BioPtr out(BIO_new(BIO_s_mem()));
  if (CMS_decrypt(cms.get(), key.get(), cert.get(), nullptr, out.get(), CMS_BINARY) != 1) {
    return cms_error(Errc::authentication_failed, "復号できません (受取人の鍵でない、または改ざん)",
                     "cannot decrypt (not the recipient's key, or altered)");
  }
  return detail::bio_bytes(out.get());
}

}  // namespace tokumei::crypto
