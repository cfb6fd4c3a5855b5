#include "tokumei/base/bytes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokumei/base/random.h"

namespace tokumei {
namespace {

using ::testing::HasSubstr;

Bytes bytes_of(std::string_view s) {
  auto v = as_bytes(s);
  return {v.begin(), v.end()};
}

Bytes all_byte_values() {
  Bytes b;
  for (int i = 0; i < 256; ++i) b.push_back(static_cast<std::uint8_t>(i));
  return b;
}

// ---- hex -------------------------------------------------------------------------------------

TEST(Hex, EncodesLowercase) {
  EXPECT_EQ(hex_encode(Bytes{0x00, 0xff, 0x10, 0xab}), "00ff10ab");
  EXPECT_EQ(hex_encode(Bytes{}), "");
}

TEST(Hex, DecodesEitherCase) {
  auto b = hex_decode("00FF10aB");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, (Bytes{0x00, 0xff, 0x10, 0xab}));
}

TEST(Hex, RoundTripsEveryByteValue) {
  Bytes all = all_byte_values();
  auto back = hex_decode(hex_encode(all));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
}

TEST(Hex, OddLengthIsInvalidInput) {
  auto b = hex_decode("abc");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), Errc::invalid_input);
}

TEST(Hex, BadCharacterGivesItsOffset) {
  auto b = hex_decode("00a0g1");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), Errc::invalid_input);
  EXPECT_THAT(b.error().message(Lang::en), HasSubstr("offset 4"));
  EXPECT_THAT(b.error().message(Lang::ja), HasSubstr("4"));

  auto low = hex_decode("0z");
  ASSERT_FALSE(low.has_value());
  EXPECT_THAT(low.error().message(Lang::en), HasSubstr("offset 1"));
}

// ---- base64 (RFC 4648 section 10) ------------------------------------------------------------

struct Vector {
  const char* plain;
  const char* encoded;
};

constexpr Vector kBase64Vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, Rfc4648TestVectors) {
  for (const auto& v : kBase64Vectors) {
    SCOPED_TRACE(v.plain);
    EXPECT_EQ(base64_encode(as_bytes(v.plain)), v.encoded);
    auto back = base64_decode(v.encoded);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, bytes_of(v.plain));
  }
}

TEST(Base64, RoundTripsEveryLength) {
  SeededRandom random(7);
  for (std::size_t n = 0; n < 64; ++n) {
    Bytes data = random.bytes(n);
    auto back = base64_decode(base64_encode(data));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, data) << n;
  }
  auto back = base64_decode(base64_encode(all_byte_values()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all_byte_values());
}

TEST(Base64, BadCharacterGivesItsOffset) {
  auto b = base64_decode("Zm9v!A==");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), Errc::invalid_input);
  EXPECT_THAT(b.error().message(Lang::en), HasSubstr("offset 4"));
}

TEST(Base64, DataAfterPaddingIsRejected) {
  auto b = base64_decode("Zg==Zg==");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), Errc::invalid_input);
  EXPECT_THAT(b.error().message(Lang::en), HasSubstr("offset 4"));
}

TEST(Base64, BadPaddingIsRejected) {
  for (const char* text : {"Zg=", "Zm9vY===", "Z==="}) {
    SCOPED_TRACE(text);
    auto b = base64_decode(text);
    ASSERT_FALSE(b.has_value());
    EXPECT_EQ(b.error().code(), Errc::invalid_input);
  }
}

// ---- base32 (RFC 4648 section 10, without padding) -------------------------------------------

constexpr Vector kBase32Vectors[] = {
    {
        "",
        "",
    },
    {"f", "MY======"},
    {"fo", "MZXQ===="},
    {"foo", "MZXW6==="},
    {"foob", "MZXW6YQ="},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI======"},
};

