#include "tokumei/security/password_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tokumei/base/random.h"

namespace tokumei::security {
namespace {

using ::testing::HasSubstr;

// A strong password that breaks no rule; each test changes one thing about it.
constexpr const char* kStrong = "Kx7#mVq2!pLr";
constexpr const char* kUser = "kimura.h";

const std::string kTooEasyJa =
    "推測されやすいパスワードです（よく使われる単語や並びに数字・記号を足しただけのもの）。"
    "別のパスワードにしてください";
const std::string kTooEasyEn =
    "password is too easy to guess (a common word or sequence with digits or symbols added); "
    "choose another";

PasswordPolicy default_policy() { return PasswordPolicy{}; }

// Expects `status` to be a policy violation on the password field with exactly these messages.
void expect_violation(const Status& status, const std::string& ja, const std::string& en) {
  ASSERT_FALSE(status.has_value()) << "expected a refusal";
  EXPECT_EQ(status.error().code(), Errc::policy_violation);
  EXPECT_EQ(status.error().where().field, "password");
  EXPECT_EQ(status.error().message(Lang::ja), ja);
  EXPECT_EQ(status.error().message(Lang::en), en);
}

void expect_accepted(std::string_view user, std::string_view password,
                     const PasswordPolicy& policy = default_policy()) {
  Status s = check_password_rules(user, password, policy);
  EXPECT_TRUE(s.has_value()) << "'" << password
                             << "' refused: " << (s ? std::string() : s.error().message(Lang::en));
}

// ---------------------------------------------------------------------------------------------
// AUTHN-03: length

TEST(PasswordRulesAuthn03, StrongPasswordIsAccepted) { expect_accepted(kUser, kStrong); }

TEST(PasswordRulesAuthn03, SevenCharactersAreRefused) {
  expect_violation(check_password_rules(kUser, "Kx7#mVq", default_policy()),
                   "パスワードは 8 文字以上にしてください（現在 7 文字）",
                   "password must be at least 8 characters (it has 7)");
}

TEST(PasswordRulesAuthn03, EightCharactersAreAccepted) { expect_accepted(kUser, "Kx7#mVq2"); }

TEST(PasswordRulesAuthn03, EmptyPasswordIsRefusedAsTooShort) {
  expect_violation(check_password_rules(kUser, "", default_policy()),
                   "パスワードは 8 文字以上にしてください（現在 0 文字）",
                   "password must be at least 8 characters (it has 0)");
}

TEST(PasswordRulesAuthn03, LengthIsCountedInCharactersNotBytes) {
  // "パスワード1!" is 7 characters but 17 bytes in UTF-8: a byte count would let it pass.
  const std::string seven = "パスワード1!";
  ASSERT_EQ(seven.size(), 17u);
  expect_violation(check_password_rules(kUser, seven, default_policy()),
                   "パスワードは 8 文字以上にしてください（現在 7 文字）",
                   "password must be at least 8 characters (it has 7)");
  // Eight characters (5 kana, 2 digits, 1 symbol) are enough.
  expect_accepted(kUser, "ひまわり畑12!");
}

TEST(PasswordRulesAuthn03, MinimumLengthBelowEightIsRaisedToEight) {
  PasswordPolicy lax;
  lax.min_length = 4;
  expect_violation(check_password_rules(kUser, "Kx7#mVq", lax),
                   "パスワードは 8 文字以上にしてください（現在 7 文字）",
                   "password must be at least 8 characters (it has 7)");
  lax.min_length = 0;
  expect_violation(check_password_rules(kUser, "Kx7#", lax),
                   "パスワードは 8 文字以上にしてください（現在 4 文字）",
                   "password must be at least 8 characters (it has 4)");
  expect_accepted(kUser, "Kx7#mVq2", lax);
}

TEST(PasswordRulesAuthn03, LongerMinimumLengthIsEnforced) {
  PasswordPolicy strict;
  strict.min_length = 12;
  expect_violation(check_password_rules(kUser, "Kx7#mVq2!pL", strict),
                   "パスワードは 12 文字以上にしてください（現在 11 文字）",
                   "password must be at least 12 characters (it has 11)");
  expect_accepted(kUser, kStrong, strict);
}

// ---------------------------------------------------------------------------------------------
// AUTHN-03: character classes; the message names what is missing.

TEST(PasswordRulesAuthn03, MissingLetterIsNamed) {
  expect_violation(check_password_rules(kUser, "7294#%1638", default_policy()),
                   "パスワードには英字・数字・記号をすべて含めてください（不足: 英字）",
                   "password must mix letters, digits and symbols (missing: a letter)");
}

TEST(PasswordRulesAuthn03, MissingDigitIsNamed) {
  expect_violation(check_password_rules(kUser, "Kxmv#qPlr!", default_policy()),
                   "パスワードには英字・数字・記号をすべて含めてください（不足: 数字）",
                   "password must mix letters, digits and symbols (missing: a digit)");
}

TEST(PasswordRulesAuthn03, MissingSymbolIsNamed) {
  expect_violation(check_password_rules(kUser, "Kx7mVq2pLr", default_policy()),
                   "パスワードには英字・数字・記号をすべて含めてください（不足: 記号）",
                   "password must mix letters, digits and symbols (missing: a symbol)");
}

TEST(PasswordRulesAuthn03, SeveralMissingClassesAreAllNamed) {
  expect_violation(check_password_rules(kUser, "KxmvqPlrTz", default_policy()),
                   "パスワードには英字・数字・記号をすべて含めてください（不足: 数字・記号）",
                   "password must mix letters, digits and symbols (missing: a digit, a symbol)");
  expect_violation(check_password_rules(kUser, "72946138", default_policy()),
                   "パスワードには英字・数字・記号をすべて含めてください（不足: 英字・記号）",
                   "password must mix letters, digits and symbols (missing: a letter, a symbol)");
}

TEST(PasswordRulesAuthn03, SpaceCountsAsSymbol) { expect_accepted(kUser, "Kx7 mVq2 pLr"); }

// ---------------------------------------------------------------------------------------------
// AUTHN-04: the user ID

const std::string kContainsIdJa = "パスワードにユーザIDを含めることはできません";
const std::string kContainsIdEn = "password must not contain the user ID";

TEST(PasswordRulesAuthn04, PasswordEqualToUserIdIsRefused) {
  // This ID happens to hold a letter, digits and symbols, so only AUTHN-04 can refuse it.
  expect_violation(check_password_rules("yamada_t-77", "yamada_t-77", default_policy()),
                   kContainsIdJa, kContainsIdEn);
}

TEST(PasswordRulesAuthn04, UserIdIsComparedCaseInsensitively) {
  expect_violation(check_password_rules("yamada_t-77", "YAMADA_T-77", default_policy()),
                   kContainsIdJa, kContainsIdEn);
  expect_violation(check_password_rules("Yamada_T-77", "yamada_t-77", default_policy()),
                   kContainsIdJa, kContainsIdEn);
}

TEST(PasswordRulesAuthn04, PasswordContainingUserIdIsRefused) {
  expect_violation(check_password_rules("yamada_t-77", "Xq#YamaDa_T-77z", default_policy()),
                   kContainsIdJa, kContainsIdEn);
  expect_violation(check_password_rules("kimura.h", "9!KIMURA.Hx", default_policy()), kContainsIdJa,
                   kContainsIdEn);
}

TEST(PasswordRulesAuthn04, PartOfTheUserIdIsAllowed) {
  // Only the whole ID is forbidden; "kimura" alone is not the ID "kimura.h".
  expect_accepted("kimura.h", "Kimura#Zq82x");
}

// ---------------------------------------------------------------------------------------------
// AUTHN-04: blocklist

TEST(PasswordRulesAuthn04, CommonPasswordsAreBlocklisted) {
  for (const char* pw :
       {"Password1!", "P@ssw0rd1!", "Qwerty123!", "12345678!", "Sakura2024!", "Admin#2025"}) {
    EXPECT_TRUE(is_common_password(pw)) << pw;
  }
}

TEST(PasswordRulesAuthn04, BlocklistedPasswordsAreRefusedWhenTheyPassOtherRules) {
  // All of these are long enough and mix the three classes: only the blocklist refuses them.
  for (const char* pw : {"Password1!", "P@ssw0rd1!", "Qwerty123!", "Sakura2024!", "Admin#2025"}) {
    SCOPED_TRACE(pw);
    expect_violation(check_password_rules(kUser, pw, default_policy()), kTooEasyJa, kTooEasyEn);
  }
}

TEST(PasswordRulesAuthn04, CountingRunIsRefused) {
  // No letter, so the class rule answers first; it is refused either way.
  Status s = check_password_rules(kUser, "12345678!", default_policy());
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), Errc::policy_violation);
  EXPECT_TRUE(is_common_password("12345678!"));
  EXPECT_TRUE(is_common_password("98765432#"));
}

