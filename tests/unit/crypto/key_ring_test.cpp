// Key ring (STORE-01/02, DELETE crypto-erase): acceptance tests of issue 2 on the in-memory
// storage; tests/unit/store/key_ring_store_test.cpp repeats the life cycle on the database.

#include "tokumei/crypto/key_ring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_support.h"
#include "tokumei/base/files.h"
#include "tokumei/crypto/aead.h"

namespace tokumei::crypto {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class KeyRingTest : public ::testing::Test {
 protected:
  FakeClock clock{from_unix_ms(1'790'000'000'000)};
  SeededRandom random{42};
  MemoryKeyRingStorage storage;
  PassphraseSource pass(std::string p) {
    return PassphraseSource{std::move(p), Argon2Params::for_tests()};
  }
};

TEST_F(KeyRingTest, SealOpenRoundTripBindsPurposeAndAad) {
  auto ring = KeyRing::create(storage, pass("correct horse"), clock, random);
  ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
  auto sealed = ring->seal("vault", as_bytes("patient-17"), as_bytes("山田 太郎"));
  ASSERT_TRUE(sealed.has_value());
  EXPECT_THAT(to_string(*sealed), Not(HasSubstr("山田")));
  auto opened = ring->open("vault", as_bytes("patient-17"), *sealed);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(to_string(*opened), "山田 太郎");

  auto wrong_aad = ring->open("vault", as_bytes("patient-18"), *sealed);
  ASSERT_FALSE(wrong_aad.has_value());
  EXPECT_EQ(wrong_aad.error().code(), Errc::integrity);

  auto wrong_purpose = ring->open("clinical", as_bytes("patient-17"), *sealed);
  ASSERT_FALSE(wrong_purpose.has_value());
  EXPECT_EQ(wrong_purpose.error().code(), Errc::invalid_argument);
  EXPECT_THAT(wrong_purpose.error().message(Lang::en), HasSubstr("'vault'"));

  Bytes tampered = *sealed;
  tampered.back() ^= 1;
  EXPECT_EQ(ring->open("vault", as_bytes("patient-17"), tampered).error().code(), Errc::integrity);
}

// Acceptance: encrypt, rotate the master key, decrypt — the data is not re-encrypted.
TEST_F(KeyRingTest, RotateMasterKeyKeepsDataReadableAndRetiresOldPassphrase) {
  Bytes sealed;
  {
    auto ring = KeyRing::create(storage, pass("first passphrase"), clock, random);
    ASSERT_TRUE(ring.has_value());
    sealed = *ring->seal("vault", {}, as_bytes("kept across rotation"));
    auto wrapped_before = storage.load_keys()->at(0).wrapped;
    ASSERT_TRUE(ring->rotate_master(pass("second passphrase")).has_value());
    EXPECT_EQ(ring->master_generation(), 2u);
    EXPECT_NE(storage.load_keys()->at(0).wrapped, wrapped_before);  // re-wrapped
    EXPECT_EQ(to_string(*ring->open("vault", {}, sealed)), "kept across rotation");
  }
  auto reopened = KeyRing::unlock(storage, pass("second passphrase"), clock, random);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().describe(Lang::en);
  EXPECT_EQ(to_string(*reopened->open("vault", {}, sealed)), "kept across rotation");

  auto old = KeyRing::unlock(storage, pass("first passphrase"), clock, random);
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error().code(), Errc::authentication_failed);
}

// Acceptance: crypto-erase, then decrypt fails with a clear error naming what was erased.
TEST_F(KeyRingTest, CryptoEraseMakesDataUnreadableWithAClearError) {
  auto ring = KeyRing::create(storage, pass("passphrase"), clock, random);
  ASSERT_TRUE(ring.has_value());
  Bytes person = *ring->seal("person:7f3a", {}, as_bytes("erase me"));
  Bytes other = *ring->seal("person:9b21", {}, as_bytes("keep me"));
  ASSERT_TRUE(ring->destroy_data_key("person:7f3a").has_value());

  auto erased = ring->open("person:7f3a", {}, person);
  ASSERT_FALSE(erased.has_value());
  EXPECT_EQ(erased.error().code(), Errc::key_destroyed);
  EXPECT_THAT(erased.error().message(Lang::en), HasSubstr("'person:7f3a'"));
  EXPECT_THAT(erased.error().message(Lang::en), HasSubstr("crypto-erased"));
  EXPECT_THAT(erased.error().message(Lang::ja), HasSubstr("暗号消去"));
  EXPECT_EQ(to_string(*ring->open("person:9b21", {}, other)), "keep me");

  // The wrapped key is gone from storage, a tombstone remains, and a reopened ring agrees.
  auto stored = storage.load_keys();
  ASSERT_TRUE(stored.has_value());
  for (const auto& k : *stored) {
    if (k.purpose == "person:7f3a") {
      EXPECT_TRUE(k.wrapped.empty());
      ASSERT_TRUE(k.destroyed_ms.has_value());
      EXPECT_EQ(*k.destroyed_ms, to_unix_ms(clock.now()));
    }
  }
  auto reopened = KeyRing::unlock(storage, pass("passphrase"), clock, random);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(reopened->open("person:7f3a", {}, person).error().code(), Errc::key_destroyed);

  // A destroyed purpose is never silently reborn for new data.
  EXPECT_EQ(ring->seal("person:7f3a", {}, as_bytes("x")).error().code(), Errc::key_destroyed);
  EXPECT_EQ(ring->destroy_data_key("person:7f3a").error().code(), Errc::not_found);
}

