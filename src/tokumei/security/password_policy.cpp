#include "tokumei/security/password_policy.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_set>

namespace tokumei::security {
namespace {

// Common passwords, lower case, letters only where possible (digit/symbol decorations are peeled
// off before lookup). Chosen from widely published breach top lists plus words Japanese users and
// this operator's staff are known to pick; extend it here, never in a configuration file an
// attacker could empty.
const std::unordered_set<std::string>& blocklist() {
  static const std::unordered_set<std::string> words = {
      "password",
      "passw",
      "passwd",
      "pass",
      "qwerty",
      "qwertyuiop",
      "asdfgh",
      "asdfghjkl",
      "zxcvbn",
      "zxcvbnm",
      "abc",
      "abcd",
      "abcde",
      "abcdef",
      "abcdefg",
      "abcdefgh",
      "letmein",
      "welcome",
      "admin",
      "administrator",
      "root",
      "login",
      "master",
      "monkey",
      "dragon",
      "football",
      "baseball",
      "soccer",
      "iloveyou",
      "sunshine",
      "princess",
      "shadow",
      "superman",
      "batman",
      "trustno",
      "starwars",
      "hello",
      "freedom",
      "whatever",
      "michael",
      "jennifer",
      "charlie",
      "donald",
      "mustang",
      "access",
      "secret",
      "changeme",
      "default",
      "guest",
      "test",
      "tester",
      "user",
      "temp",
      "qazwsx",
      "qwer",
      "asdf",
      "zaq",
      "ninja",
      "pokemon",
      "pikachu",
      "doraemon",
      "naruto",
      "gundam",
      "sakura",
      "tokyo",
      "osaka",
      "kyoto",
      "japan",
      "nippon",
      "nihon",
      "fujisan",
      "samurai",
      "sayonara",
      "arigato",
      "konnichiwa",
      "tanaka",
      "suzuki",
      "sato",
      "takahashi",
      "watanabe",
      "yamamoto",
      "hospital",
      "byouin",
      "iryou",
      "kanja",
      "doctor",
      "nurse",
      "medical",
      "health",
      "kenkou",
      "tokumei",
      "jmimo",
      "mynumber",
      "hoken",
      "system",
      "server",
      "database",
      "security",
      "welcometo",
      "summer",
      "winter",
      "spring",
      "autumn",
      "natsu",
      "fuyu",
      "haru",
      "aki",
      "love",
      "lovely",
      "angel",
      "flower",
      "computer",
      "internet",
      "google",
      "apple",
      "microsoft",
      "windows",
      "linux",
      "oracle",
      "company",
      "office",
      "kaisha",
      "shigoto",
      // The same words typed in Japanese.
      "パスワード",
      "ぱすわーど",
      "あいうえお",
      "さくら",
      "サクラ",
      "ひみつ",
      "秘密",
      "管理者",
      "病院",
  };
  return words;
}

char leet(char c) {
  switch (c) {
    case '@':
    case '4':
      return 'a';
    case '3':
      return 'e';
    case '1':
    case '!':
    case '|':
      return 'i';
    case '0':
      return 'o';
    case '$':
    case '5':
      return 's';
    case '7':
    case '+':
      return 't';
    default:
      return c;
  }
}

// Lower case, with full-width ASCII (ｐａｓｓ１, U+FF01..U+FF5E) and the ideographic space read as
// the ASCII they look like, so typing in the Japanese input mode does not get around the rules.
std::string lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    if (i + 2 < s.size() && b(0) == 0xEF && (b(1) == 0xBC || b(1) == 0xBD) && b(2) >= 0x80 &&
        b(2) <= 0xBF) {
      unsigned cp = 0xFF00u + ((b(1) - 0xBCu) << 6) + (b(2) - 0x80u);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        out += static_cast<char>(std::tolower(static_cast<int>(cp - 0xFEE0)));
        i += 2;
        continue;
      }
    }
    if (i + 2 < s.size() && b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) {  // U+3000
      out += ' ';
      i += 2;
      continue;
    }
    out += static_cast<char>(std::tolower(b(0)));
  }
  return out;
}

bool is_letter(unsigned char c) {
  return std::isalpha(c) != 0 || c >= 0x80;
}  // counts kana/kanji as letters

std::unexpected<Error> violation(Text message) {
  return fail(Errc::policy_violation, std::move(message), Location{.field = "password"});
}

}  // namespace

