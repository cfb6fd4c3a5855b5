#include "tokumei/crypto/aead.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"

namespace tokumei::crypto {
namespace {

using tokumei::testing::unhex;

Bytes bytes_of(std::string_view text) {
  ByteView view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

// One known-answer case: all fields hex, as printed in the source document.
struct GcmVector {
  const char* name;
  const char* key;
  const char* nonce;
  const char* aad;
  const char* plaintext;
  const char* ciphertext;
  const char* tag;
};

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B, test cases 13-16
// (the 256-bit-key cases with 96-bit IVs), and NIST CAVP gcmEncryptExtIV256.rsp
// ([Keylen = 256] [IVlen = 96] [Taglen = 128]) first entries of three groups.
const GcmVector kVectors[] = {
    {"McGrewViega13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"McGrewViega14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"McGrewViega15", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"McGrewViega16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    // [PTlen = 0] [AADlen = 0] Count = 0
    {"CavpEmpty", "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
     "516c33929df5a3284ff463d7", "", "", "", "bdc1ac884d332457a1d2664f168c76f0"},
    // [PTlen = 128] [AADlen = 0] Count = 0
    {"CavpPlaintext128", "31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22",
     "0d18e06c7c725ac9e362e1ce", "", "2db5168e932556f8089a0622981d017d",
     "fa4362189661d163fcd6a56d8bf0405a", "d636ac1bbedd5cc3ee727dc2ab4a9489"},
    // [PTlen = 128] [AADlen = 128] Count = 0
    {"CavpPlaintext128Aad128", "92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b",
     "ac93a1a6145299bde902f21a", "1e0889016f67601c8ebea4943bc23ad6",
     "2d71bcfa914e4ac045b2aa60955fad24", "8995ae2e6df3dbf96fac7b7137bae67f",
     "eca5aa77d51d4a0a14d9c51e1da474ab"},
};

class AeadKnownAnswer : public ::testing::TestWithParam<GcmVector> {};

TEST_P(AeadKnownAnswer, SealGivesExactCiphertextAndTag) {
  const GcmVector& v = GetParam();
  auto sealed = aes256gcm_seal(unhex(v.key), unhex(v.nonce), unhex(v.aad), unhex(v.plaintext));
  ASSERT_TRUE(sealed.has_value()) << sealed.error().message(Lang::en);
  EXPECT_EQ(hex_encode(*sealed), std::string(v.ciphertext) + v.tag);
}

TEST_P(AeadKnownAnswer, OpenRecoversPlaintext) {
  const GcmVector& v = GetParam();
  Bytes sealed = unhex(std::string(v.ciphertext) + v.tag);
  auto opened = aes256gcm_open(unhex(v.key), unhex(v.nonce), unhex(v.aad), sealed);
  ASSERT_TRUE(opened.has_value()) << opened.error().message(Lang::en);
  EXPECT_EQ(hex_encode(*opened), v.plaintext);
}

// One sealer (key schedule computed once) sealing every vector's messages in turn, with its
// associated data split in two: each result is the known answer.
TEST_P(AeadKnownAnswer, OneSealerForManyMessagesGivesTheSameAnswers) {
  const GcmVector& v = GetParam();
  auto sealer = Aes256GcmSealer::create(unhex(v.key));
  ASSERT_TRUE(sealer.has_value()) << sealer.error().message(Lang::en);
  const Bytes aad = unhex(v.aad);
  const std::size_t cut = aad.size() / 3;
  for (int round = 0; round < 3; ++round) {
    Bytes out = {0xAB};  // appended to, not replaced
    ASSERT_TRUE(sealer->seal_append(unhex(v.nonce),
                                    {ByteView(aad).first(cut), ByteView(aad).subspan(cut)},
                                    unhex(v.plaintext), out));
    EXPECT_EQ(hex_encode(out), "ab" + std::string(v.ciphertext) + v.tag) << round;
    Bytes other;  // another message in between must not disturb the next
    ASSERT_TRUE(sealer->seal_append(Bytes(kAeadNonceSize, 0x01), {}, as_bytes("other"), other));
  }
}

TEST_P(AeadKnownAnswer, OpenRefusesEveryFlippedBitOfTheTag) {
  const GcmVector& v = GetParam();
  Bytes sealed = unhex(std::string(v.ciphertext) + v.tag);
  for (std::size_t bit = 0; bit < kAeadTagSize * 8; ++bit) {
    Bytes bad = sealed;
    bad[bad.size() - kAeadTagSize + bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    auto opened = aes256gcm_open(unhex(v.key), unhex(v.nonce), unhex(v.aad), bad);
    ASSERT_FALSE(opened.has_value()) << "tag bit " << bit;
    EXPECT_EQ(opened.error().code(), Errc::integrity);
  }
}

INSTANTIATE_TEST_SUITE_P(GcmSpecAndCavp, AeadKnownAnswer, ::testing::ValuesIn(kVectors),
                         [](const auto& info) { return std::string(info.param.name); });

// A fixed, arbitrary case for the tamper tests.
class AeadTamper : public ::testing::Test {
 protected:
  Bytes key = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  Bytes nonce = unhex("a0a1a2a3a4a5a6a7a8a9aaab");
  Bytes aad = bytes_of("record-id:42");
  Bytes plaintext = bytes_of("患者ID 12345: 糖尿病");
  Bytes sealed;

  void SetUp() override {
    auto s = aes256gcm_seal(key, nonce, aad, plaintext);
    ASSERT_TRUE(s.has_value());
    sealed = *s;
    ASSERT_EQ(sealed.size(), plaintext.size() + kAeadTagSize);
  }

  void expect_integrity_failure(const Result<Bytes>& r) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), Errc::integrity);
    EXPECT_EQ(r.error().message(Lang::ja), "暗号文の認証に失敗しました（改ざん、または鍵の誤り）");
    EXPECT_EQ(r.error().message(Lang::en),
              "ciphertext failed authentication (tampered, or wrong key)");
  }
};

TEST_F(AeadTamper, UntouchedRoundTrips) {
  auto opened = aes256gcm_open(key, nonce, aad, sealed);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, plaintext);
}

TEST_F(AeadTamper, CiphertextIsNotThePlaintext) {
  Bytes body(sealed.begin(), sealed.end() - kAeadTagSize);
  EXPECT_NE(body, plaintext);
}

TEST_F(AeadTamper, EveryFlippedCiphertextBitIsRefused) {
  for (std::size_t bit = 0; bit < plaintext.size() * 8; ++bit) {
    Bytes bad = sealed;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    SCOPED_TRACE("ciphertext bit " + std::to_string(bit));
    expect_integrity_failure(aes256gcm_open(key, nonce, aad, bad));
  }
}

TEST_F(AeadTamper, FlippedTagBitIsRefused) {
  Bytes bad = sealed;
  bad.back() ^= 0x80;
  expect_integrity_failure(aes256gcm_open(key, nonce, aad, bad));
}

TEST_F(AeadTamper, FlippedAadBitIsRefused) {
  Bytes bad = aad;
  bad[0] ^= 0x01;
  expect_integrity_failure(aes256gcm_open(key, nonce, bad, sealed));
}

TEST_F(AeadTamper, MissingOrExtraAadIsRefused) {
  expect_integrity_failure(aes256gcm_open(key, nonce, {}, sealed));
  Bytes longer = aad;
  longer.push_back(0);
  expect_integrity_failure(aes256gcm_open(key, nonce, longer, sealed));
}

TEST_F(AeadTamper, WrongKeyIsRefused) {
  Bytes other = key;
  other[31] ^= 0x01;
  expect_integrity_failure(aes256gcm_open(other, nonce, aad, sealed));
}

TEST_F(AeadTamper, WrongNonceIsRefused) {
  Bytes other = nonce;
  other[0] ^= 0x01;
  expect_integrity_failure(aes256gcm_open(key, other, aad, sealed));
}

TEST_F(AeadTamper, TruncatedOrExtendedIsRefused) {
  for (std::size_t keep :
       {std::size_t{0}, std::size_t{1}, kAeadTagSize - 1, kAeadTagSize, sealed.size() - 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " bytes");
    expect_integrity_failure(aes256gcm_open(key, nonce, aad, ByteView(sealed).first(keep)));
  }
  Bytes extended = sealed;
  extended.push_back(0);
  expect_integrity_failure(aes256gcm_open(key, nonce, aad, extended));
}

TEST(AeadSizes, KeyMustBe32Bytes) {
  Bytes nonce(kAeadNonceSize, 0);
  for (std::size_t size : {0, 16, 31, 33, 64}) {
    Bytes key(size, 0x11);
    auto sealer = Aes256GcmSealer::create(key);
    ASSERT_FALSE(sealer.has_value()) << size;
    EXPECT_EQ(sealer.error().code(), Errc::invalid_argument);
    auto sealed = aes256gcm_seal(key, nonce, {}, as_bytes("x"));
    ASSERT_FALSE(sealed.has_value()) << size;
    EXPECT_EQ(sealed.error().code(), Errc::invalid_argument);
    Bytes fake(kAeadTagSize + 1, 0);
    auto opened = aes256gcm_open(key, nonce, {}, fake);
    ASSERT_FALSE(opened.has_value()) << size;
    EXPECT_EQ(opened.error().code(), Errc::invalid_argument);
  }
}

TEST(AeadSizes, NonceMustBe12Bytes) {
  Bytes key(kAeadKeySize, 0x11);
  auto sealer = Aes256GcmSealer::create(key);
  ASSERT_TRUE(sealer.has_value());
  for (std::size_t size : {0, 8, 11, 13, 16}) {
    Bytes nonce(size, 0);
    Bytes out;
    auto refused = sealer->seal_append(nonce, {}, as_bytes("x"), out);
    ASSERT_FALSE(refused.has_value()) << size;
    EXPECT_EQ(refused.error().code(), Errc::invalid_argument);
    EXPECT_TRUE(out.empty());
    auto sealed = aes256gcm_seal(key, nonce, {}, as_bytes("x"));
    ASSERT_FALSE(sealed.has_value()) << size;
    EXPECT_EQ(sealed.error().code(), Errc::invalid_argument);
    Bytes fake(kAeadTagSize + 1, 0);
    auto opened = aes256gcm_open(key, nonce, {}, fake);
    ASSERT_FALSE(opened.has_value()) << size;
    EXPECT_EQ(opened.error().code(), Errc::invalid_argument);
  }
}

TEST(AeadSizes, SealedIsPlaintextPlusTag) {
  Bytes key(kAeadKeySize, 0x22);
  Bytes nonce(kAeadNonceSize, 0x33);
  for (std::size_t size : {0, 1, 15, 16, 17, 4096, 65537}) {
    Bytes plaintext(size, 0x5a);
    auto sealed = aes256gcm_seal(key, nonce, {}, plaintext);
    ASSERT_TRUE(sealed.has_value());
    EXPECT_EQ(sealed->size(), size + kAeadTagSize);
    auto opened = aes256gcm_open(key, nonce, {}, *sealed);
    ASSERT_TRUE(opened.has_value()) << size;
    EXPECT_EQ(*opened, plaintext);
  }
}

}  // namespace
}  // namespace tokumei::crypto