// Acceptance: a wrong passphrase fails without saying which part was wrong.
TEST_F(KeyRingTest, WrongPassphraseGivesOneMessageForEveryCause) {
  ASSERT_TRUE(KeyRing::create(storage, pass("the right one"), clock, random).has_value());
  auto wrong = KeyRing::unlock(storage, pass("the wrong one"), clock, random);
  auto almost = KeyRing::unlock(storage, pass("the right onf"), clock, random);
  auto empty = KeyRing::unlock(storage, pass(""), clock, random);
  ASSERT_FALSE(wrong.has_value());
  ASSERT_FALSE(almost.has_value());
  ASSERT_FALSE(empty.has_value());
  for (const auto* r : {&wrong, &almost, &empty}) {
    EXPECT_EQ(r->error().code(), Errc::authentication_failed);
    EXPECT_EQ(r->error().message(Lang::ja), wrong.error().message(Lang::ja));
    EXPECT_EQ(r->error().message(Lang::en), wrong.error().message(Lang::en));
  }
  // A damaged check value reads exactly like a wrong passphrase.
  auto master = **storage.load_master();
  master.check[master.check.size() - 1] ^= 1;
  MemoryKeyRingStorage damaged;
  ASSERT_TRUE(damaged.create(master).has_value());
  auto d = KeyRing::unlock(damaged, pass("the right one"), clock, random);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().message(Lang::en), wrong.error().message(Lang::en));
  EXPECT_THAT(wrong.error().message(Lang::en), Not(HasSubstr("salt")));
}

TEST_F(KeyRingTest, DataKeyRotationKeepsOldVersionsReadable) {
  auto ring = KeyRing::create(storage, pass("p"), clock, random);
  ASSERT_TRUE(ring.has_value());
  Bytes v1 = *ring->seal("vault", {}, as_bytes("old"));
  auto version = ring->rotate_data_key("vault");
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, 2u);
  Bytes v2 = *ring->seal("vault", {}, as_bytes("new"));
  EXPECT_NE(Bytes(v1.begin() + 1, v1.begin() + 5),
            Bytes(v2.begin() + 1, v2.begin() + 5));  // other key id
  EXPECT_EQ(to_string(*ring->open("vault", {}, v1)), "old");
  EXPECT_EQ(to_string(*ring->open("vault", {}, v2)), "new");
}

TEST_F(KeyRingTest, BlindIndexIsKeyedStableAcrossRotationAndPerPurpose) {
  auto ring = KeyRing::create(storage, pass("p"), clock, random);
  ASSERT_TRUE(ring.has_value());
  auto a = *ring->blind_index("linkage", as_bytes("ヤマダ タロウ|1970-01-01"));
  ASSERT_TRUE(ring->rotate_data_key("linkage").has_value());
  EXPECT_EQ(*ring->blind_index("linkage", as_bytes("ヤマダ タロウ|1970-01-01")), a);
  EXPECT_NE(*ring->blind_index("other", as_bytes("ヤマダ タロウ|1970-01-01")), a);
  EXPECT_NE(sha256(as_bytes("ヤマダ タロウ|1970-01-01")), a);  // not a plain hash
}

TEST_F(KeyRingTest, SigningKeyComesFromTheRingAndSurvivesReopen) {
  Bytes public_key;
  Bytes signature;
  {
    auto ring = KeyRing::create(storage, pass("p"), clock, random);
    auto key = ring->signing_key("audit-signing");
    ASSERT_TRUE(key.has_value());
    public_key = key->public_key();
    signature = key->sign(as_bytes("checkpoint 1"));
  }
  auto ring = KeyRing::unlock(storage, pass("p"), clock, random);
  ASSERT_TRUE(ring.has_value());
  EXPECT_EQ(ring->signing_key("audit-signing")->public_key(), public_key);
  EXPECT_TRUE(ed25519_verify(public_key, as_bytes("checkpoint 1"), signature));
}

