#include "tokumei/identity/vault.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "tokumei/base/id.h"
#include "tokumei/base/json_text.h"
#include "tokumei/crypto/hash.h"

namespace tokumei::identity {
namespace {

Bytes digest_bytes(const crypto::Digest& d) { return Bytes(d.begin(), d.end()); }

model::Sex sex_from(std::string_view name) {
  if (name == "male") return model::Sex::male;
  if (name == "female") return model::Sex::female;
  if (name == "other") return model::Sex::other;
  return model::Sex::unknown;
}

// A digest of every field of an identity but its source, each with its length before it, for
// telling identities apart without keeping them in memory.
crypto::Digest content_digest(const model::PersonIdentity& p) {
  crypto::Sha256 h;
  auto field = [&](std::string_view s) {
    const std::uint64_t n = s.size();
    h.update(ByteView(reinterpret_cast<const std::uint8_t*>(&n), sizeof n));
    h.update(as_bytes(s));
  };
  for (const auto* s : {&p.institution, &p.patient_id, &p.name_kanji, &p.name_kana, &p.birth_date,
                        &p.postal_code, &p.address, &p.death_date}) {
    field(*s);
  }
  field(model::sex_name(p.sex));
  field(std::to_string(p.phones.size()));
  for (const auto& phone : p.phones) field(phone);
  field(std::to_string(p.insurance.size()));
  for (const auto& i : p.insurance) {
    for (const auto* s : {&i.insurer_number, &i.symbol, &i.number, &i.branch}) field(*s);
  }
  return h.finish();
}

}  // namespace

std::string identity_to_json(const model::PersonIdentity& p) {
  // Keys in byte order, no spaces: the text nlohmann's dump() gives, which content indexes of
  // versions already recorded were computed over.
  std::string out;
  out.reserve(512);
  auto field = [&](std::string_view key, std::string_view value) {
    out += key;
    append_json_string(out, value);
  };
  field("{\"address\":", p.address);
  field(",\"birth_date\":", p.birth_date);
  field(",\"death_date\":", p.death_date);
  field(",\"institution\":", p.institution);
  out += ",\"insurance\":[";
  for (std::size_t i = 0; i < p.insurance.size(); ++i) {
    const model::Insurance& n = p.insurance[i];
    field(i == 0 ? "{\"branch\":" : ",{\"branch\":", n.branch);
    field(",\"insurer\":", n.insurer_number);
    field(",\"number\":", n.number);
    field(",\"symbol\":", n.symbol);
    out += '}';
  }
  field("],\"name_kana\":", p.name_kana);
  field(",\"name_kanji\":", p.name_kanji);
  field(",\"patient_id\":", p.patient_id);
  out += ",\"phones\":[";
  for (std::size_t i = 0; i < p.phones.size(); ++i) field(i == 0 ? "" : ",", p.phones[i]);
  field("],\"postal_code\":", p.postal_code);
  field(",\"sex\":", model::sex_name(p.sex));
  field(",\"source\":{\"element\":", p.source.element);
  field(",\"file\":", p.source.file);
  out += ",\"line\":";
  out += std::to_string(p.source.line);
  out += "}}";
  return out;
}

Result<model::PersonIdentity> identity_from_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(Errc::integrity,
                {"保管庫の身元情報が読めません", "a vault identity record does not parse"});
  }
  model::PersonIdentity p;
  p.institution = j.value("institution", "");
  p.patient_id = j.value("patient_id", "");
  p.name_kanji = j.value("name_kanji", "");
  p.name_kana = j.value("name_kana", "");
  p.birth_date = j.value("birth_date", "");
  p.sex = sex_from(j.value("sex", ""));
  p.postal_code = j.value("postal_code", "");
  p.address = j.value("address", "");
  p.phones = j.value("phones", std::vector<std::string>{});
  for (const auto& i : j.value("insurance", nlohmann::json::array())) {
    p.insurance.push_back({.insurer_number = i.value("insurer", ""),
                           .symbol = i.value("symbol", ""),
                           .number = i.value("number", ""),
                           .branch = i.value("branch", "")});
  }
  p.death_date = j.value("death_date", "");
  if (auto s = j.find("source"); s != j.end() && s->is_object()) {
    p.source = {.file = s->value("file", ""),
                .line = s->value("line", 0),
                .element = s->value("element", "")};
  }
  return p;
}

