#include "tokumei/store/key_ring_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "support/test_support.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/crypto/key_ring.h"
#include "tokumei/crypto/master_key.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::store {
namespace {

using namespace std::chrono_literals;
using crypto::Argon2Params;
using crypto::KeyFileSource;
using crypto::KeyRing;
using crypto::PassphraseSource;
using tokumei::testing::TempDir;

const TimePoint kStart = from_unix_ms(1'775'001'600'000);  // 2026-04-01T00:00:00Z

PassphraseSource passphrase(const std::string& text) {
  return PassphraseSource{text, Argon2Params::for_tests()};
}

std::string as_string(ByteView b) { return to_string(b); }

// Whether `needle` occurs anywhere in the bytes of the file at `path`.
bool file_contains(const std::filesystem::path& path, ByteView needle) {
  if (!std::filesystem::exists(path)) return false;
  return tokumei::testing::read_file(path).find(as_string(needle)) != std::string::npos;
}

// One open deployment database with its key ring storage; closes in the right order.
struct Session {
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<DatabaseKeyRingStorage> storage;
};

class KeyRingStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path db_path() const { return dir_ / "deploy.db"; }

  Session open_session() {
    Session s;
    auto db = SqliteDatabase::open(db_path(), SqliteOptions{.create = true});
    EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().describe(Lang::en));
    if (!db) return s;
    s.db = std::move(*db);
    auto n = migrate(*s.db, DatabaseKeyRingStorage::schema(), clock_);
    EXPECT_TRUE(n.has_value()) << (n ? "" : n.error().describe(Lang::en));
    s.storage = std::make_unique<DatabaseKeyRingStorage>(*s.db);
    return s;
  }

  // Writes everything from the WAL into the main file and empties the WAL, so the main file
  // holds every byte the database keeps.
  static void checkpoint(Database& db) {
    auto s = db.execute_script("PRAGMA wal_checkpoint(TRUNCATE)");
    ASSERT_TRUE(s.has_value()) << s.error().describe(Lang::en);
  }

  bool db_files_contain(ByteView needle) const {
    return file_contains(db_path(), needle) || file_contains(dir_ / "deploy.db-wal", needle);
  }

  TempDir dir_;
  FakeClock clock_{kStart};
  SeededRandom random_{20260401};
};

TEST_F(KeyRingStoreTest, SchemaMigratesTheKeyRingTables) {
  Session s = open_session();
  ASSERT_NE(s.db, nullptr);
  auto v = schema_version(*s.db, "keyring");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 1);
  auto master = s.storage->load_master();
  ASSERT_TRUE(master.has_value());
  EXPECT_FALSE(master->has_value());
  auto keys = s.storage->load_keys();
  ASSERT_TRUE(keys.has_value());
  EXPECT_TRUE(keys->empty());
}

TEST_F(KeyRingStoreTest, PassphraseRingSurvivesCloseAndReopen) {
  const Bytes aad = {'r', 'e', 'c', '1'};
  Bytes sealed;
  {
    Session s = open_session();
    ASSERT_NE(s.db, nullptr);
    auto ring = KeyRing::create(*s.storage, passphrase("正しい馬のバッテリー"), clock_, random_);
    ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
    auto out = ring->seal("vault", aad, as_bytes("患者: 山田太郎"));
    ASSERT_TRUE(out.has_value()) << out.error().describe(Lang::en);
    sealed = *out;
  }
  clock_.advance(24h);
  Session s = open_session();
  ASSERT_NE(s.db, nullptr);
  auto master = s.storage->load_master();
  ASSERT_TRUE(master.has_value());
  ASSERT_TRUE(master->has_value());
  EXPECT_EQ((*master)->kdf, "argon2id");
  EXPECT_EQ((*master)->generation, 1u);
  EXPECT_EQ((*master)->salt.size(), 16u);
  EXPECT_EQ((*master)->params.memory_kib, Argon2Params::for_tests().memory_kib);
  EXPECT_EQ((*master)->params.iterations, Argon2Params::for_tests().iterations);
  EXPECT_EQ((*master)->params.parallelism, Argon2Params::for_tests().parallelism);
  EXPECT_EQ((*master)->created_ms, to_unix_ms(kStart));

  auto ring = KeyRing::unlock(*s.storage, passphrase("正しい馬のバッテリー"), clock_, random_);
  ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
  EXPECT_EQ(ring->master_generation(), 1u);
  auto plain = ring->open("vault", aad, sealed);
  ASSERT_TRUE(plain.has_value()) << plain.error().describe(Lang::en);
  EXPECT_EQ(as_string(*plain), "患者: 山田太郎");

  auto keys = ring->keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].id, 1u);
  EXPECT_EQ(keys[0].purpose, "vault");
  EXPECT_EQ(keys[0].version, 1u);
  EXPECT_EQ(keys[0].created, kStart);
  EXPECT_FALSE(keys[0].destroyed.has_value());

  // The wrong AAD still fails after the round trip.
  auto wrong = ring->open("vault", as_bytes("rec2"), sealed);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), Errc::integrity);
}

