#pragma once
// The key ring (鍵管理, STORE-01/02): a master key wraps one data key per purpose ("vault",
// "clinical:<institution>", "totp", "audit-signing", "build:<id>", …). Data is encrypted with data
// keys only, so
//   - rotating the master key re-wraps the data keys and never touches data;
//   - rotating a data key starts a new version for new writes; old versions still decrypt;
//   - destroying a data key (crypto-erase, DELETE-*) makes everything under it unreadable for
//     good, and opening such data says so plainly (Errc::key_destroyed) rather than "corrupt".
// Each data key is only ever used through subkeys derived per algorithm (HKDF-SHA-256): the AES-GCM
// key, the HMAC key and the Ed25519 seed of a purpose are never the same bytes.
// Wrapped keys live in a KeyRingStorage (store/ provides the database-backed one).
//
// Not thread-safe: one KeyRing per connection/thread, or guard it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/base/bytes.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/error.h"
#include "tokumei/base/random.h"
#include "tokumei/crypto/aead.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/crypto/master_key.h"
#include "tokumei/crypto/signature.h"

namespace tokumei::crypto {

// What the storage keeps about the master key: never the key, only how to derive it and a value
// that proves a candidate key is the right one.
struct MasterRecord {
  std::uint32_t generation = 1;  // +1 on every master-key rotation
  std::string kdf;               // "key-file" or "argon2id"
  Bytes salt;                    // argon2id only
  Argon2Params params;           // argon2id only
  Bytes check;                   // nonce || AES-GCM(master, fixed text)
  std::int64_t created_ms = 0;   // when this generation was made
};

// One version of one data key, wrapped (AES-256-GCM) by the master key.
struct WrappedKey {
  std::uint32_t id = 0;  // unique across purposes and versions; written into every ciphertext
  std::string purpose;
  std::uint32_t version = 0;
  Bytes wrapped;  // empty once destroyed
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> destroyed_ms;
};

// Persistence for a key ring. Implementations must make each call atomic.
class KeyRingStorage {
 public:
  virtual ~KeyRingStorage() = default;
  virtual Result<std::optional<MasterRecord>> load_master() = 0;
  virtual Result<std::vector<WrappedKey>> load_keys() = 0;
  // Stores the first master record; Errc::already_exists if there is one.
  virtual Status create(const MasterRecord& master) = 0;
  // Adds a key. May refuse (Errc::internal) when it cannot be made durable on its own, e.g. inside
  // a caller's database transaction that could still roll back under the key ring's feet.
  virtual Status add_key(const WrappedKey& key) = 0;
  // Replaces the master record and the wrapped bytes of `keys` in one atomic step. Same refusal.
  virtual Status rewrap(const MasterRecord& master, const std::vector<WrappedKey>& keys) = 0;
  // Erases the wrapped bytes of every live version of `purpose` in one atomic step, keeping
  // tombstones (purpose, version, when). Returns how many versions were destroyed.
  virtual Result<int> destroy(const std::string& purpose, std::int64_t destroyed_ms) = 0;
};

// Keeps everything in memory; for tests and tools.
class MemoryKeyRingStorage final : public KeyRingStorage {
 public:
  Result<std::optional<MasterRecord>> load_master() override { return master_; }
  Result<std::vector<WrappedKey>> load_keys() override { return keys_; }
  Status create(const MasterRecord& master) override;
  Status add_key(const WrappedKey& key) override;
  Status rewrap(const MasterRecord& master, const std::vector<WrappedKey>& keys) override;
  Result<int> destroy(const std::string& purpose, std::int64_t destroyed_ms) override;