std::string without_padding(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

TEST(Base32, Rfc4648TestVectorsWithoutPadding) {
  for (const auto& v : kBase32Vectors) {
    SCOPED_TRACE(v.plain);
    const std::string unpadded = without_padding(v.encoded);
    EXPECT_EQ(base32_encode(as_bytes(v.plain)), unpadded);
    auto back = base32_decode(unpadded);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, bytes_of(v.plain));
  }
}

TEST(Base32, DecodeAcceptsPaddingAndLowercase) {
  for (const auto& v : kBase32Vectors) {
    SCOPED_TRACE(v.encoded);
    auto padded = base32_decode(v.encoded);
    ASSERT_TRUE(padded.has_value());
    EXPECT_EQ(*padded, bytes_of(v.plain));
  }
  auto lower = base32_decode("mzxw6ytboi");
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(*lower, bytes_of("foobar"));
}

TEST(Base32, RoundTripsEveryLength) {
  SeededRandom random(11);
  for (std::size_t n = 0; n < 64; ++n) {
    Bytes data = random.bytes(n);
    const std::string text = base32_encode(data);
    EXPECT_EQ(text.find('='), std::string::npos);
    auto back = base32_decode(text);
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, data) << n;
  }
}

TEST(Base32, BadCharacterGivesItsOffset) {
  // '1', '0', '8' and '9' are not in the RFC 4648 alphabet.
  auto b = base32_decode("MZX1W6");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), Errc::invalid_input);
  EXPECT_THAT(b.error().message(Lang::en), HasSubstr("offset 3"));
  EXPECT_THAT(b.error().message(Lang::ja), HasSubstr("3"));
}

// ---- comparison and secrets ------------------------------------------------------------------

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  Bytes a{1, 2, 3, 4};
  EXPECT_TRUE(constant_time_equal(a, Bytes{1, 2, 3, 4}));
  EXPECT_FALSE(constant_time_equal(a, Bytes{1, 2, 3, 5}));
  EXPECT_FALSE(constant_time_equal(a, Bytes{0, 2, 3, 4}));
  EXPECT_FALSE(constant_time_equal(a, Bytes{1, 2, 3}));
  EXPECT_FALSE(constant_time_equal(a, Bytes{1, 2, 3, 4, 0}));
  EXPECT_TRUE(constant_time_equal(Bytes{}, Bytes{}));
}

TEST(SecretBytes, HoldsAndMovesItsBytes) {
  SecretBytes s(as_bytes("key"));
  EXPECT_EQ(to_string(s.view()), "key");
  SecretBytes copy = s.clone();
  SecretBytes moved = std::move(s);
  EXPECT_EQ(to_string(moved.view()), "key");
  EXPECT_EQ(to_string(copy.view()), "key");
  secure_wipe(copy.data(), copy.size());
  EXPECT_TRUE(constant_time_equal(copy.view(), Bytes{0, 0, 0}));
}

}  // namespace
}  // namespace tokumei

// Regression: truncated or trailing-garbage input used to decode silently.
TEST(BytesStrictDecoding, Base32RejectsGarbageAfterPaddingAndImpossibleLengths) {
  EXPECT_FALSE(tokumei::base32_decode("MY=!").has_value());
  EXPECT_FALSE(tokumei::base32_decode("MY======ZZ").has_value());
  EXPECT_FALSE(tokumei::base32_decode("M").has_value());
  EXPECT_TRUE(tokumei::base32_decode("MZXW6").has_value());  // 5 characters = 3 bytes: valid
  EXPECT_EQ(tokumei::to_string(*tokumei::base32_decode("MY======")), "f");
}

TEST(BytesStrictDecoding, Base64RejectsLeftoverCharacterAndNonCanonicalBits) {
  EXPECT_FALSE(tokumei::base64_decode("Zm9vZ").has_value());
  EXPECT_FALSE(tokumei::base64_decode("Z").has_value());
  EXPECT_FALSE(tokumei::base64_decode("Zh==").has_value());
  EXPECT_EQ(tokumei::to_string(*tokumei::base64_decode("Zg==")), "f");
}