TEST_F(KeyRingStoreTest, KeyFileRingSurvivesCloseAndReopen) {
  const auto key_file = dir_ / "master.key";
  ASSERT_TRUE(crypto::create_master_key_file(key_file, random_));
  Bytes sealed;
  {
    Session s = open_session();
    ASSERT_NE(s.db, nullptr);
    auto ring = KeyRing::create(*s.storage, KeyFileSource{key_file}, clock_, random_);
    ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
    auto out = ring->seal("clinical:1310000001", {}, as_bytes("検査値 5.6"));
    ASSERT_TRUE(out.has_value());
    sealed = *out;
  }
  Session s = open_session();
  ASSERT_NE(s.db, nullptr);
  auto master = s.storage->load_master();
  ASSERT_TRUE(master.has_value() && master->has_value());
  EXPECT_EQ((*master)->kdf, "key-file");
  EXPECT_TRUE((*master)->salt.empty());
  auto ring = KeyRing::unlock(*s.storage, KeyFileSource{key_file}, clock_, random_);
  ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
  auto plain = ring->open("clinical:1310000001", {}, sealed);
  ASSERT_TRUE(plain.has_value()) << plain.error().describe(Lang::en);
  EXPECT_EQ(as_string(*plain), "検査値 5.6");

  // A passphrase is refused for a key-file ring, and another key file is the wrong key.
  auto by_pass = KeyRing::unlock(*s.storage, passphrase("x"), clock_, random_);
  ASSERT_FALSE(by_pass.has_value());
  EXPECT_EQ(by_pass.error().code(), Errc::invalid_argument);
  const auto other_file = dir_ / "other.key";
  ASSERT_TRUE(crypto::create_master_key_file(other_file, random_));
  auto by_other = KeyRing::unlock(*s.storage, KeyFileSource{other_file}, clock_, random_);
  ASSERT_FALSE(by_other.has_value());
  EXPECT_EQ(by_other.error().code(), Errc::authentication_failed);
}

TEST_F(KeyRingStoreTest, WrongPassphraseIsAuthenticationFailed) {
  {
    Session s = open_session();
    ASSERT_TRUE(KeyRing::create(*s.storage, passphrase("right"), clock_, random_));
  }
  Session s = open_session();
  auto ring = KeyRing::unlock(*s.storage, passphrase("wrong"), clock_, random_);
  ASSERT_FALSE(ring.has_value());
  EXPECT_EQ(ring.error().code(), Errc::authentication_failed);
}

TEST_F(KeyRingStoreTest, SecondCreateIsAlreadyExists) {
  Session s = open_session();
  ASSERT_TRUE(KeyRing::create(*s.storage, passphrase("one"), clock_, random_));
  auto again = KeyRing::create(*s.storage, passphrase("two"), clock_, random_);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Errc::already_exists);
  // The storage itself refuses a second master record too.
  auto master = s.storage->load_master();
  ASSERT_TRUE(master.has_value() && master->has_value());
  auto direct = s.storage->create(**master);
  ASSERT_FALSE(direct.has_value());
  EXPECT_EQ(direct.error().code(), Errc::already_exists);
  EXPECT_EQ(s.db->transaction_depth(), 0);
}

TEST_F(KeyRingStoreTest, UnlockWithoutRingIsNotFound) {
  Session s = open_session();
  auto ring = KeyRing::unlock(*s.storage, passphrase("p"), clock_, random_);
  ASSERT_FALSE(ring.has_value());
  EXPECT_EQ(ring.error().code(), Errc::not_found);
}

