#include "tokumei/crypto/detail/openssl.h"

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

void openssl_fatal(const char* what) {
  std::string detail = take_openssl_error();
  std::fprintf(stderr, "tokumei: fatal: OpenSSL %s failed: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace tokumei::crypto::detail
