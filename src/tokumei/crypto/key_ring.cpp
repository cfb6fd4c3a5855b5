#include "tokumei/crypto/key_ring.h"

#include <algorithm>
#include <array>

#include "tokumei/crypto/aead.h"

namespace tokumei::crypto {
namespace {

constexpr std::uint8_t kSealFormat = 1;
constexpr std::size_t kSealHeader = 5;
constexpr std::size_t kDataKeySize = 32;
constexpr std::string_view kCheckText = "tokumei key ring check v1";

std::string check_aad(std::uint32_t generation) {
  return "tokumei-master-check|" + std::to_string(generation);
}

std::string wrap_aad(const WrappedKey& k) {
  return "tokumei-wrap-v1|" + std::to_string(k.id) + "|" + k.purpose + "|" +
         std::to_string(k.version);
}

// nonce || AES-GCM(key, nonce, aad, plaintext)
Result<Bytes> seal_with(ByteView key, Random& random, std::string_view aad, ByteView plaintext) {
  Bytes out = random.bytes(kAeadNonceSize);
  TKM_ASSIGN_OR_RETURN(Bytes ct, aes256gcm_seal(key, out, as_bytes(aad), plaintext));
  out.insert(out.end(), ct.begin(), ct.end());
  return out;
}

Result<Bytes> open_with(ByteView key, std::string_view aad, ByteView sealed) {
  if (sealed.size() < kAeadNonceSize + kAeadTagSize) {
    return fail(Errc::integrity, {"暗号文が短すぎます", "ciphertext is too short"});
  }
  return aes256gcm_open(key, sealed.first(kAeadNonceSize), as_bytes(aad),
                        sealed.subspan(kAeadNonceSize));
}

std::unexpected<Error> locked() {
  // One message for a wrong passphrase, a wrong key file or a damaged check value (AUTHN-08 spirit:
  // say nothing about which part was wrong).
  return fail(Errc::authentication_failed,
              {"鍵リングを開けません。マスター鍵またはパスフレーズが正しくありません",
               "cannot unlock the key ring: the master key or passphrase is not correct"});
}

std::unexpected<Error> destroyed(const WrappedKey& k) {
  std::string when = format_jst(from_unix_ms(*k.destroyed_ms));
  return fail(
      Errc::key_destroyed,
      {"データ鍵「" + k.purpose + "」（版 " + std::to_string(k.version) + "）は " + when +
           " に暗号消去されました。この鍵で暗号化されたデータは復元できません",
       "data key '" + k.purpose + "' (version " + std::to_string(k.version) +
           ") was crypto-erased at " + when + "; data encrypted under it cannot be recovered"});
}

}  // namespace

// ---- MemoryKeyRingStorage ----------------------------------------------------------------------

Status MemoryKeyRingStorage::create(const MasterRecord& master) {
  if (master_)
    return fail(Errc::already_exists, {"鍵リングは既にあります", "key ring already exists"});
  master_ = master;
  return ok();
}

Status MemoryKeyRingStorage::add_key(const WrappedKey& key) {
  keys_.push_back(key);
  return ok();
}

Status MemoryKeyRingStorage::rewrap(const MasterRecord& master,
                                    const std::vector<WrappedKey>& keys) {
  master_ = master;
  for (const auto& k : keys) {
    for (auto& stored : keys_) {
      if (stored.id == k.id) stored.wrapped = k.wrapped;
    }
  }
  return ok();
}

Result<int> MemoryKeyRingStorage::destroy(const std::string& purpose, std::int64_t destroyed_ms) {
  int n = 0;
  for (auto& k : keys_) {
    if (k.purpose == purpose && !k.destroyed_ms) {
      secure_wipe(k.wrapped.data(), k.wrapped.size());
      k.wrapped.clear();
      k.destroyed_ms = destroyed_ms;
      ++n;
    }
  }
  return n;
}

KeyRing::Entry KeyRing::make_entry(WrappedKey record, SecretBytes key) {
  Entry e{std::move(record), std::move(key), {}, {}, {}, {}};
  if (!e.key.empty()) {
    auto derive = [&](std::string_view use) {
      return hkdf_sha256(e.key.view(), {}, as_bytes("tokumei-subkey-v1|" + std::string(use)),
                         kDataKeySize);
    };
    e.aead_key = derive("aes-256-gcm");
    e.mac_key = derive("hmac-sha-256");
    e.signing_seed = derive("ed25519");
  }
  return e;
}

// ---- KeyRing -----------------------------------------------------------------------------------

Result<MasterRecord> KeyRing::make_master(const MasterKeySource& source, std::uint32_t generation,
                                          SecretBytes* key_out) const {
  MasterRecord record;
  record.generation = generation;
  record.created_ms = to_unix_ms(clock_->now());
  if (const auto* file = std::get_if<KeyFileSource>(&source)) {
    record.kdf = "key-file";
    TKM_ASSIGN_OR_RETURN(*key_out, read_master_key_file(file->path));
  } else {
    const auto& pass = std::get<PassphraseSource>(source);
    record.kdf = "argon2id";
    record.salt = random_->bytes(16);
    record.params = pass.params;
    TKM_ASSIGN_OR_RETURN(
        *key_out, argon2id_derive_key(pass.passphrase, record.salt, record.params, kMasterKeySize));
  }
  TKM_ASSIGN_OR_RETURN(record.check, seal_with(key_out->view(), *random_, check_aad(generation),
                                               as_bytes(kCheckText)));
  return record;
}

Result<KeyRing> KeyRing::create(KeyRingStorage& storage, const MasterKeySource& source,
                                const Clock& clock, Random& random) {
  TKM_ASSIGN_OR_RETURN(auto existing, storage.load_master());
  if (existing) {
    return fail(Errc::already_exists,
                {"鍵リングは既に作成されています", "a key ring already exists here"});
  }
  KeyRing ring(storage, clock, random);
  TKM_ASSIGN_OR_RETURN(ring.master_, ring.make_master(source, 1, &ring.master_key_));
  TKM_RETURN_IF_ERROR(storage.create(ring.master_));
  return ring;
}

Result<KeyRing> KeyRing::unlock(KeyRingStorage& storage, const MasterKeySource& source,
                                const Clock& clock, Random& random) {
  TKM_ASSIGN_OR_RETURN(auto master, storage.load_master());
  if (!master) return fail(Errc::not_found, {"鍵リングがありません", "there is no key ring here"});
  bool wants_file = master->kdf == "key-file";
  if (wants_file != std::holds_alternative<KeyFileSource>(source)) {
    return fail(
        Errc::invalid_argument,
        {wants_file ? "この鍵リングはマスター鍵ファイルで開きます（パスフレーズではありません）"
                    : "この鍵リングはパスフレーズで開きます（鍵ファイルではありません）",
         wants_file ? "this key ring is opened with a master key file, not a passphrase"
                    : "this key ring is opened with a passphrase, not a key file"});
  }
  KeyRing ring(storage, clock, random);
  ring.master_ = *master;
  if (wants_file) {
    TKM_ASSIGN_OR_RETURN(ring.master_key_,
                         read_master_key_file(std::get<KeyFileSource>(source).path));
  } else {
    auto derived = argon2id_derive_key(std::get<PassphraseSource>(source).passphrase, master->salt,
                                       master->params, kMasterKeySize);
    if (!derived) return locked();
    ring.master_key_ = std::move(*derived);
  }
  if (!open_with(ring.master_key_.view(), check_aad(master->generation), master->check))
    return locked();

  TKM_ASSIGN_OR_RETURN(auto records, storage.load_keys());
  for (auto& rec : records) {
    SecretBytes data_key;
    if (!rec.destroyed_ms) {
      auto key = open_with(ring.master_key_.view(), wrap_aad(rec), rec.wrapped);
      if (!key) {
        return fail(Errc::integrity,
                    {"データ鍵「" + rec.purpose + "」（版 " + std::to_string(rec.version) +
                         "）を復号できません。鍵リングが改ざんまたは破損しています",
                     "data key '" + rec.purpose + "' (version " + std::to_string(rec.version) +
                         ") cannot be unwrapped: the key ring is tampered or damaged"});
      }
      data_key = SecretBytes(*key);
      secure_wipe(key->data(), key->size());
    }
    ring.entries_.emplace(rec.id, make_entry(rec, std::move(data_key)));
  }
  return ring;
}

Result<const KeyRing::Entry*> KeyRing::create_version(const std::string& purpose) {
  WrappedKey rec;
  rec.id = entries_.empty() ? 1 : entries_.rbegin()->first + 1;
  rec.purpose = purpose;
  rec.version = 1;
  for (const auto& [id, e] : entries_) {
    if (e.record.purpose == purpose) rec.version = std::max(rec.version, e.record.version + 1);
  }
  rec.created_ms = to_unix_ms(clock_->now());
  SecretBytes key(kDataKeySize);
  random_->fill(key.span());
  TKM_ASSIGN_OR_RETURN(rec.wrapped, wrap(rec, key.view()));
  TKM_RETURN_IF_ERROR(storage_->add_key(rec));
  auto [it, inserted] = entries_.emplace(rec.id, make_entry(rec, std::move(key)));
  return &it->second;
}

Result<Bytes> KeyRing::wrap(const WrappedKey& record, ByteView key) const {
  return seal_with(master_key_.view(), *random_, wrap_aad(record), key);
}

Result<const KeyRing::Entry*> KeyRing::newest_live(const std::string& purpose) {
  const Entry* newest = nullptr;
  const Entry* any = nullptr;
  for (const auto& [id, e] : entries_) {
    if (e.record.purpose != purpose) continue;
    any = &e;
    if (!e.record.destroyed_ms && (!newest || e.record.version > newest->record.version))
      newest = &e;
  }
  if (newest) return newest;
  if (any) return destroyed(any->record);
  return create_version(purpose);
}

Status KeyRing::ensure_key(const std::string& purpose) { return status_of(newest_live(purpose)); }

Result<std::uint32_t> KeyRing::rotate_data_key(const std::string& purpose) {
  TKM_RETURN_IF_ERROR(ensure_key(purpose));
  TKM_ASSIGN_OR_RETURN(const Entry* e, create_version(purpose));
  return e->record.version;
}

Status KeyRing::destroy_data_key(const std::string& purpose) {
  std::int64_t now = to_unix_ms(clock_->now());
  TKM_ASSIGN_OR_RETURN(int destroyed_versions, storage_->destroy(purpose, now));
  if (destroyed_versions == 0) {
    return fail(Errc::not_found, {"用途「" + purpose + "」の有効なデータ鍵はありません",
                                  "no live data key for purpose '" + purpose + "'"});
  }
  for (auto& [id, e] : entries_) {
    if (e.record.purpose != purpose || e.record.destroyed_ms) continue;
    e = make_entry(e.record, SecretBytes());
    e.record.destroyed_ms = now;
    e.record.wrapped.clear();
  }
  return ok();
}

Result<Bytes> KeyRing::seal(const std::string& purpose, ByteView aad, ByteView plaintext) {
  TKM_ASSIGN_OR_RETURN(const Entry* e, newest_live(purpose));
  if (!e->sealer) {
    TKM_ASSIGN_OR_RETURN(Aes256GcmSealer sealer, Aes256GcmSealer::create(e->aead_key.view()));
    e->sealer.emplace(std::move(sealer));
  }
  // Format byte and key id (authenticated with `aad`), nonce, ciphertext and tag.
  const std::array<std::uint8_t, kSealHeader> header{
      kSealFormat, static_cast<std::uint8_t>(e->record.id >> 24),
      static_cast<std::uint8_t>(e->record.id >> 16), static_cast<std::uint8_t>(e->record.id >> 8),
      static_cast<std::uint8_t>(e->record.id)};
  std::array<std::uint8_t, kAeadNonceSize> nonce;
  random_->fill(nonce);
  Bytes out(header.size() + nonce.size());
  std::ranges::copy(header, out.begin());
  std::ranges::copy(nonce, out.begin() + header.size());
  out.reserve(out.size() + plaintext.size() + kAeadTagSize);
  TKM_RETURN_IF_ERROR(e->sealer->seal_append(nonce, {header, aad}, plaintext, out));
  return out;
}

Result<Bytes> KeyRing::open(const std::string& purpose, ByteView aad, ByteView sealed) {
  if (sealed.size() < kSealHeader + kAeadNonceSize + kAeadTagSize || sealed[0] != kSealFormat) {
    return fail(Errc::integrity, {"暗号文の形式が正しくありません", "not a Tokumei ciphertext"});
  }
  std::uint32_t id = static_cast<std::uint32_t>(sealed[1]) << 24 |
                     static_cast<std::uint32_t>(sealed[2]) << 16 |
                     static_cast<std::uint32_t>(sealed[3]) << 8 | sealed[4];
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return fail(Errc::not_found,
                {"暗号文の鍵（番号 " + std::to_string(id) + "）がこの鍵リングにありません",
                 "the ciphertext's key (id " + std::to_string(id) + ") is not in this key ring"});
  }
  const Entry& e = it->second;
  if (e.record.purpose != purpose) {
    return fail(
        Errc::invalid_argument,
        {"この暗号文は用途「" + e.record.purpose + "」のもので、「" + purpose + "」ではありません",
         "this ciphertext belongs to purpose '" + e.record.purpose + "', not '" + purpose + "'"});
  }
  if (e.record.destroyed_ms) return destroyed(e.record);
  Bytes full_aad(sealed.begin(), sealed.begin() + kSealHeader);
  full_aad.insert(full_aad.end(), aad.begin(), aad.end());
  return aes256gcm_open(e.aead_key.view(), sealed.subspan(kSealHeader, kAeadNonceSize), full_aad,
                        sealed.subspan(kSealHeader + kAeadNonceSize));
}