TEST_F(KeyRingStoreTest, DataKeyVersionsSurviveReopen) {
  Bytes v1, v2;
  {
    Session s = open_session();
    auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
    ASSERT_TRUE(ring.has_value());
    auto a = ring->seal("vault", {}, as_bytes("first"));
    ASSERT_TRUE(a.has_value());
    v1 = *a;
    clock_.advance(1h);
    auto version = ring->rotate_data_key("vault");
    ASSERT_TRUE(version.has_value());
    EXPECT_EQ(*version, 2u);
    auto b = ring->seal("vault", {}, as_bytes("second"));
    ASSERT_TRUE(b.has_value());
    v2 = *b;
  }
  Session s = open_session();
  auto rows = s.db->query("SELECT id, purpose, version, created_at FROM data_keys ORDER BY id");
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].integer(2), 1);
  EXPECT_EQ((*rows)[1].integer(2), 2);
  EXPECT_EQ((*rows)[0].integer(3), to_unix_ms(kStart));
  EXPECT_EQ((*rows)[1].integer(3), to_unix_ms(kStart + 1h));

  auto ring = KeyRing::unlock(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
  auto a = ring->open("vault", {}, v1);
  auto b = ring->open("vault", {}, v2);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(as_string(*a), "first");
  EXPECT_EQ(as_string(*b), "second");
}

TEST_F(KeyRingStoreTest, RotateMasterThenOnlyTheNewSourceUnlocks) {
  Bytes sealed;
  {
    Session s = open_session();
    auto ring = KeyRing::create(*s.storage, passphrase("old passphrase"), clock_, random_);
    ASSERT_TRUE(ring.has_value());
    auto out = ring->seal("vault", {}, as_bytes("kept across rotation"));
    ASSERT_TRUE(out.has_value());
    sealed = *out;
    ASSERT_TRUE(ring->ensure_key("totp"));
    clock_.advance(24h * 90);
    auto r = ring->rotate_master(passphrase("new passphrase"));
    ASSERT_TRUE(r.has_value()) << r.error().describe(Lang::en);
    EXPECT_EQ(ring->master_generation(), 2u);
  }
  Session s = open_session();
  auto master = s.storage->load_master();
  ASSERT_TRUE(master.has_value() && master->has_value());
  EXPECT_EQ((*master)->generation, 2u);
  EXPECT_EQ((*master)->created_ms, to_unix_ms(kStart + 24h * 90));

  auto old_ring = KeyRing::unlock(*s.storage, passphrase("old passphrase"), clock_, random_);
  ASSERT_FALSE(old_ring.has_value());
  EXPECT_EQ(old_ring.error().code(), Errc::authentication_failed);

  auto ring = KeyRing::unlock(*s.storage, passphrase("new passphrase"), clock_, random_);
  ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
  EXPECT_EQ(ring->master_generation(), 2u);
  auto plain = ring->open("vault", {}, sealed);
  ASSERT_TRUE(plain.has_value()) << plain.error().describe(Lang::en);
  EXPECT_EQ(as_string(*plain), "kept across rotation");
  EXPECT_EQ(ring->keys().size(), 2u);
}

TEST_F(KeyRingStoreTest, RotateMasterFromPassphraseToKeyFile) {
  const auto key_file = dir_ / "master.key";
  ASSERT_TRUE(crypto::create_master_key_file(key_file, random_));
  Bytes sealed;
  {
    Session s = open_session();
    auto ring = KeyRing::create(*s.storage, passphrase("start"), clock_, random_);
    ASSERT_TRUE(ring.has_value());
    auto out = ring->seal("vault", {}, as_bytes("data"));
    ASSERT_TRUE(out.has_value());
    sealed = *out;
    ASSERT_TRUE(ring->rotate_master(KeyFileSource{key_file}));
  }
  Session s = open_session();
  auto master = s.storage->load_master();
  ASSERT_TRUE(master.has_value() && master->has_value());
  EXPECT_EQ((*master)->kdf, "key-file");
  // The argon2 columns are cleared for a key-file master.
  auto row = s.db->query_one("SELECT salt IS NULL, argon2_memory IS NULL FROM key_ring_master");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->integer(0), 1);
  EXPECT_EQ(row->integer(1), 1);

  auto old_ring = KeyRing::unlock(*s.storage, passphrase("start"), clock_, random_);
  ASSERT_FALSE(old_ring.has_value());
  EXPECT_EQ(old_ring.error().code(), Errc::invalid_argument);  // a passphrase no longer applies
  auto ring = KeyRing::unlock(*s.storage, KeyFileSource{key_file}, clock_, random_);
  ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
  auto plain = ring->open("vault", {}, sealed);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(as_string(*plain), "data");
}

