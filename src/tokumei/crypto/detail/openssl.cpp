#include "tokumei/crypto/detail/openssl.h"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>

namespace tokumei::crypto::detail {

std::string take_openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no OpenSSL error recorded";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Bytes bio_bytes(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return Bytes(reinterpret_cast<std::uint8_t*>(data), reinterpret_cast<std::uint8_t*>(data) + n);
}

void openssl_fatal(const char* what) {
  std::string detail = take_openssl_error();
  std::fprintf(stderr, "tokumei: fatal: OpenSSL %s failed: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace tokumei::crypto::detail