TEST_F(KeyRingTest, CreateRefusesAnExistingRingAndUnlockNeedsTheRightSourceKind) {
  ASSERT_TRUE(KeyRing::create(storage, pass("p"), clock, random).has_value());
  EXPECT_EQ(KeyRing::create(storage, pass("p"), clock, random).error().code(),
            Errc::already_exists);
  auto by_file = KeyRing::unlock(storage, KeyFileSource{"/nonexistent"}, clock, random);
  ASSERT_FALSE(by_file.has_value());
  EXPECT_EQ(by_file.error().code(), Errc::invalid_argument);
  MemoryKeyRingStorage empty;
  EXPECT_EQ(KeyRing::unlock(empty, pass("p"), clock, random).error().code(), Errc::not_found);
}

TEST_F(KeyRingTest, KeyFileIsCreated0600AndRefusedWhenOthersCanRead) {
  testing::TempDir dir;
  auto path = dir / "master.key";
  ASSERT_TRUE(create_master_key_file(path, random).has_value());
  EXPECT_EQ(file_status(path)->mode, 0600u);
  EXPECT_EQ(create_master_key_file(path, random).error().code(), Errc::already_exists);

  auto ring = KeyRing::create(storage, KeyFileSource{path}, clock, random);
  ASSERT_TRUE(ring.has_value()) << ring.error().describe(Lang::en);
  Bytes sealed = *ring->seal("vault", {}, as_bytes("x"));

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto refused = KeyRing::unlock(storage, KeyFileSource{path}, clock, random);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Errc::permission_denied);
  EXPECT_THAT(refused.error().message(Lang::en), HasSubstr("0644"));
  EXPECT_EQ(refused.error().where().file, path.string());

  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto reopened = KeyRing::unlock(storage, KeyFileSource{path}, clock, random);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(to_string(*reopened->open("vault", {}, sealed)), "x");

  // Another key file of the right form opens nothing.
  auto other = dir / "other.key";
  ASSERT_TRUE(create_master_key_file(other, random).has_value());
  EXPECT_EQ(KeyRing::unlock(storage, KeyFileSource{other}, clock, random).error().code(),
            Errc::authentication_failed);
}

TEST_F(KeyRingTest, DamagedKeyFileIsNamedAsSuch) {
  testing::TempDir dir;
  auto path = dir / "master.key";
  ASSERT_TRUE(
      create_file_exclusive(path, as_bytes("tokumei-master-key-v1 c2hvcnQ=\n"), 0600).has_value());
  auto key = read_master_key_file(path);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code(), Errc::invalid_input);
  EXPECT_THAT(key.error().message(Lang::en), HasSubstr("damaged"));

  auto other = dir / "not-a-key";
  ASSERT_TRUE(create_file_exclusive(other, as_bytes("hello\n"), 0600).has_value());
  EXPECT_THAT(read_master_key_file(other).error().message(Lang::en), HasSubstr("header"));
}

// Review finding: one data key served as AES key, HMAC key and Ed25519 seed alike. Each use now
// gets its own subkey, so no two algorithms ever share key material.
TEST_F(KeyRingTest, EachAlgorithmUsesItsOwnSubkey) {
  auto ring = KeyRing::create(storage, pass("p"), clock, random);
  ASSERT_TRUE(ring.has_value());
  auto seed = ring->signing_key("shared")->seed().clone();
  auto index = *ring->blind_index("shared", as_bytes("x"));
  EXPECT_NE(hmac_sha256(seed.view(), as_bytes("x")), index);
}

// The blind index must use the HMAC subkey, not the data key itself: unwrap the stored key with
// the known master key and compare against both.
TEST_F(KeyRingTest, BlindIndexUsesTheDerivedHmacSubkey) {
  testing::TempDir dir;
  auto path = dir / "master.key";
  ASSERT_TRUE(create_master_key_file(path, random).has_value());
  auto master = read_master_key_file(path);
  ASSERT_TRUE(master.has_value());
  auto ring = KeyRing::create(storage, KeyFileSource{path}, clock, random);
  ASSERT_TRUE(ring.has_value());
  auto index = ring->blind_index("linkage", as_bytes("x"));
  ASSERT_TRUE(index.has_value());

  auto stored = storage.load_keys();
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->size(), 1u);
  const WrappedKey& k = stored->front();
  std::string aad =
      "tokumei-wrap-v1|" + std::to_string(k.id) + "|" + k.purpose + "|" + std::to_string(k.version);
  auto raw = aes256gcm_open(master->view(), ByteView(k.wrapped).first(12), as_bytes(aad),
                            ByteView(k.wrapped).subspan(12));
  ASSERT_TRUE(raw.has_value());
  EXPECT_NE(hmac_sha256(*raw, as_bytes("x")), *index);
  auto mac_key = hkdf_sha256(*raw, {}, as_bytes("tokumei-subkey-v1|hmac-sha-256"), 32);
  EXPECT_EQ(hmac_sha256(mac_key.view(), as_bytes("x")), *index);
}

}  // namespace
}  // namespace tokumei::crypto