TEST_F(KeyRingStoreTest, DestroyedKeyStaysDestroyedAfterReopen) {
  Bytes vault_data, totp_data;
  const TimePoint destroyed_at = kStart + 24h * 30;
  {
    Session s = open_session();
    auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
    ASSERT_TRUE(ring.has_value());
    auto a = ring->seal("clinical:tokyo-1", {}, as_bytes("erase me"));
    auto b = ring->seal("totp", {}, as_bytes("keep me"));
    ASSERT_TRUE(a.has_value() && b.has_value());
    vault_data = *a;
    totp_data = *b;
    clock_.set(destroyed_at);
    auto d = ring->destroy_data_key("clinical:tokyo-1");
    ASSERT_TRUE(d.has_value()) << d.error().describe(Lang::en);
  }
  Session s = open_session();
  auto ring = KeyRing::unlock(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
  auto gone = ring->open("clinical:tokyo-1", {}, vault_data);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code(), Errc::key_destroyed);
  EXPECT_NE(gone.error().message(Lang::ja).find("clinical:tokyo-1"), std::string::npos)
      << gone.error().message(Lang::ja);
  EXPECT_NE(gone.error().message(Lang::en).find("clinical:tokyo-1"), std::string::npos)
      << gone.error().message(Lang::en);
  EXPECT_NE(gone.error().message(Lang::ja).find(format_jst(destroyed_at)), std::string::npos)
      << gone.error().message(Lang::ja);

  // A destroyed purpose is never silently reborn.
  auto reborn = ring->seal("clinical:tokyo-1", {}, as_bytes("new"));
  ASSERT_FALSE(reborn.has_value());
  EXPECT_EQ(reborn.error().code(), Errc::key_destroyed);

  // Other purposes are untouched.
  auto kept = ring->open("totp", {}, totp_data);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(as_string(*kept), "keep me");

  // The tombstone records what was destroyed and when; the wrapped bytes are gone.
  auto row = s.db->query_one(
      "SELECT wrapped IS NULL, destroyed_at, version FROM data_keys WHERE purpose = ?",
      {"clinical:tokyo-1"});
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->integer(0), 1);
  EXPECT_EQ(row->integer(1), to_unix_ms(destroyed_at));
  EXPECT_EQ(row->integer(2), 1);
  auto live = s.db->query_one(
      "SELECT wrapped IS NULL, destroyed_at IS NULL FROM data_keys WHERE purpose = 'totp'");
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->integer(0), 0);
  EXPECT_EQ(live->integer(1), 1);

  auto keys = ring->keys();
  ASSERT_EQ(keys.size(), 2u);
  ASSERT_TRUE(keys[0].destroyed.has_value());
  EXPECT_EQ(*keys[0].destroyed, destroyed_at);
}

TEST_F(KeyRingStoreTest, DestroyingEveryVersionLeavesNoWrappedBytes) {
  Session s = open_session();
  auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(ring.has_value());
  ASSERT_TRUE(ring->ensure_key("vault"));
  ASSERT_TRUE(ring->rotate_data_key("vault"));
  ASSERT_TRUE(ring->rotate_data_key("vault"));
  ASSERT_TRUE(ring->destroy_data_key("vault"));
  auto row = s.db->query_one(
      "SELECT COUNT(*), SUM(wrapped IS NULL), SUM(destroyed_at IS NOT NULL) FROM data_keys WHERE "
      "purpose = 'vault'");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->integer(0), 3);
  EXPECT_EQ(row->integer(1), 3);
  EXPECT_EQ(row->integer(2), 3);
  // Destroying again: nothing live is left to destroy.
  auto again = ring->destroy_data_key("vault");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Errc::not_found);
  // The storage reports how many live versions it destroyed: none the second time, none for an
  // unknown purpose.
  EXPECT_EQ(s.storage->destroy("vault", 0), 0);
  EXPECT_EQ(s.storage->destroy("no-such-purpose", 0), 0);
}

