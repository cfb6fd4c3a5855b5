#include "tokumei/crypto/password_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace tokumei::crypto {
namespace {

// RFC 9106 §5.3: Argon2id, version 0x13, m = 32 KiB, t = 3, p = 4, password 32 x 0x01,
// salt 16 x 0x02, secret 8 x 0x03, associated data 12 x 0x04, tag length 32.
TEST(Argon2idRaw, Rfc9106Section5_3) {
  Argon2Params params{32, 3, 4};
  auto tag =
      argon2id_raw(Bytes(32, 0x01), Bytes(16, 0x02), Bytes(8, 0x03), Bytes(12, 0x04), params, 32);
  ASSERT_TRUE(tag.has_value()) << tag.error().message(Lang::en);
  EXPECT_EQ(hex_encode(*tag), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

TEST(Argon2idRaw, SecretAndAssociatedDataChangeTheTag) {
  Argon2Params params{32, 3, 4};
  auto full =
      argon2id_raw(Bytes(32, 0x01), Bytes(16, 0x02), Bytes(8, 0x03), Bytes(12, 0x04), params, 32);
  auto no_secret = argon2id_raw(Bytes(32, 0x01), Bytes(16, 0x02), {}, Bytes(12, 0x04), params, 32);
  auto no_ad = argon2id_raw(Bytes(32, 0x01), Bytes(16, 0x02), Bytes(8, 0x03), {}, params, 32);
  ASSERT_TRUE(full && no_secret && no_ad);
  EXPECT_NE(*full, *no_secret);
  EXPECT_NE(*full, *no_ad);
}

TEST(Argon2idRaw, RefusesOutOfRangeParameters) {
  Bytes pwd(8, 0x01), salt(16, 0x02);
  auto too_little_memory = argon2id_raw(pwd, salt, {}, {}, Argon2Params{4, 1, 1}, 32);
  ASSERT_FALSE(too_little_memory.has_value());
  EXPECT_EQ(too_little_memory.error().code(), Errc::invalid_argument);
  auto zero_passes = argon2id_raw(pwd, salt, {}, {}, Argon2Params{256, 0, 1}, 32);
  ASSERT_FALSE(zero_passes.has_value());
  EXPECT_EQ(zero_passes.error().code(), Errc::invalid_argument);
  auto zero_lanes = argon2id_raw(pwd, salt, {}, {}, Argon2Params{256, 1, 0}, 32);
  ASSERT_FALSE(zero_lanes.has_value());
  EXPECT_EQ(zero_lanes.error().code(), Errc::invalid_argument);
  auto short_tag = argon2id_raw(pwd, salt, {}, {}, Argon2Params::for_tests(), 3);
  ASSERT_FALSE(short_tag.has_value());
  EXPECT_EQ(short_tag.error().code(), Errc::invalid_argument);
}

class Argon2idPassword : public ::testing::Test {
 protected:
  SeededRandom random{9106};
  Argon2Params params = Argon2Params::for_tests();
};

TEST_F(Argon2idPassword, HashHasPhcFormWithItsParameters) {
  auto encoded = argon2id_hash_password("correct horse", params, random);
  ASSERT_TRUE(encoded.has_value()) << encoded.error().message(Lang::en);
  EXPECT_TRUE(encoded->starts_with("$argon2id$v=19$m=256,t=1,p=1$")) << *encoded;
  // "$argon2id$v=19$m=256,t=1,p=1$" + 22 base64 chars of salt + "$" + 43 of a 32-byte tag.
  EXPECT_EQ(encoded->size(), std::string("$argon2id$v=19$m=256,t=1,p=1$").size() + 22 + 1 + 43);
  EXPECT_EQ(encoded->find('\0'), std::string::npos);
}

TEST_F(Argon2idPassword, RoundTrip) {
  auto encoded = argon2id_hash_password("correct horse", params, random);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_TRUE(argon2id_verify_password("correct horse", *encoded));
}

TEST_F(Argon2idPassword, JapanesePasswordRoundTrip) {
  auto encoded = argon2id_hash_password("とくめい・パスワード１２３", params, random);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_TRUE(argon2id_verify_password("とくめい・パスワード１２３", *encoded));
  EXPECT_FALSE(argon2id_verify_password("とくめい・パスワード123", *encoded));
}

TEST_F(Argon2idPassword, WrongPasswordIsFalse) {
  auto encoded = argon2id_hash_password("correct horse", params, random);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_FALSE(argon2id_verify_password("correct horsf", *encoded));
  EXPECT_FALSE(argon2id_verify_password("correct hors", *encoded));
  EXPECT_FALSE(argon2id_verify_password("", *encoded));
  EXPECT_FALSE(argon2id_verify_password(std::string("correct horse\0", 14), *encoded));
}

TEST_F(Argon2idPassword, SamePasswordGetsFreshSalt) {
  auto a = argon2id_hash_password("correct horse", params, random);
  auto b = argon2id_hash_password("correct horse", params, random);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(argon2id_verify_password("correct horse", *a));
  EXPECT_TRUE(argon2id_verify_password("correct horse", *b));
}

TEST_F(Argon2idPassword, EmptyPasswordCanBeHashed) {
  auto encoded = argon2id_hash_password("", params, random);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_TRUE(argon2id_verify_password("", *encoded));
  EXPECT_FALSE(argon2id_verify_password(" ", *encoded));
}

TEST_F(Argon2idPassword, MalformedEncodingIsFalse) {
  auto encoded = argon2id_hash_password("correct horse", params, random);
  ASSERT_TRUE(encoded.has_value());
  const std::string& good = *encoded;
  EXPECT_FALSE(argon2id_verify_password("correct horse", ""));
  EXPECT_FALSE(argon2id_verify_password("correct horse", "not a hash"));
  EXPECT_FALSE(argon2id_verify_password("correct horse", "$argon2id$"));
  EXPECT_FALSE(argon2id_verify_password("correct horse", good.substr(0, good.size() - 5)));
  EXPECT_FALSE(argon2id_verify_password("correct horse", good + "A"));
  // Another Argon2 variant's name on an argon2id hash.
  std::string as_argon2i = "$argon2i$" + good.substr(std::string("$argon2id$").size());
  EXPECT_FALSE(argon2id_verify_password("correct horse", as_argon2i));
  // An embedded NUL must not make libargon2 check only the part before it.
  EXPECT_FALSE(argon2id_verify_password("correct horse", good + std::string("\0junk", 5)));
}

TEST_F(Argon2idPassword, TamperedTagIsFalse) {
  auto encoded = argon2id_hash_password("correct horse", params, random);
  ASSERT_TRUE(encoded.has_value());
  std::string bad = *encoded;
  char& last = bad[bad.size() - 2];  // a full 6-bit base64 digit of the tag
  last = (last == 'A') ? 'B' : 'A';
  EXPECT_FALSE(argon2id_verify_password("correct horse", bad));
}

TEST_F(Argon2idPassword, RefusesParametersLibargon2Rejects) {
  auto encoded = argon2id_hash_password("x", Argon2Params{256, 0, 1}, random);
  ASSERT_FALSE(encoded.has_value());
  EXPECT_EQ(encoded.error().code(), Errc::invalid_argument);
}

TEST(Argon2idDeriveKey, SameSaltSameKey) {
  Bytes salt(16, 0xa5);
  auto a = argon2id_derive_key("マスターパスフレーズ", salt, Argon2Params::for_tests(), 32);
  auto b = argon2id_derive_key("マスターパスフレーズ", salt, Argon2Params::for_tests(), 32);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(hex_encode(a->view()), hex_encode(b->view()));
}

TEST(Argon2idDeriveKey, DifferentSaltOrPassphraseDifferentKey) {
  Bytes salt1(16, 0xa5), salt2(16, 0xa5);
  salt2[15] ^= 0x01;
  auto a = argon2id_derive_key("passphrase", salt1, Argon2Params::for_tests(), 32);
  auto b = argon2id_derive_key("passphrase", salt2, Argon2Params::for_tests(), 32);
  auto c = argon2id_derive_key("passphrasf", salt1, Argon2Params::for_tests(), 32);
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(hex_encode(a->view()), hex_encode(b->view()));
  EXPECT_NE(hex_encode(a->view()), hex_encode(c->view()));
}

TEST(Argon2idDeriveKey, MatchesRawWithoutSecretOrAssociatedData) {
  Bytes salt(24, 0x3c);
  auto key = argon2id_derive_key("passphrase", salt, Argon2Params::for_tests(), 48);
  auto raw = argon2id_raw(as_bytes("passphrase"), salt, {}, {}, Argon2Params::for_tests(), 48);
  ASSERT_TRUE(key && raw);
  EXPECT_EQ(hex_encode(key->view()), hex_encode(*raw));
}

TEST(Argon2idDeriveKey, RefusesSaltShorterThan16Bytes) {
  for (std::size_t size : {0, 8, 15}) {
    Bytes salt(size, 0x01);
    auto key = argon2id_derive_key("passphrase", salt, Argon2Params::for_tests(), 32);
    ASSERT_FALSE(key.has_value()) << size;
    EXPECT_EQ(key.error().code(), Errc::invalid_argument);
  }
  EXPECT_TRUE(argon2id_derive_key("passphrase", Bytes(16, 0x01), Argon2Params::for_tests(), 32));
}

// Default parameters (64 MiB, t = 3): slow under valgrind, so excluded there by name.
TEST(Argon2idDefault, DefaultParamsHashAndVerify) {
  Argon2Params defaults;
  EXPECT_EQ(defaults.memory_kib, 64u * 1024u);
  EXPECT_EQ(defaults.iterations, 3u);
  EXPECT_EQ(defaults.parallelism, 1u);
  SeededRandom random(64);
  auto encoded = argon2id_hash_password("correct horse", defaults, random);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_TRUE(encoded->starts_with("$argon2id$v=19$m=65536,t=3,p=1$")) << *encoded;
  EXPECT_TRUE(argon2id_verify_password("correct horse", *encoded));
}

}  // namespace
}  // namespace tokumei::crypto
