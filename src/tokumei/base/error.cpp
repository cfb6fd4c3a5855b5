#include "tokumei/base/error.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace tokumei {

bool parse_lang(std::string_view s, Lang* out) {
  std::string lower(s);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "ja" || lower == "jp" || lower == "japanese") {
    *out = Lang::ja;
    return true;
  }
  if (lower == "en" || lower == "english") {
    *out = Lang::en;
    return true;
  }
  return false;
}

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::invalid_input:
      return "invalid_input";
    case Errc::not_found:
      return "not_found";
    case Errc::already_exists:
      return "already_exists";
    case Errc::conflict:
      return "conflict";
    case Errc::permission_denied:
      return "permission_denied";
    case Errc::authentication_failed:
      return "authentication_failed";
    case Errc::policy_violation:
      return "policy_violation";
    case Errc::expired:
      return "expired";
    case Errc::key_destroyed:
      return "key_destroyed";
    case Errc::integrity:
      return "integrity";
    case Errc::io:
      return "io";
    case Errc::database:
      return "database";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

std::string Error::describe(Lang lang) const {
  std::string out;
  if (!where_.file.empty()) {
    out += where_.file;
    if (where_.line > 0) {
      out += ':' + std::to_string(where_.line);
      if (where_.column > 0) out += ':' + std::to_string(where_.column);
    } else if (where_.offset >= 0) {
      out +=
          (lang == Lang::ja ? " (オフセット " : " (offset ") + std::to_string(where_.offset) + ")";
    }
    out += ": ";
  } else if (where_.line > 0) {
    out += (lang == Lang::ja ? "行 " : "line ") + std::to_string(where_.line) + ": ";
  }
  if (!where_.field.empty()) out += where_.field + ": ";
  out += message(lang);
  return out;
}

Error& Error::within(const Text& context) {
  message_.ja = context.ja + ": " + message_.ja;
  message_.en = context.en + ": " + message_.en;
  return *this;
}

}  // namespace tokumei