TEST_F(KeyRingStoreTest, DestroyedKeyBytesAreNotInTheDatabaseFile) {
  Session s = open_session();
  auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(ring.has_value());
  ASSERT_TRUE(ring->ensure_key("vault"));
  // The data key is the Ed25519 seed of signing_key(): the only way to see it from outside.
  auto signing = ring->signing_key("vault");
  ASSERT_TRUE(signing.has_value());
  const Bytes raw(signing->seed().view().begin(), signing->seed().view().end());
  ASSERT_EQ(raw.size(), 32u);
  auto wrapped_row = s.db->query_one("SELECT wrapped FROM data_keys WHERE purpose = 'vault'");
  ASSERT_TRUE(wrapped_row.has_value());
  const Bytes wrapped = wrapped_row->blob(0);
  ASSERT_EQ(wrapped.size(), 12u + 32u + 16u);  // nonce || key || tag

  checkpoint(*s.db);
  // Positive control: the search does find the wrapped key while it exists.
  ASSERT_TRUE(file_contains(db_path(), wrapped));
  EXPECT_FALSE(db_files_contain(raw));  // never stored in clear

  ASSERT_TRUE(ring->destroy_data_key("vault"));
  checkpoint(*s.db);
  EXPECT_FALSE(db_files_contain(wrapped)) << "wrapped bytes of a destroyed key remain in the file";
  EXPECT_FALSE(db_files_contain(raw));

  s.storage.reset();
  s.db.reset();
  EXPECT_FALSE(db_files_contain(wrapped));
  EXPECT_FALSE(db_files_contain(raw));
}

TEST_F(KeyRingStoreTest, RotateMasterLeavesNoOldWrappedBytesInTheFile) {
  // The old wraps plus the retired passphrase would otherwise still give the data keys.
  Session s = open_session();
  auto ring = KeyRing::create(*s.storage, passphrase("retired"), clock_, random_);
  ASSERT_TRUE(ring.has_value());
  ASSERT_TRUE(ring->ensure_key("vault"));
  auto before = s.db->query_one("SELECT wrapped FROM data_keys WHERE purpose = 'vault'");
  ASSERT_TRUE(before.has_value());
  const Bytes old_wrapped = before->blob(0);
  checkpoint(*s.db);
  ASSERT_TRUE(file_contains(db_path(), old_wrapped));  // positive control

  ASSERT_TRUE(ring->rotate_master(passphrase("current")));
  auto after = s.db->query_one("SELECT wrapped FROM data_keys WHERE purpose = 'vault'");
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(after->blob(0), old_wrapped);
  checkpoint(*s.db);
  EXPECT_FALSE(db_files_contain(old_wrapped));
  EXPECT_TRUE(file_contains(db_path(), after->blob(0)));
}

TEST_F(KeyRingStoreTest, SealedSentinelIsNotInClearInTheDatabaseFile) {
  const std::string sentinel = "SENTINEL-患者-4b1d7e0c-PLAINTEXT";
  Session s = open_session();
  ASSERT_TRUE(
      s.db->execute_script("CREATE TABLE vault (id INTEGER PRIMARY KEY, sealed BLOB NOT NULL);"));
  auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(ring.has_value());
  auto sealed = ring->seal("vault", as_bytes("vault:1"), as_bytes(sentinel));
  ASSERT_TRUE(sealed.has_value());
  ASSERT_TRUE(s.db->execute("INSERT INTO vault (id, sealed) VALUES (1, ?)", {*sealed}));
  checkpoint(*s.db);
  ASSERT_TRUE(file_contains(db_path(), *sealed));  // positive control: the row is in the file
  EXPECT_FALSE(db_files_contain(as_bytes(sentinel)));

  auto row = s.db->query_one("SELECT sealed FROM vault WHERE id = 1");
  ASSERT_TRUE(row.has_value());
  auto plain = ring->open("vault", as_bytes("vault:1"), row->blob(0));
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(as_string(*plain), sentinel);
}

TEST_F(KeyRingStoreTest, TamperedCheckValueIsAuthenticationFailed) {
  {
    Session s = open_session();
    ASSERT_TRUE(KeyRing::create(*s.storage, passphrase("pp"), clock_, random_));
  }
  Session s = open_session();
  auto row = s.db->query_one("SELECT check_value FROM key_ring_master");
  ASSERT_TRUE(row.has_value());
  Bytes check = row->blob(0);
  ASSERT_FALSE(check.empty());
  check[check.size() / 2] ^= 0x01;
  auto n = s.db->execute("UPDATE key_ring_master SET check_value = ?", {check});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 1);
  auto ring = KeyRing::unlock(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_FALSE(ring.has_value());
  EXPECT_EQ(ring.error().code(), Errc::authentication_failed);
}