TEST(PasswordRulesAuthn04, BlocklistIgnoresCaseAndLeet) {
  for (const char* pw : {"PASSWORD", "pAsSwOrD", "p4$$w0rd", "##sakura##", "T0kyo!", "Adm1n"}) {
    EXPECT_TRUE(is_common_password(pw)) << pw;
  }
}

TEST(PasswordRulesAuthn04, StrongPasswordIsNotCommon) {
  EXPECT_FALSE(is_common_password(kStrong));
  EXPECT_FALSE(is_common_password("Hinoki#2024x"));
  EXPECT_FALSE(is_common_password("Kusunoki!38q"));
}

// ---------------------------------------------------------------------------------------------
// AUTHN-05: similarity key

TEST(SimilarityKeyAuthn05, CaseDigitsAndSymbolsDoNotChangeTheKey) {
  EXPECT_EQ(similarity_key("Sakura!2024"), "sakura");
  EXPECT_EQ(similarity_key("sAKura#2025"), "sakura");
  EXPECT_EQ(similarity_key("Sakura!2024"), similarity_key("sAKura#2025"));
  EXPECT_EQ(similarity_key("Hinoki#2024x"), "hinokix");
  EXPECT_EQ(similarity_key("hINOKI!7777x"), "hinokix");
  EXPECT_EQ(similarity_key("Hinoki#2024x5"), "hinokix");  // one digit added
}