Result<Digest> KeyRing::blind_index(const std::string& purpose, ByteView value) {
  TKM_RETURN_IF_ERROR(ensure_key(purpose));
  for (const auto& [id, e] : entries_) {  // ids grow with versions: the first live one is oldest
    if (e.record.purpose == purpose && !e.record.destroyed_ms)
      return hmac_sha256(e.mac_key.view(), value);
  }
  return fail(Errc::internal, {"鍵が見つかりません", "key vanished"});
}

Result<Ed25519PrivateKey> KeyRing::signing_key(const std::string& purpose) {
  TKM_ASSIGN_OR_RETURN(const Entry* e, newest_live(purpose));
  return Ed25519PrivateKey::from_seed(e->signing_seed.view());
}

std::vector<Bytes> KeyRing::verification_keys(const std::string& purpose) const {
  std::vector<Bytes> out;
  for (const auto& [id, e] : entries_) {
    if (e.record.purpose != purpose || e.record.destroyed_ms) continue;
    if (auto key = Ed25519PrivateKey::from_seed(e.signing_seed.view())) {
      out.push_back(key->public_key());
    }
  }
  return out;
}

Status KeyRing::rotate_master(const MasterKeySource& next) {
  SecretBytes next_key;
  TKM_ASSIGN_OR_RETURN(MasterRecord record, make_master(next, master_.generation + 1, &next_key));
  std::vector<WrappedKey> rewrapped;
  for (const auto& [id, e] : entries_) {
    if (e.record.destroyed_ms) continue;
    WrappedKey rec = e.record;
    TKM_ASSIGN_OR_RETURN(rec.wrapped,
                         seal_with(next_key.view(), *random_, wrap_aad(rec), e.key.view()));
    rewrapped.push_back(std::move(rec));
  }
  TKM_RETURN_IF_ERROR(storage_->rewrap(record, rewrapped));
  for (auto& rec : rewrapped) entries_.at(rec.id).record.wrapped = std::move(rec.wrapped);
  master_ = std::move(record);
  master_key_ = std::move(next_key);
  return ok();
}

std::vector<DataKeyInfo> KeyRing::keys() const {
  std::vector<DataKeyInfo> out;
  for (const auto& [id, e] : entries_) {
    DataKeyInfo info{id, e.record.purpose, e.record.version, from_unix_ms(e.record.created_ms),
                     std::nullopt};
    if (e.record.destroyed_ms) info.destroyed = from_unix_ms(*e.record.destroyed_ms);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace tokumei::crypto