TEST_F(KeyRingStoreTest, TamperedWrappedKeyIsIntegrity) {
  {
    Session s = open_session();
    auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
    ASSERT_TRUE(ring.has_value());
    ASSERT_TRUE(ring->ensure_key("vault"));
    ASSERT_TRUE(ring->ensure_key("totp"));
  }
  Session s = open_session();
  auto row = s.db->query_one("SELECT wrapped FROM data_keys WHERE purpose = 'totp'");
  ASSERT_TRUE(row.has_value());
  Bytes wrapped = row->blob(0);
  wrapped[20] ^= 0x80;
  ASSERT_TRUE(s.db->execute("UPDATE data_keys SET wrapped = ? WHERE purpose = 'totp'", {wrapped}));
  auto ring = KeyRing::unlock(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_FALSE(ring.has_value());
  EXPECT_EQ(ring.error().code(), Errc::integrity);
  EXPECT_NE(ring.error().message(Lang::en).find("totp"), std::string::npos)
      << ring.error().message(Lang::en);
}

TEST_F(KeyRingStoreTest, WrappedKeyMovedToAnotherPurposeIsIntegrity) {
  // The wrap binds id, purpose and version: relabelling a row is tampering too.
  {
    Session s = open_session();
    auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
    ASSERT_TRUE(ring.has_value());
    ASSERT_TRUE(ring->ensure_key("vault"));
  }
  Session s = open_session();
  ASSERT_TRUE(s.db->execute("UPDATE data_keys SET purpose = 'totp' WHERE purpose = 'vault'"));
  auto ring = KeyRing::unlock(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_FALSE(ring.has_value());
  EXPECT_EQ(ring.error().code(), Errc::integrity);
}

TEST_F(KeyRingStoreTest, TombstoneCannotHoldWrappedBytes) {
  Session s = open_session();
  auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(ring.has_value());
  ASSERT_TRUE(ring->ensure_key("vault"));
  ASSERT_TRUE(ring->destroy_data_key("vault"));
  // The table's CHECK keeps "destroyed" and "has wrapped bytes" mutually exclusive.
  auto r = s.db->execute("UPDATE data_keys SET wrapped = x'00' WHERE purpose = 'vault'");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::database);
}

// Review finding: crypto-erase left the wrapped key in the WAL file until some later checkpoint.
TEST_F(KeyRingStoreTest, DestroyedKeyIsGoneFromTheWalWithoutAManualCheckpoint) {
  Session s = open_session();
  auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(ring.has_value());
  ASSERT_TRUE(ring->ensure_key("vault"));
  const Bytes wrapped =
      s.db->query_one("SELECT wrapped FROM data_keys WHERE purpose = 'vault'")->blob(0);
  ASSERT_TRUE(db_files_contain(wrapped));  // positive control
  ASSERT_TRUE(ring->destroy_data_key("vault"));
  EXPECT_FALSE(db_files_contain(wrapped));
}

// Review finding: a key created inside a transaction the caller then rolled back stayed in memory,
// so data sealed under it could not be opened after a restart.
TEST_F(KeyRingStoreTest, KeysAreNotCreatedInsideACallersTransaction) {
  Session s = open_session();
  auto ring = KeyRing::create(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(ring.has_value());
  {
    auto tx = s.db->begin();
    ASSERT_TRUE(tx.has_value());
    auto sealed = ring->seal("new-purpose", {}, as_bytes("x"));
    ASSERT_FALSE(sealed.has_value());
    EXPECT_EQ(sealed.error().code(), Errc::internal);
  }  // rolled back
  ASSERT_TRUE(ring->ensure_key("new-purpose").has_value());
  auto tx = s.db->begin();
  auto sealed = ring->seal("new-purpose", {}, as_bytes("x"));  // an existing key is fine inside
  ASSERT_TRUE(sealed.has_value());
  ASSERT_TRUE(tx->commit().has_value());
  auto reopened = KeyRing::unlock(*s.storage, passphrase("pp"), clock_, random_);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(to_string(*reopened->open("new-purpose", {}, *sealed)), "x");
}

}  // namespace
}  // namespace tokumei::store
