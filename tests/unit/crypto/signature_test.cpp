#include "tokumei/crypto/signature.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"

namespace tokumei::crypto {
namespace {

using tokumei::testing::unhex;

struct Ed25519Vector {
  const char* name;
  const char* seed;  // RFC 8032 "SECRET KEY"
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, TEST 1-3.
const Ed25519Vector kVectors[] = {
    {"Test1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"Test2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"Test3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

class Ed25519Rfc8032 : public ::testing::TestWithParam<Ed25519Vector> {
 protected:
  Ed25519PrivateKey key() const {
    auto k = Ed25519PrivateKey::from_seed(unhex(GetParam().seed));
    EXPECT_TRUE(k.has_value());
    return std::move(*k);
  }
  Bytes public_key() const { return unhex(GetParam().public_key); }
  Bytes message() const { return unhex(GetParam().message); }
  Bytes signature() const { return unhex(GetParam().signature); }
};

TEST_P(Ed25519Rfc8032, SeedGivesPublishedPublicKey) {
  EXPECT_EQ(hex_encode(key().public_key()), GetParam().public_key);
}

TEST_P(Ed25519Rfc8032, SignGivesPublishedSignature) {
  EXPECT_EQ(hex_encode(key().sign(message())), GetParam().signature);
}

TEST_P(Ed25519Rfc8032, PublishedSignatureVerifies) {
  EXPECT_TRUE(ed25519_verify(public_key(), message(), signature()));
}

TEST_P(Ed25519Rfc8032, SeedIsKeptAsGiven) {
  EXPECT_EQ(hex_encode(key().seed().view()), GetParam().seed);
}

TEST_P(Ed25519Rfc8032, ModifiedMessageFails) {
  const Bytes msg = message();
  Bytes longer = msg;
  longer.push_back(0x00);
  EXPECT_FALSE(ed25519_verify(public_key(), longer, signature()));
  if (!msg.empty()) {
    Bytes flipped = msg;
    flipped[0] ^= 0x01;
    EXPECT_FALSE(ed25519_verify(public_key(), flipped, signature()));
    EXPECT_FALSE(ed25519_verify(public_key(), ByteView(msg).first(msg.size() - 1), signature()));
  }
}

TEST_P(Ed25519Rfc8032, EveryFlippedSignatureByteFails) {
  for (std::size_t i = 0; i < kEd25519SignatureSize; ++i) {
    Bytes bad = signature();
    bad[i] ^= 0x01;
    EXPECT_FALSE(ed25519_verify(public_key(), message(), bad)) << "byte " << i;
  }
}

TEST_P(Ed25519Rfc8032, OtherPublicKeyFails) {
  for (const auto& other : kVectors) {
    if (std::string(other.name) == GetParam().name) continue;
    EXPECT_FALSE(ed25519_verify(unhex(other.public_key), message(), signature())) << other.name;
  }
}

TEST_P(Ed25519Rfc8032, WrongLengthKeyOrSignatureFails) {
  Bytes pk = public_key();
  Bytes sig = signature();
  EXPECT_FALSE(ed25519_verify(ByteView(pk).first(31), message(), sig));
  Bytes pk33 = pk;
  pk33.push_back(0);
  EXPECT_FALSE(ed25519_verify(pk33, message(), sig));
  EXPECT_FALSE(ed25519_verify({}, message(), sig));
  EXPECT_FALSE(ed25519_verify(pk, message(), ByteView(sig).first(63)));
  Bytes sig65 = sig;
  sig65.push_back(0);
  EXPECT_FALSE(ed25519_verify(pk, message(), sig65));
  EXPECT_FALSE(ed25519_verify(pk, message(), {}));
}

// Signature malleability: S + L (L the group order) is the same scalar mod L, so a verifier that
// does not insist on S < L (RFC 8032 §5.1.7) would accept a second signature for the message.
TEST_P(Ed25519Rfc8032, NonCanonicalSIsRejected) {
  static constexpr std::uint8_t kOrderLittleEndian[32] = {
      0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
      0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
  Bytes sig = signature();
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    unsigned sum = sig[32 + i] + kOrderLittleEndian[i] + carry;
    sig[32 + i] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
  }
  ASSERT_EQ(carry, 0u);
  EXPECT_FALSE(ed25519_verify(public_key(), message(), sig));
}

INSTANTIATE_TEST_SUITE_P(Rfc8032, Ed25519Rfc8032, ::testing::ValuesIn(kVectors),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Ed25519, FromSeedRefusesWrongLength) {
  for (std::size_t size : {0, 16, 31, 33, 64}) {
    Bytes seed(size, 0x42);
    auto key = Ed25519PrivateKey::from_seed(seed);
    ASSERT_FALSE(key.has_value()) << size;
    EXPECT_EQ(key.error().code(), Errc::invalid_argument);
  }
}

TEST(Ed25519, GeneratedKeySignsAndVerifies) {
  SeededRandom random(20260401);
  Ed25519PrivateKey key = Ed25519PrivateKey::generate(random);
  EXPECT_EQ(key.seed().size(), kEd25519SeedSize);
  Bytes pk = key.public_key();
  ASSERT_EQ(pk.size(), kEd25519PublicKeySize);
  Bytes sig = key.sign(as_bytes("監査チェックポイント #7"));
  ASSERT_EQ(sig.size(), kEd25519SignatureSize);
  EXPECT_TRUE(ed25519_verify(pk, as_bytes("監査チェックポイント #7"), sig));
  EXPECT_FALSE(ed25519_verify(pk, as_bytes("監査チェックポイント #8"), sig));
}

TEST(Ed25519, GenerationFollowsTheRandomSource) {
  SeededRandom a(1), b(1), c(2);
  Bytes pa = Ed25519PrivateKey::generate(a).public_key();
  EXPECT_EQ(pa, Ed25519PrivateKey::generate(b).public_key());
  EXPECT_NE(pa, Ed25519PrivateKey::generate(c).public_key());
}

TEST(Ed25519, SigningIsDeterministic) {
  auto key = Ed25519PrivateKey::from_seed(Bytes(kEd25519SeedSize, 0x07));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->sign(as_bytes("same")), key->sign(as_bytes("same")));
  EXPECT_NE(key->sign(as_bytes("same")), key->sign(as_bytes("other")));
}

TEST(Ed25519, GarbagePublicKeyIsInvalidNotAnError) {
  // Not a point on the curve: OpenSSL refuses it, and verify must simply say false.
  Bytes pk(kEd25519PublicKeySize, 0xff);
  Bytes sig(kEd25519SignatureSize, 0x00);
  EXPECT_FALSE(ed25519_verify(pk, as_bytes("x"), sig));
}

}  // namespace
}  // namespace tokumei::crypto