TEST(SimilarityKeyAuthn05, DifferentWordsGiveDifferentKeys) {
  EXPECT_EQ(similarity_key(kStrong), "kxmvqplr");
  EXPECT_NE(similarity_key("Hinoki#2024x"), similarity_key("Kusunoki!38q"));
}

TEST(SimilarityKeyAuthn05, FewerThanFourLettersGiveEmptyKey) {
  EXPECT_EQ(similarity_key("ab12!@#$"), "");
  EXPECT_EQ(similarity_key("Xy7#9&2!"), "");
  EXPECT_EQ(similarity_key("abc1234!"), "");
  EXPECT_EQ(similarity_key("12345678"), "");
  EXPECT_EQ(similarity_key(""), "");
  EXPECT_EQ(similarity_key("abcd1234!"), "abcd");  // four letters are enough
}

// ---------------------------------------------------------------------------------------------
// AUTHN-09: one-time passwords

TEST(OneTimePasswordAuthn09, AlwaysSatisfiesTheRules) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SeededRandom random(seed);
    std::string pw = generate_one_time_password(random);
    SCOPED_TRACE("seed " + std::to_string(seed) + ": " + pw);
    EXPECT_EQ(pw.size(), 16u);
    Status s = check_password_rules("sato.k", pw, default_policy());
    EXPECT_TRUE(s.has_value()) << (s ? std::string() : s.error().message(Lang::en));
    EXPECT_EQ(pw.find_first_of("0O1lI"), std::string::npos);
  }
}

TEST(OneTimePasswordAuthn09, HasTheRequestedLengthButAtLeastTwelve) {
  SeededRandom random(7);
  EXPECT_EQ(generate_one_time_password(random, 24).size(), 24u);
  EXPECT_EQ(generate_one_time_password(random, 12).size(), 12u);
  EXPECT_EQ(generate_one_time_password(random, 8).size(), 12u);
  EXPECT_EQ(generate_one_time_password(random, 0).size(), 12u);
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SeededRandom r(seed);
    std::string pw = generate_one_time_password(r, 12);
    EXPECT_EQ(pw.size(), 12u);
    EXPECT_TRUE(check_password_rules("sato.k", pw, default_policy()).has_value()) << pw;
    EXPECT_EQ(pw.find_first_of("0O1lI"), std::string::npos) << pw;
  }
}

TEST(OneTimePasswordAuthn09, IsDeterministicPerSeedAndDiffersAcrossSeeds) {
  SeededRandom a(99), b(99);
  EXPECT_EQ(generate_one_time_password(a), generate_one_time_password(b));
  std::set<std::string> seen;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SeededRandom r(seed);
    seen.insert(generate_one_time_password(r));
  }
  EXPECT_EQ(seen.size(), 200u);
}

// Regression: a repeated letter with a digit and symbol on the end passed every rule.
TEST(PasswordRulesAuthn04Regression, RepeatedLetterWithDecorationIsRefused) {
  EXPECT_TRUE(is_common_password("aaaaaaa1!"));
  EXPECT_FALSE(check_password_rules("kimura.h", "aaaaaaa1!", PasswordPolicy{}).has_value());
}

// Regression: leet characters at the edge of a blocklisted word were peeled off as decoration.
TEST(PasswordRulesAuthn04Regression, LeetAtTheEdgeOfABlocklistedWordIsRefused) {
  for (const char* pw : {"Sakur@2024!", "@dmin#2025", "$ecret2024!", "P@ssw0rd1!"}) {
    EXPECT_TRUE(is_common_password(pw)) << pw;
    EXPECT_FALSE(check_password_rules("kimura.h", pw, PasswordPolicy{}).has_value()) << pw;
  }
}

// Regression: Japanese passphrases with one (repeated) digit were refused as "too easy".
TEST(PasswordRulesAuthn03Regression, JapanesePassphraseWithOneRepeatedDigitIsAccepted) {
  for (const char* pw : {"日本の桜は美しい7!", "秋の夕暮れ22!"}) {
    EXPECT_TRUE(check_password_rules("kimura.h", pw, PasswordPolicy{}).has_value()) << pw;
  }
  // ...while the word "password" in kana is as weak as in English.
  EXPECT_TRUE(is_common_password("パスワード11!"));
}

// Review finding: full-width letters got past the blocklist and the user-ID check.
TEST(PasswordRulesAuthn04Regression, FullWidthLettersAreReadAsTheirAsciiForms) {
  EXPECT_TRUE(is_common_password("ｐａｓｓｗｏｒｄ1!"));
  EXPECT_FALSE(check_password_rules("kimura", "ｋｉｍｕｒａ#Zq82", PasswordPolicy{}).has_value());
  EXPECT_EQ(similarity_key("Ｈｉｎｏｋｉ#2024"), similarity_key("hinoki!2025"));
}

}  // namespace
}  // namespace tokumei::security