store::SchemaModule IdentityVault::schema() {
  return {"identity",
          {{1, "identity vault: persons by blind index, sealed identity versions", R"sql(
CREATE TABLE identity_persons (
  person_key    TEXT PRIMARY KEY,
  patient_index BLOB NOT NULL UNIQUE,
  created_ms    INTEGER NOT NULL
);
CREATE TABLE identity_versions (
  id           INTEGER PRIMARY KEY,
  person_key   TEXT NOT NULL REFERENCES identity_persons (person_key),
  batch_id     INTEGER NOT NULL,
  content_index BLOB NOT NULL,
  sealed       BLOB NOT NULL,
  created_ms   INTEGER NOT NULL,
  UNIQUE (person_key, content_index)
);
)sql"},
           {2, "persons erased by an opt-out", R"sql(
CREATE TABLE identity_erased (
  person_key TEXT PRIMARY KEY,
  erased_ms  INTEGER NOT NULL
);
)sql"},
           {3, "identity versions are never edited in place (QUALITY-10)", R"sql(
CREATE TRIGGER identity_versions_no_update BEFORE UPDATE ON identity_versions
  BEGIN SELECT RAISE(ABORT, 'identity versions are not edited in place; a change is a new version'); END;
)sql"},
           {4, "each person's data key, wrapped under the vault key (crypto-erase)", R"sql(
CREATE TABLE identity_person_keys (
  person_key TEXT PRIMARY KEY,
  wrapped    BLOB NOT NULL
);
)sql"}}};
}

Status IdentityVault::prepare() {
  TKM_RETURN_IF_ERROR(keys_.ensure_key(kVaultKey));
  return keys_.ensure_key(kVaultIndexKey);
}

Result<Bytes> IdentityVault::patient_index(const std::string& institution,
                                           const std::string& patient_id) {
  // Unit separator between the parts, so ("12", "3") and ("1", "23") differ.
  const std::string key = "patient\x1f" + institution + "\x1f" + patient_id;
  TKM_ASSIGN_OR_RETURN(crypto::Digest d, keys_.blind_index(kVaultIndexKey, as_bytes(key)));
  return digest_bytes(d);
}

IdentityVault::Recent* IdentityVault::recent(const std::string& institution,
                                             const std::string& patient_id) {
  if (recent_rollbacks_ != db_.rollbacks()) {
    recent_.clear();
    recent_rollbacks_ = db_.rollbacks();
  }
  auto it = recent_.find(institution + '\x1f' + patient_id);
  return it == recent_.end() ? nullptr : &it->second;
}

IdentityVault::Recent& IdentityVault::remember(const std::string& institution,
                                               const std::string& patient_id,
                                               const std::string& person_key) {
  if (recent_.size() >= kRecentLimit) recent_.clear();
  Recent& r = recent_[institution + '\x1f' + patient_id];
  if (r.person_key != person_key) r = Recent{person_key, {}};
  return r;
}

Result<std::optional<std::string>> IdentityVault::find(const std::string& institution,
                                                       const std::string& patient_id) {
  if (const Recent* r = recent(institution, patient_id)) return r->person_key;
  TKM_ASSIGN_OR_RETURN(Bytes index, patient_index(institution, patient_id));
  TKM_ASSIGN_OR_RETURN(std::optional<std::string> key, find_by_index(index));
  if (key) remember(institution, patient_id, *key);
  return key;
}

Result<std::optional<std::string>> IdentityVault::find_by_index(const Bytes& index) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT person_key FROM identity_persons WHERE patient_index = ?", {index}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].text(0));
}

Result<std::string> IdentityVault::admit(const model::PersonIdentity& identity,
                                         std::int64_t batch_id) {
  if (identity.institution.empty() || identity.patient_id.empty()) {
    return fail(Errc::invalid_argument,
                {"医療機関コードと患者 ID のない身元情報は保管できません",
                 "an identity without institution and patient ID cannot be kept"});
  }
  // The same identity sent again (its source aside) is the same version.
  const crypto::Digest digest = content_digest(identity);
  const Recent* known = recent(identity.institution, identity.patient_id);
  if (known != nullptr && std::ranges::find(known->versions, digest) != known->versions.end()) {
    return known->person_key;
  }

  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  std::string person_key;
  if (known != nullptr) {
    person_key = known->person_key;
  } else {
    TKM_ASSIGN_OR_RETURN(Bytes index, patient_index(identity.institution, identity.patient_id));
    TKM_ASSIGN_OR_RETURN(std::optional<std::string> existing, find_by_index(index));
    if (existing) {
      person_key = std::move(*existing);
    } else {
      person_key = new_id(clock_, random_);
      TKM_RETURN_IF_ERROR(db_.execute(
          "INSERT INTO identity_persons (person_key, patient_index, created_ms) VALUES (?, ?, ?)",
          {person_key, index, to_unix_ms(clock_.now())}));
    }
  }
  model::PersonIdentity content = identity;
  content.source = {};
  TKM_ASSIGN_OR_RETURN(
      crypto::Digest index_digest,
      keys_.blind_index(kVaultIndexKey, as_bytes("identity\x1f" + identity_to_json(content))));
  const Bytes content_index = digest_bytes(index_digest);
  TKM_ASSIGN_OR_RETURN(
      store::Rows seen,
      db_.query("SELECT 1 FROM identity_versions WHERE person_key = ? AND content_index = ?",
                {person_key, content_index}));
  if (seen.empty()) {
    TKM_ASSIGN_OR_RETURN(Bytes sealed, keys_.seal(kVaultKey, as_bytes(person_key),
                                                  as_bytes(identity_to_json(identity))));
    TKM_RETURN_IF_ERROR(db_.execute(
        "INSERT INTO identity_versions (person_key, batch_id, content_index, sealed, created_ms) "
        "VALUES (?, ?, ?, ?, ?)",
        {person_key, batch_id, content_index, sealed, to_unix_ms(clock_.now())}));
  }
  TKM_RETURN_IF_ERROR(tx.commit());
  Recent& r = remember(identity.institution, identity.patient_id, person_key);
  if (r.versions.size() >= kRecentVersions) r.versions.erase(r.versions.begin());
  r.versions.push_back(digest);
  return person_key;
}

namespace {
constexpr std::uint8_t kPersonSealFormat = 0x02;
constexpr std::size_t kPersonNonce = 12, kPersonTag = 16;
std::string person_key_aad(const std::string& person_key) { return "person-key\x1f" + person_key; }
}  // namespace

Result<IdentityVault::PersonKey*> IdentityVault::person_data_key(const std::string& person_key,
                                                                 bool create) {
  // A rollback may have undone a key made since: what is remembered is forgotten then.
  if (person_keys_rollbacks_ != db_.rollbacks()) {
    person_keys_.clear();
    person_keys_rollbacks_ = db_.rollbacks();
  }
  if (auto it = person_keys_.find(person_key); it != person_keys_.end()) return &it->second;
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT wrapped FROM identity_person_keys WHERE person_key = ?", {person_key}));
  SecretBytes key;
  if (!rows.empty()) {
    TKM_ASSIGN_OR_RETURN(
        Bytes plain, keys_.open(kVaultKey, as_bytes(person_key_aad(person_key)), rows[0].blob(0)));
    key = SecretBytes(ByteView(plain));
    std::fill(plain.begin(), plain.end(), 0);
  } else {
    TKM_ASSIGN_OR_RETURN(bool gone, erased(person_key));
    if (gone) {
      return fail(Errc::key_destroyed, {"この人の情報は停止の求めにより消去されています",
                                        "this person was erased (opt-out)"});
    }
    if (!create) {
      return fail(Errc::not_found, {"この人の暗号鍵がありません", "this person has no data key"});
    }
    key = SecretBytes(32);
    random_.fill(key.span());
    TKM_ASSIGN_OR_RETURN(Bytes wrapped,
                         keys_.seal(kVaultKey, as_bytes(person_key_aad(person_key)), key.view()));
    TKM_RETURN_IF_ERROR(
        db_.execute("INSERT INTO identity_person_keys (person_key, wrapped) VALUES (?, ?)",
                    {person_key, wrapped}));
  }
  if (person_keys_.size() >= kRecentLimit) person_keys_.clear();
  PersonKey& entry = person_keys_[person_key];
  entry.key = std::move(key);
  return &entry;
}

Result<Bytes> IdentityVault::seal_for(const std::string& person_key, ByteView plaintext) {
  TKM_ASSIGN_OR_RETURN(PersonKey * k, person_data_key(person_key, true));
  if (!k->sealer) {
    TKM_ASSIGN_OR_RETURN(crypto::Aes256GcmSealer sealer,
                         crypto::Aes256GcmSealer::create(k->key.view()));
    k->sealer.emplace(std::move(sealer));
  }
  const std::array<std::uint8_t, 1> header{kPersonSealFormat};
  std::array<std::uint8_t, kPersonNonce> nonce;
  random_.fill(nonce);
  Bytes out(1 + nonce.size());
  out[0] = kPersonSealFormat;
  std::ranges::copy(nonce, out.begin() + 1);
  out.reserve(out.size() + plaintext.size() + kPersonTag);
  TKM_RETURN_IF_ERROR(
      k->sealer->seal_append(nonce, {header, as_bytes(person_key)}, plaintext, out));
  return out;
}

Result<Bytes> IdentityVault::open_for(const std::string& person_key,
                                      const std::string& earlier_purpose, ByteView sealed) {
  if (sealed.empty() || sealed[0] != kPersonSealFormat) {
    return keys_.open(earlier_purpose, as_bytes(person_key), sealed);
  }
  if (sealed.size() < 1 + kPersonNonce + kPersonTag) {
    return fail(Errc::integrity, {"暗号文の形式が正しくありません", "not a Tokumei ciphertext"});
  }
  TKM_ASSIGN_OR_RETURN(PersonKey * k, person_data_key(person_key, false));
  // The header byte and the person key are authenticated, as seal_for bound them.
  std::string aad(1, static_cast<char>(kPersonSealFormat));
  aad += person_key;
  return crypto::aes256gcm_open(k->key.view(), sealed.subspan(1, kPersonNonce), as_bytes(aad),
                                sealed.subspan(1 + kPersonNonce));
}

Result<bool> IdentityVault::erased(const std::string& person_key) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT 1 FROM identity_erased WHERE person_key = ?", {person_key}));
  return !rows.empty();
}

