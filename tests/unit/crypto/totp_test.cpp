#include "tokumei/crypto/totp.h"

#include <gtest/gtest.h>

#include <string>

namespace tokumei::crypto {
namespace {

// RFC 6238 Appendix B: the seed's length follows the hash (Appendix A's reference code).
const std::string kSeedSha1 = "12345678901234567890";
const std::string kSeedSha256 = "12345678901234567890123456789012";
const std::string kSeedSha512 = "1234567890123456789012345678901234567890123456789012345678901234";

struct TotpRow {
  std::int64_t time;
  TotpHash hash;
  const char* totp;
};

const char* hash_name(TotpHash h) {
  switch (h) {
    case TotpHash::sha1:
      return "Sha1";
    case TotpHash::sha256:
      return "Sha256";
    case TotpHash::sha512:
      return "Sha512";
  }
  return "?";
}

const std::string& seed_for(TotpHash h) {
  switch (h) {
    case TotpHash::sha1:
      return kSeedSha1;
    case TotpHash::sha256:
      return kSeedSha256;
    case TotpHash::sha512:
      return kSeedSha512;
  }
  return kSeedSha1;
}

// RFC 6238 Appendix B, all 18 rows (8 digits, X = 30, T0 = 0).
const TotpRow kRows[] = {
    {59, TotpHash::sha1, "94287082"},
    {59, TotpHash::sha256, "46119246"},
    {59, TotpHash::sha512, "90693936"},
    {1111111109, TotpHash::sha1, "07081804"},
    {1111111109, TotpHash::sha256, "68084774"},
    {1111111109, TotpHash::sha512, "25091201"},
    {1111111111, TotpHash::sha1, "14050471"},
    {1111111111, TotpHash::sha256, "67062674"},
    {1111111111, TotpHash::sha512, "99943326"},
    {1234567890, TotpHash::sha1, "89005924"},
    {1234567890, TotpHash::sha256, "91819424"},
    {1234567890, TotpHash::sha512, "93441116"},
    {2000000000, TotpHash::sha1, "69279037"},
    {2000000000, TotpHash::sha256, "90698825"},
    {2000000000, TotpHash::sha512, "38618901"},
    {20000000000, TotpHash::sha1, "65353130"},
    {20000000000, TotpHash::sha256, "77737706"},
    {20000000000, TotpHash::sha512, "47863826"},
};

class TotpRfc6238 : public ::testing::TestWithParam<TotpRow> {};

TEST_P(TotpRfc6238, MatchesAppendixB) {
  const TotpRow& row = GetParam();
  TotpParams params{row.hash, 8, 30};
  auto code = totp_code(as_bytes(seed_for(row.hash)), row.time, params);
  ASSERT_TRUE(code.has_value()) << code.error().message(Lang::en);
  EXPECT_EQ(*code, row.totp);
}

TEST_P(TotpRfc6238, MatchFindsTheRowsStep) {
  const TotpRow& row = GetParam();
  TotpParams params{row.hash, 8, 30};
  auto step = totp_match(as_bytes(seed_for(row.hash)), row.totp, row.time, params, 0);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(*step, row.time / 30);
}

INSTANTIATE_TEST_SUITE_P(AppendixB, TotpRfc6238, ::testing::ValuesIn(kRows), [](const auto& info) {
  return std::string(hash_name(info.param.hash)) + "At" + std::to_string(info.param.time);
});

TEST(TotpCode, SixDigitsAreTheLastSixOfTheRfcCode) {
  TotpParams params;  // SHA1, 6 digits, 30 s
  EXPECT_EQ(totp_code(as_bytes(kSeedSha1), 59, params).value(), "287082");
  // Leading zero kept: the 8-digit code is 07081804.
  EXPECT_EQ(totp_code(as_bytes(kSeedSha1), 1111111109, params).value(), "081804");
  EXPECT_EQ(totp_code(as_bytes(kSeedSha1), 1234567890, params).value(), "005924");
}

TEST(TotpCode, SameStepSameCode) {
  TotpParams params;
  // 1111111109 and 1111111111 straddle a step boundary (1111111110 = 37037037 * 30).
  EXPECT_EQ(totp_code(as_bytes(kSeedSha1), 1111111110, params).value(),
            totp_code(as_bytes(kSeedSha1), 1111111139, params).value());
  EXPECT_NE(totp_code(as_bytes(kSeedSha1), 1111111109, params).value(),
            totp_code(as_bytes(kSeedSha1), 1111111110, params).value());
}

TEST(TotpCode, RefusesBadParameters) {
  for (unsigned digits : {0u, 5u, 9u, 10u}) {
    auto code = totp_code(as_bytes(kSeedSha1), 59, TotpParams{TotpHash::sha1, digits, 30});
    ASSERT_FALSE(code.has_value()) << digits;
    EXPECT_EQ(code.error().code(), Errc::invalid_argument);
  }
  auto zero_period = totp_code(as_bytes(kSeedSha1), 59, TotpParams{TotpHash::sha1, 6, 0});
  ASSERT_FALSE(zero_period.has_value());
  EXPECT_EQ(zero_period.error().code(), Errc::invalid_argument);
  auto before_1970 = totp_code(as_bytes(kSeedSha1), -1, TotpParams{});
  ASSERT_FALSE(before_1970.has_value());
  EXPECT_EQ(before_1970.error().code(), Errc::invalid_argument);
  auto no_secret = totp_code({}, 59, TotpParams{});
  ASSERT_FALSE(no_secret.has_value());
  EXPECT_EQ(no_secret.error().code(), Errc::invalid_argument);
}

// --- totp_match windows ---------------------------------------------------------------------

class TotpWindow : public ::testing::Test {
 protected:
  static constexpr std::int64_t kNow = 1111111111;  // in step 37037037
  static constexpr std::int64_t kStep = kNow / 30;
  TotpParams params;  // SHA1, 6 digits, 30 s
  ByteView secret = as_bytes(kSeedSha1);

