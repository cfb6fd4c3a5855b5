#pragma once
// The password rules of REQUIREMENTS.md that can be checked on the password alone:
//   AUTHN-03  at least 8 characters, mixing letters, digits and symbols;
//   AUTHN-04  not equal to or containing the user ID; not a common (blocklisted) password, also
//             when decorated with digits/symbols or written in "leet" (P@ssw0rd1!);
//   AUTHN-05  the similarity key used to refuse trivial variants of earlier passwords
//             (history itself is checked by AccountStore, which holds the hashes);
//   AUTHN-09  one-time passwords generated for new accounts and resets.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/error.h"
#include "tokumei/base/random.h"
#include "tokumei/crypto/password_hash.h"

namespace tokumei::security {

struct PasswordPolicy {
  std::size_t min_length = 8;           // AUTHN-03 (never below 8)
  std::size_t history = 5;              // AUTHN-05: last N passwords refused
  std::chrono::hours one_time_ttl{72};  // AUTHN-09: initial/reset password lifetime
  std::chrono::days max_age{60};        // AUTHN-06: 2 months
  std::chrono::days warn_before{14};    // AUTHN-06: warnings start this long before expiry
  int lockout_threshold = 5;            // AUTHN-07: consecutive failures that lock an account
  int max_administrators = 2;           // AUTHZ-03: system administrators at most
  crypto::Argon2Params hashing;         // AUTHN-08
};

// Checks AUTHN-03 and AUTHN-04 for `password` chosen by `user_id`. Returns the first rule broken
// as Errc::policy_violation with a message saying which rule and how to fix it.
Status check_password_rules(std::string_view user_id, std::string_view password,
                            const PasswordPolicy& policy);

// Length in characters (UTF-8 code points), the unit every length rule is stated in.
std::size_t character_count(std::string_view text);

// True if `password` is a common password, possibly with leading/trailing digits and symbols,
// different case or leet substitutions.
bool is_common_password(std::string_view password);

// The part of a password that stays when someone makes a "new" one by changing case, digits or
// symbols ("Sakura!2025" -> "sakura"). Two passwords with the same key are trivial variants.
// Empty when the password has fewer than 4 letters (then only exact reuse is detectable).
std::string similarity_key(std::string_view password);

// Every similarity key of a password: similarity_key, plus the word read with the digits and
// symbols inside it taken as the letters they stand for ("K1rameki#2025" -> "kirameki"). Two
// passwords sharing any key are trivial variants (AUTHN-05). Full-width letters count as ASCII.
std::vector<std::string> similarity_keys(std::string_view password);

// A random one-time password of `length` characters (>= 12) that satisfies the rules, from an
// alphabet without look-alike characters (no 0/O, 1/l/I).
std::string generate_one_time_password(Random& random, std::size_t length = 16);

}  // namespace tokumei::security
