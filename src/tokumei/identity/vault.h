#pragma once
// The identity vault (身元情報の保管庫, ARCHITECTURE §4, STORE-01): everything that identifies a
// person — names, birth date, sex, address, postal code, phones, insurance numbers, the hospital's
// patient ID — is kept only as AES-256-GCM ciphertext under the "vault" data key. Look-ups go
// through keyed HMAC blind indexes ("vault-index"), never through clear values. Clinical records
// refer to a person by a random, meaningless person key.
//
// One person per (institution, hospital patient ID) for now; linking the same person across
// hospitals comes later. Each distinct identity a hospital sends for a person is kept as a
// version (a name change, a corrected birth date), so quality checks can compare them.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/crypto/aead.h"
#include "tokumei/crypto/key_ring.h"
#include "tokumei/model/clinical.h"
#include "tokumei/store/database.h"
#include "tokumei/store/migration.h"

namespace tokumei::identity {

inline constexpr const char* kVaultKey = "vault";
inline constexpr const char* kVaultIndexKey = "vault-index";

class IdentityVault {
 public:
  // `db` migrated with schema(); all three must outlive the vault. Not thread-safe.
  IdentityVault(store::Database& db, crypto::KeyRing& keys, const Clock& clock, Random& random)
      : db_(db), keys_(keys), clock_(clock), random_(random) {}
  static store::SchemaModule schema();

  // Creates the vault's data keys if missing. Call once outside any transaction (the key ring may
  // refuse to create keys inside one).
  Status prepare();

  // The person key of (identity.institution, identity.patient_id), made the first time the pair
  // is seen, and records `identity` as a version of that person unless the same identity is
  // already recorded (so sending the same data twice changes nothing). Joins the caller's
  // transaction when there is one. Errc::invalid_argument when institution or patient ID is empty.
  Result<std::string> admit(const model::PersonIdentity& identity, std::int64_t batch_id);

  // The person key of (institution, patient ID), if the vault has seen it.
  Result<std::optional<std::string>> find(const std::string& institution,
                                          const std::string& patient_id);

  // Every identity version recorded for a person, decrypted, oldest first. Errc::key_destroyed
  // ("erased") for a person erased by an opt-out.
  Result<std::vector<model::PersonIdentity>> versions(const std::string& person_key);

  // Seals a clinical record of a person under the person's own data key — made the first time,
  // kept wrapped under the vault key — so that erasing the person destroys every record of theirs
  // at once, wherever a copy of it lies (crypto-erase, CONSENT-03). Joins the caller's
  // transaction. Output: 0x02 | nonce (12) | ciphertext | tag (16).
  Result<Bytes> seal_for(const std::string& person_key, ByteView plaintext);
  // Opens what seal_for made; a record sealed before persons had keys opens under
  // `earlier_purpose` of the key ring. Errc::key_destroyed ("erased") once the person is erased.
  Result<Bytes> open_for(const std::string& person_key, const std::string& earlier_purpose,
                         ByteView sealed);

  // Erases a person (CONSENT-03): destroys their data key (their clinical records can no longer
  // be opened), deletes every identity version and the patient index (a later batch naming the
  // same patient makes a new person) and marks the key erased. Joins the
  // caller's transaction. Returns the identity versions deleted.
  Result<std::size_t> erase(const std::string& person_key);
  Result<bool> erased(const std::string& person_key);

  // Every person's latest identity version, in person-key order, read a page at a time.
  Status each_latest(const std::function<Status(const std::string& person_key,
                                                model::PersonIdentity identity)>& each);

  // How the audit log names a person (AUDIT: never personal data): a keyed hash of the person
  // key, meaningless once the vault forgets the person.
  Result<std::string> audit_reference(const std::string& person_key);

  // Persons known.
  Result<std::int64_t> count();

 private:
  Result<Bytes> patient_index(const std::string& institution, const std::string& patient_id);
  // The person key stored under a patient index, if any.
  Result<std::optional<std::string>> find_by_index(const Bytes& index);

  store::Database& db_;
  crypto::KeyRing& keys_;
  const Clock& clock_;
  Random& random_;

  // Persons met lately (institution \x1f patient ID → person key and the digests of the identity
  // versions known to be recorded), so that a run meeting the same person in file after file (an
  // SS-MIX2 tree holds a folder per patient; a month of claims names each patient again) neither
  // looks them up nor indexes them again, also when their files alternate between versions (an
  // admission message carries insurance, an order does not). Bounded; forgotten whenever the
  // connection rolls anything back, since what it remembers may have been undone.
  struct Recent {
    std::string person_key;
    std::vector<crypto::Digest> versions;  // newest last, at most kRecentVersions
  };
  // The recent entry of (institution, patient ID), after forgetting everything if the connection
  // rolled anything back since it was filled.
  Recent* recent(const std::string& institution, const std::string& patient_id);
  Recent& remember(const std::string& institution, const std::string& patient_id,
                   const std::string& person_key);
  std::unordered_map<std::string, Recent> recent_;
  // Persons' data keys in use lately (person key → key), forgotten like recent_.
  struct PersonKey {
    SecretBytes key;
    std::optional<crypto::Aes256GcmSealer> sealer;
  };
  Result<PersonKey*> person_data_key(const std::string& person_key, bool create);
  std::unordered_map<std::string, PersonKey> person_keys_;
  std::uint64_t person_keys_rollbacks_ = 0;
  std::uint64_t recent_rollbacks_ = 0;
  static constexpr std::size_t kRecentLimit = 65536;  // ~150 bytes each
  static constexpr std::size_t kRecentVersions = 4;
};

// The identity as JSON text (every field), and back; the vault seals this text.
std::string identity_to_json(const model::PersonIdentity& identity);
Result<model::PersonIdentity> identity_from_json(std::string_view json);

}  // namespace tokumei::identity