Result<std::size_t> IdentityVault::erase(const std::string& person_key) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(
      std::int64_t versions,
      db_.execute("DELETE FROM identity_versions WHERE person_key = ?", {person_key}));
  TKM_RETURN_IF_ERROR(
      db_.execute("DELETE FROM identity_persons WHERE person_key = ?", {person_key}));
  TKM_RETURN_IF_ERROR(
      db_.execute("DELETE FROM identity_person_keys WHERE person_key = ?", {person_key}));
  TKM_RETURN_IF_ERROR(
      db_.execute("INSERT INTO identity_erased (person_key, erased_ms) VALUES (?, ?) "
                  "ON CONFLICT (person_key) DO NOTHING",
                  {person_key, to_unix_ms(clock_.now())}));
  TKM_RETURN_IF_ERROR(tx.commit());
  recent_.clear();  // what it remembers may name the erased person
  person_keys_.erase(person_key);
  return static_cast<std::size_t>(versions);
}

Result<std::vector<model::PersonIdentity>> IdentityVault::versions(const std::string& person_key) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT sealed FROM identity_versions WHERE person_key = ? ORDER BY id",
                {person_key}));
  if (rows.empty()) {  // an erased person has no versions left: say why
    TKM_ASSIGN_OR_RETURN(bool gone, erased(person_key));
    if (gone) {
      return fail(Errc::key_destroyed, {"この人の情報は停止の求めにより消去されています",
                                        "this person was erased (opt-out)"});
    }
  }
  std::vector<model::PersonIdentity> out;
  for (const auto& row : rows) {
    TKM_ASSIGN_OR_RETURN(Bytes plain, keys_.open(kVaultKey, as_bytes(person_key), row.blob(0)));
    TKM_ASSIGN_OR_RETURN(model::PersonIdentity p, identity_from_json(to_string(plain)));
    out.push_back(std::move(p));
  }
  return out;
}

