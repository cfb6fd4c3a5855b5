#pragma once
// Where the master key comes from: a key file (32 random bytes, created 0600 and refused when
// anyone but the owner can read it) or a passphrase stretched with Argon2id. An HSM can be added
// as another source later. The master key only wraps data keys (key_ring.h); it never encrypts
// data itself.

#include <filesystem>
#include <string>
#include <variant>

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"
#include "tokumei/base/random.h"
#include "tokumei/crypto/password_hash.h"

namespace tokumei::crypto {

inline constexpr std::size_t kMasterKeySize = 32;

// A master key read from a file made by create_master_key_file.
struct KeyFileSource {
  std::filesystem::path path;
};
// A master key derived from a passphrase; the salt and cost live in the key ring.
struct PassphraseSource {
  std::string passphrase;
  Argon2Params params;  // used when a key ring is created; an existing ring keeps its own
};
using MasterKeySource = std::variant<KeyFileSource, PassphraseSource>;

// Creates a new key file with 32 random bytes, mode 0600, refusing to overwrite anything.
Status create_master_key_file(const std::filesystem::path& path, Random& random);

// Reads a key file. Refuses (Errc::permission_denied) a file that group or others can access,
// a symlink, or one owned by another user; Errc::invalid_input names what is wrong with the format.
Result<SecretBytes> read_master_key_file(const std::filesystem::path& path);

}  // namespace tokumei::crypto
