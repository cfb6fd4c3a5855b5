#pragma once
// Shared OpenSSL plumbing for crypto/*.cpp only (not part of the module's public interface).

#include <cstdint>
#include <memory>
#include <string>

#include "tokumei/base/bytes.h"

struct bio_st;  // OpenSSL's BIO

namespace tokumei::crypto::detail {

// Deleter for OpenSSL objects: std::unique_ptr<EVP_MD_CTX, FreeWith<&EVP_MD_CTX_free>>.
template <auto Free>
struct FreeWith {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

// An empty span may have a null data pointer, which OpenSSL reads as "not given" where an empty
// value is meant; this hands it a valid pointer instead.
inline const std::uint8_t* non_null(ByteView b) {
  static constexpr std::uint8_t kEmpty = 0;
  return b.data() != nullptr ? b.data() : &kEmpty;
}

// What a memory BIO holds, as text (PEM, a printed name) or bytes (DER).
std::string bio_text(bio_st* bio);
Bytes bio_bytes(bio_st* bio);

// Takes the oldest OpenSSL error off this thread's queue (and clears the rest) so that one
// failure does not leak into the next caller's diagnosis.
std::string take_openssl_error();

// For operations with no error path (hashing, Ed25519 with a checked key): a failure means a
// broken OpenSSL installation, and stopping is the only safe answer — like SystemRandom without
// entropy. Prints "tokumei: fatal: OpenSSL <what> failed: <reason>" and aborts.
[[noreturn]] void openssl_fatal(const char* what);

}  // namespace tokumei::crypto::detail