 private:
  std::optional<MasterRecord> master_;
  std::vector<WrappedKey> keys_;
};

// Public facts about a data key (no key material), for listings and the doctor.
struct DataKeyInfo {
  std::uint32_t id;
  std::string purpose;
  std::uint32_t version;
  TimePoint created;
  std::optional<TimePoint> destroyed;
};

class KeyRing {
 public:
  // Creates a new key ring in empty `storage` under the master key from `source` (a key file that
  // already exists, or a passphrase: a fresh salt is drawn). Errc::already_exists if not empty.
  static Result<KeyRing> create(KeyRingStorage& storage, const MasterKeySource& source,
                                const Clock& clock, Random& random);

  // Opens an existing key ring. A wrong passphrase or key file fails with
  // Errc::authentication_failed and one message for every cause, so it says nothing about which
  // part was wrong.
  static Result<KeyRing> unlock(KeyRingStorage& storage, const MasterKeySource& source,
                                const Clock& clock, Random& random);

  KeyRing(KeyRing&&) = default;
  KeyRing& operator=(KeyRing&&) = delete;

  // Makes sure `purpose` has a live key (creates version 1 if it has none). Errc::key_destroyed
  // if its keys were destroyed: a destroyed purpose is never silently reborn.
  Status ensure_key(const std::string& purpose);

  // Adds a new version for `purpose`; new seals use it, old versions still open. Returns it.
  Result<std::uint32_t> rotate_data_key(const std::string& purpose);

  // Crypto-erase: destroys every version of `purpose`. Irreversible.
  Status destroy_data_key(const std::string& purpose);

  // Encrypts under the newest live key of `purpose` (creating it if needed, which the storage may
  // refuse inside a transaction: call ensure_key first there), binding `aad`.
  // Output: 0x01 | key id (4 bytes, big-endian) | nonce (12) | ciphertext | tag (16).
  Result<Bytes> seal(const std::string& purpose, ByteView aad, ByteView plaintext);

  // Decrypts what seal produced under the same `purpose` and `aad`. Errc::key_destroyed when the
  // key was crypto-erased, Errc::integrity on any tampering, Errc::invalid_argument when the data
  // belongs to another purpose.
  Result<Bytes> open(const std::string& purpose, ByteView aad, ByteView sealed);

  // HMAC-SHA-256 blind index of `value` under the first live version of `purpose`, so indexes
  // stay stable across data-key rotation.
  Result<Digest> blind_index(const std::string& purpose, ByteView value);

  // An Ed25519 key whose seed is the newest live key of `purpose`.
  Result<Ed25519PrivateKey> signing_key(const std::string& purpose);
  // The Ed25519 public keys of every live version of `purpose`, oldest first: what signatures made
  // before a rotation are checked against.
  std::vector<Bytes> verification_keys(const std::string& purpose) const;

  // Re-wraps every live data key under the master key from `next` and retires the current one.
  // Data is not re-encrypted. After this, only `next` unlocks the ring.
  Status rotate_master(const MasterKeySource& next);

  std::uint32_t master_generation() const { return master_.generation; }
  std::vector<DataKeyInfo> keys() const;

 private:
  struct Entry {
    WrappedKey record;
    SecretBytes key;  // the data key itself, kept for re-wrapping; empty once destroyed
    SecretBytes aead_key, mac_key, signing_seed;    // what the algorithms actually use
    mutable std::optional<Aes256GcmSealer> sealer;  // aead_key made ready, on first seal
  };
  static Entry make_entry(WrappedKey record, SecretBytes key);
  KeyRing(KeyRingStorage& storage, const Clock& clock, Random& random)
      : storage_(&storage), clock_(&clock), random_(&random) {}

  Result<const Entry*> newest_live(const std::string& purpose);
  Result<const Entry*> create_version(const std::string& purpose);
  Result<Bytes> wrap(const WrappedKey& record, ByteView key) const;
  Result<MasterRecord> make_master(const MasterKeySource& source, std::uint32_t generation,
                                   SecretBytes* key_out) const;

  KeyRingStorage* storage_;
  const Clock* clock_;
  Random* random_;
  MasterRecord master_;
  SecretBytes master_key_;
  std::map<std::uint32_t, Entry> entries_;
};

}  // namespace tokumei::crypto