Status IdentityVault::each_latest(
    const std::function<Status(const std::string& person_key, model::PersonIdentity identity)>&
        each) {
  constexpr std::int64_t kPage = 4096;
  std::string after;
  for (;;) {
    TKM_ASSIGN_OR_RETURN(
        store::Rows rows,
        db_.query("SELECT v.person_key, v.sealed FROM identity_versions v WHERE v.id IN "
                  "(SELECT MAX(id) FROM identity_versions WHERE person_key > ? "
                  "GROUP BY person_key ORDER BY person_key LIMIT ?) ORDER BY v.person_key",
                  {after, kPage}));
    for (const auto& row : rows) {
      const std::string& key = row.text(0);
      TKM_ASSIGN_OR_RETURN(Bytes plain, keys_.open(kVaultKey, as_bytes(key), row.blob(1)));
      TKM_ASSIGN_OR_RETURN(model::PersonIdentity p, identity_from_json(to_string(plain)));
      TKM_RETURN_IF_ERROR(each(key, std::move(p)));
    }
    if (static_cast<std::int64_t>(rows.size()) < kPage) return ok();
    after = rows.back().text(0);
  }
}

Result<std::string> IdentityVault::audit_reference(const std::string& person_key) {
  TKM_ASSIGN_OR_RETURN(crypto::Digest d,
                       keys_.blind_index(kVaultIndexKey, as_bytes("audit\x1f" + person_key)));
  return hex_encode(ByteView(d.data(), 16));
}

Result<std::int64_t> IdentityVault::count() {
  TKM_ASSIGN_OR_RETURN(store::Row row, db_.query_one("SELECT COUNT(*) FROM identity_persons"));
  return row.integer(0);
}

}  // namespace tokumei::identity
