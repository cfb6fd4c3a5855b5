#include "tokumei/crypto/hash.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"

namespace tokumei::crypto {
namespace {

using tokumei::testing::unhex;

std::string hex(const Digest& d) { return hex_encode(d); }

// --- SHA-256 (FIPS 180-2 Appendix B examples) -----------------------------------------------

TEST(Sha256, Abc) {
  EXPECT_EQ(hex(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Empty) {
  EXPECT_EQ(hex(sha256(ByteView{})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, TwoBlockMessage) {
  EXPECT_EQ(hex(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, PartsHashLikeTheirConcatenation) {
  EXPECT_EQ(sha256({as_bytes("ab"), as_bytes("c")}), sha256(as_bytes("abc")));
  EXPECT_EQ(sha256({as_bytes(""), as_bytes("abc"), as_bytes("")}), sha256(as_bytes("abc")));
  EXPECT_EQ(sha256(std::initializer_list<ByteView>{}), sha256(ByteView{}));
  // Splitting differently gives the same digest: sha256 of parts is not domain-separated.
  EXPECT_EQ(sha256({as_bytes("a"), as_bytes("bc")}), sha256({as_bytes("ab"), as_bytes("c")}));
}

TEST(Sha256, FedPieceByPieceLikeWhole) {
  Sha256 h;
  h.update(as_bytes("abcdbcdecdefdefgefghfghighij"));
  h.update(ByteView{});
  h.update(as_bytes("hijkijkljklmklmnlmnomnopnopq"));
  EXPECT_EQ(hex(h.finish()), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256().finish(), sha256(ByteView{}));
}

// --- HMAC-SHA-256 (RFC 4231 §4) -------------------------------------------------------------

struct HmacVector {
  const char* name;
  Bytes key;
  Bytes data;
  const char* mac;  // hex; test case 5 publishes only the first 128 bits
};

std::vector<HmacVector> rfc4231_vectors() {
  auto text = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
  Bytes key4;
  for (std::uint8_t b = 0x01; b <= 0x19; ++b) key4.push_back(b);
  return {
      {"TestCase1", Bytes(20, 0x0b), text("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"TestCase2", text("Jefe"), text("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"TestCase3", Bytes(20, 0xaa), Bytes(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"TestCase4", key4, Bytes(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"TestCase5Truncated128", Bytes(20, 0x0c), text("Test With Truncation"),
       "a3b6167473100ee06e0c796c2955552b"},
      {"TestCase6", Bytes(131, 0xaa),
       text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"TestCase7", Bytes(131, 0xaa),
       text("This is a test using a larger than block-size key and a larger than block-size data. "
            "The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

class HmacRfc4231 : public ::testing::TestWithParam<HmacVector> {};

TEST_P(HmacRfc4231, MatchesPublishedMac) {
  const HmacVector& v = GetParam();
  std::string expected = v.mac;
  std::string got = hex(hmac_sha256(v.key, v.data));
  EXPECT_EQ(got.substr(0, expected.size()), expected);
}

INSTANTIATE_TEST_SUITE_P(Rfc4231, HmacRfc4231, ::testing::ValuesIn(rfc4231_vectors()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(HmacSha256, EmptyKeyAndMessage) {
  EXPECT_EQ(hex(hmac_sha256({}, {})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256, KeyAndMessageBothMatter) {
  Digest base = hmac_sha256(as_bytes("key"), as_bytes("message"));
  EXPECT_NE(base, hmac_sha256(as_bytes("kez"), as_bytes("message")));
  EXPECT_NE(base, hmac_sha256(as_bytes("key"), as_bytes("messagf")));
  EXPECT_EQ(base, hmac_sha256(as_bytes("key"), as_bytes("message")));
}

// --- HKDF-SHA-256 (RFC 5869 Appendix A) -----------------------------------------------------

TEST(HkdfSha256, Rfc5869TestCase1) {
  SecretBytes okm = hkdf_sha256(Bytes(22, 0x0b), unhex("000102030405060708090a0b0c"),
                                unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
  EXPECT_EQ(hex_encode(okm.view()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfSha256, Rfc5869TestCase2LongInputs) {
  Bytes ikm, salt, info;
  for (int i = 0x00; i <= 0x4f; ++i) ikm.push_back(static_cast<std::uint8_t>(i));
  for (int i = 0x60; i <= 0xaf; ++i) salt.push_back(static_cast<std::uint8_t>(i));
  for (int i = 0xb0; i <= 0xff; ++i) info.push_back(static_cast<std::uint8_t>(i));
  SecretBytes okm = hkdf_sha256(ikm, salt, info, 82);
  EXPECT_EQ(hex_encode(okm.view()),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfSha256, Rfc5869TestCase3EmptySaltAndInfo) {
  SecretBytes okm = hkdf_sha256(Bytes(22, 0x0b), {}, {}, 42);
  EXPECT_EQ(hex_encode(okm.view()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256, ShorterOutputIsAPrefix) {
  SecretBytes full = hkdf_sha256(Bytes(22, 0x0b), {}, as_bytes("tokumei"), 64);
  SecretBytes part = hkdf_sha256(Bytes(22, 0x0b), {}, as_bytes("tokumei"), 20);
  EXPECT_EQ(hex_encode(part.view()), hex_encode(full.view().first(20)));
}

TEST(HkdfSha256, LengthLimits) {
  EXPECT_TRUE(hkdf_sha256(as_bytes("ikm"), {}, {}, 0).empty());
  EXPECT_EQ(hkdf_sha256(as_bytes("ikm"), {}, {}, 255 * 32).size(), 255u * 32u);
}

TEST(HkdfSha256DeathTest, LongerThanRfcLimitAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(hkdf_sha256(as_bytes("ikm"), {}, {}, 255 * 32 + 1), "RFC 5869 limit");
}

}  // namespace
}  // namespace tokumei::crypto