  std::string code_at_step(std::int64_t step) {
    return totp_code(secret, step * 30, params).value();
  }
};

TEST_F(TotpWindow, CurrentStepAccepted) {
  EXPECT_EQ(totp_match(secret, code_at_step(kStep), kNow, params), kStep);
  EXPECT_EQ(totp_match(secret, code_at_step(kStep), kNow, params, 0), kStep);
}

TEST_F(TotpWindow, PreviousAndNextStepAcceptedWithWindowOne) {
  EXPECT_EQ(totp_match(secret, code_at_step(kStep - 1), kNow, params, 1), kStep - 1);
  EXPECT_EQ(totp_match(secret, code_at_step(kStep + 1), kNow, params, 1), kStep + 1);
}

TEST_F(TotpWindow, TwoStepsAwayRefusedWithWindowOne) {
  EXPECT_EQ(totp_match(secret, code_at_step(kStep - 2), kNow, params, 1), std::nullopt);
  EXPECT_EQ(totp_match(secret, code_at_step(kStep + 2), kNow, params, 1), std::nullopt);
}

TEST_F(TotpWindow, WindowZeroOnlyCurrent) {
  EXPECT_EQ(totp_match(secret, code_at_step(kStep - 1), kNow, params, 0), std::nullopt);
  EXPECT_EQ(totp_match(secret, code_at_step(kStep + 1), kNow, params, 0), std::nullopt);
}

TEST_F(TotpWindow, WindowTwoReachesTwoSteps) {
  EXPECT_EQ(totp_match(secret, code_at_step(kStep - 2), kNow, params, 2), kStep - 2);
  EXPECT_EQ(totp_match(secret, code_at_step(kStep + 2), kNow, params, 2), kStep + 2);
}

TEST_F(TotpWindow, RfcNeighbourRowIsThePreviousStep) {
  // RFC rows 1111111109 (T = 0x23523EC) and 1111111111 (T = 0x23523ED) are adjacent steps.
  TotpParams eight{TotpHash::sha1, 8, 30};
  EXPECT_EQ(totp_match(secret, "07081804", kNow, eight, 1), 0x23523EC);
  EXPECT_EQ(totp_match(secret, "07081804", kNow, eight, 0), std::nullopt);
}

TEST_F(TotpWindow, MalformedCodesRefused) {
  std::string good = code_at_step(kStep);
  EXPECT_EQ(totp_match(secret, "", kNow, params), std::nullopt);
  EXPECT_EQ(totp_match(secret, good.substr(0, 5), kNow, params), std::nullopt);
  EXPECT_EQ(totp_match(secret, good + "0", kNow, params), std::nullopt);
  EXPECT_EQ(totp_match(secret, " " + good.substr(1), kNow, params), std::nullopt);
  std::string off_by_one = good;
  off_by_one[5] = off_by_one[5] == '9' ? '0' : static_cast<char>(off_by_one[5] + 1);
  EXPECT_EQ(totp_match(secret, off_by_one, kNow, params), std::nullopt);
}

TEST_F(TotpWindow, WrongSecretRefused) {
  std::string other = kSeedSha1;
  other[0] = '0';
  EXPECT_EQ(totp_match(as_bytes(other), code_at_step(kStep), kNow, params), std::nullopt);
}

TEST_F(TotpWindow, WindowDoesNotReachBefore1970) {
  auto code = totp_code(secret, 0, params).value();
  EXPECT_EQ(totp_match(secret, code, 10, params, 3), 0);
}

TEST_F(TotpWindow, BadParametersNeverMatch) {
  EXPECT_EQ(totp_match(secret, code_at_step(kStep), kNow, TotpParams{TotpHash::sha1, 6, 0}),
            std::nullopt);
  EXPECT_EQ(totp_match({}, code_at_step(kStep), kNow, params), std::nullopt);
  EXPECT_EQ(totp_match(secret, code_at_step(kStep), -1, params), std::nullopt);
}

// --- otpauth:// URIs ------------------------------------------------------------------------

TEST(OtpauthUri, SimpleCase) {
  EXPECT_EQ(otpauth_uri("Tokumei", "alice", as_bytes(kSeedSha1), TotpParams{}),
            "otpauth://totp/Tokumei:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Tokumei&algorithm=SHA1&digits=6&period=30");
}

TEST(OtpauthUri, ParametersAndAlgorithmNames) {
  EXPECT_EQ(otpauth_uri("Tokumei", "bob", as_bytes("abcde"), TotpParams{TotpHash::sha256, 8, 60}),
            "otpauth://totp/Tokumei:bob?secret=MFRGGZDF&issuer=Tokumei&algorithm=SHA256"
            "&digits=8&period=60");
  EXPECT_EQ(otpauth_uri("T", "b", as_bytes("abcde"), TotpParams{TotpHash::sha512, 7, 30}),
            "otpauth://totp/T:b?secret=MFRGGZDF&issuer=T&algorithm=SHA512&digits=7&period=30");
}

TEST(OtpauthUri, PercentEncodesSpaceColonAndJapanese) {
  EXPECT_EQ(otpauth_uri("ACME Co", "田中:太郎", as_bytes("abcde"), TotpParams{}),
            "otpauth://totp/ACME%20Co:%E7%94%B0%E4%B8%AD%3A%E5%A4%AA%E9%83%8E?secret=MFRGGZDF"
            "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(otpauth_uri("A&B", "a+b@example.jp", as_bytes("abcde"), TotpParams{}),
            "otpauth://totp/A%26B:a%2Bb%40example.jp?secret=MFRGGZDF"
            "&issuer=A%26B&algorithm=SHA1&digits=6&period=30");
}

TEST(OtpauthUri, NoIssuerLeavesItOut) {
  EXPECT_EQ(otpauth_uri("", "alice", as_bytes("abcde"), TotpParams{}),
            "otpauth://totp/alice?secret=MFRGGZDF&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace tokumei::crypto