std::size_t character_count(std::string_view text) {
  return static_cast<std::size_t>(
      std::ranges::count_if(text, [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

bool is_common_password(std::string_view password) {
  std::string l = lower(password);
  const auto& words = blocklist();
  // Every way of peeling digits and symbols off either end, read as written and with leet undone:
  // "P@ssw0rd1!" -> "p@ssw0rd" -> "password"; "Sakur@2024!" -> "sakur@" -> "sakura".
  const std::size_t n = l.size();
  for (std::size_t i = 0; i < n && (i == 0 || !is_letter(static_cast<unsigned char>(l[i - 1])));
       ++i) {
    for (std::size_t j = n; j > i && (j == n || !is_letter(static_cast<unsigned char>(l[j])));
         --j) {
      std::string core = l.substr(i, j - i);
      if (words.contains(core)) return true;
      std::string unleet;
      for (char c : core) unleet += leet(c);
      if (words.contains(unleet)) return true;
    }
  }
  // Runs and repeats of Latin letters or digits ("12345678!", "aaaaaaa1!", "abcdefg9#"). A password
  // with kana or kanji is judged by its words above, not by the digits that decorate it.
  if (std::ranges::any_of(l, [](unsigned char c) { return c >= 0x80; })) return false;
  std::string letters, alnum;
  for (char c : l) {
    if (std::isalpha(static_cast<unsigned char>(c))) letters += c;
    if (std::isalnum(static_cast<unsigned char>(c))) alnum += c;
  }
  auto all_same = [](const std::string& s) {
    return std::ranges::all_of(s, [&](char c) { return c == s[0]; });
  };
  auto in_run = [](const std::string& s) {
    for (std::string_view run :
         {"0123456789", "1234567890", "9876543210", "abcdefghijklmnopqrstuvwxyz",
          "zyxwvutsrqponmlkjihgfedcba", "qwertyuiop", "asdfghjkl", "zxcvbnm"}) {
      if (run.find(s) != std::string_view::npos) return true;
    }
    return false;
  };
  if (letters.size() >= 4 && (all_same(letters) || in_run(letters))) return true;
  return alnum.size() >= 6 && (all_same(alnum) || in_run(alnum));
}

std::string similarity_key(std::string_view password) {
  // Digits and symbols are dropped, so "Sakura!2024" and "sAKura#2025" share the key "sakura".
  std::string key;
  for (char c : lower(password)) {
    if (is_letter(static_cast<unsigned char>(c))) key += c;
  }
  return key.size() >= 4 ? key : std::string();
}

std::vector<std::string> similarity_keys(std::string_view password) {
  std::vector<std::string> keys;
  if (std::string plain = similarity_key(password); !plain.empty()) keys.push_back(plain);
  // The same word with the digits and symbols inside it read as the letters they stand for
  // ("K1rameki#2025" -> "kirameki"); decoration at the ends is dropped first.
  std::string l = lower(password);
  auto letter = [](char c) { return is_letter(static_cast<unsigned char>(c)); };
  auto first = std::ranges::find_if(l, letter);
  auto last = std::find_if(l.rbegin(), l.rend(), letter).base();
  std::string read;
  for (auto it = first; it < last; ++it) {
    if (char c = leet(*it); letter(c)) read += c;
  }
  if (read.size() >= 4 && std::ranges::find(keys, read) == keys.end()) keys.push_back(read);
  return keys;
}

Status check_password_rules(std::string_view user_id, std::string_view password,
                            const PasswordPolicy& policy) {
  std::size_t min = std::max<std::size_t>(policy.min_length, 8);
  // Length is counted in characters, not bytes, so a Japanese passphrase is measured fairly.
  std::size_t chars = character_count(password);
  if (chars < min) {  // AUTHN-03
    return violation({"パスワードは " + std::to_string(min) + " 文字以上にしてください（現在 " +
                          std::to_string(chars) + " 文字）",
                      "password must be at least " + std::to_string(min) + " characters (it has " +
                          std::to_string(chars) + ")"});
  }
  bool letter = false, digit = false, symbol = false;
  for (unsigned char c : password) {
    if (std::isdigit(c)) {
      digit = true;
    } else if (is_letter(c)) {
      letter = true;
    } else if (std::isgraph(c) || c == ' ') {
      symbol = true;
    }
  }
  if (!letter || !digit || !symbol) {  // AUTHN-03
    std::string missing_ja, missing_en;
    auto add = [&](bool have, const char* ja, const char* en) {
      if (have) return;
      missing_ja += missing_ja.empty() ? ja : std::string("・") + ja;
      missing_en += missing_en.empty() ? en : std::string(", ") + en;
    };
    add(letter, "英字", "a letter");
    add(digit, "数字", "a digit");
    add(symbol, "記号", "a symbol");
    return violation(
        {"パスワードには英字・数字・記号をすべて含めてください（不足: " + missing_ja + "）",
         "password must mix letters, digits and symbols (missing: " + missing_en + ")"});
  }
  std::string lower_password = lower(password);
  std::string lower_user = lower(user_id);
  if (!lower_user.empty() && lower_password.find(lower_user) != std::string::npos) {  // AUTHN-04
    return violation(
        {"パスワードにユーザIDを含めることはできません", "password must not contain the user ID"});
  }
  if (is_common_password(password)) {  // AUTHN-04
    return violation(
        {"推測されやすいパスワードです（よく使われる単語や並びに数字・記号を足しただけのもの）。別"
         "のパスワードにしてください",
         "password is too easy to guess (a common word or sequence with digits or symbols added); "
         "choose another"});
  }
  return ok();
}

std::string generate_one_time_password(Random& random, std::size_t length) {
  static constexpr std::string_view kLetters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
  static constexpr std::string_view kDigits = "23456789";
  static constexpr std::string_view kSymbols = "#%+-=?@^_~";
  length = std::max<std::size_t>(length, 12);
  std::string all = std::string(kLetters) + std::string(kDigits) + std::string(kSymbols);
  for (;;) {
    std::string out;
    for (std::size_t i = 0; i < length; ++i) out += all[random.uniform(all.size())];
    bool letter = out.find_first_of(kLetters) != std::string::npos;
    bool digit = out.find_first_of(kDigits) != std::string::npos;
    bool symbol = out.find_first_of(kSymbols) != std::string::npos;
    if (letter && digit && symbol && !is_common_password(out)) return out;
  }
}

}  // namespace tokumei::security
