#pragma once
// Errors are values (STYLE.md): every expected failure comes back as a Result carrying an Error
// with a typed code, a message a person can act on in Japanese and English, and, where the failure
// is about input, the place it was found (file, line, column, field).

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace tokumei {

// Language of user-facing text. Japanese is the default everywhere (the users are Japanese).
enum class Lang { ja, en };

// Parses "ja" / "en" (case-insensitive). Anything else gives std::nullopt-like false.
bool parse_lang(std::string_view s, Lang* out);

// One message in both languages.
struct Text {
  std::string ja;
  std::string en;
  const std::string& in(Lang lang) const { return lang == Lang::ja ? ja : en; }
};

// What kind of failure. Callers branch on this, never on message text.
enum class Errc {
  invalid_argument,       // caller passed something unusable
  invalid_input,          // data or configuration that does not parse or validate
  not_found,              // the named thing does not exist
  already_exists,         // refusing to overwrite something that is there
  conflict,               // clashes with the current state (undo what came after first)
  permission_denied,      // the actor may not do this
  authentication_failed,  // wrong password, code or key; never says which part
  policy_violation,       // a rule (password policy, approval rule) forbids it
  expired,                // a time limit has passed
  key_destroyed,          // the data key was crypto-erased; the data is gone for good
  integrity,              // tampering or corruption detected (bad tag, broken hash chain)
  io,                     // file system or operating system failure
  database,               // the database refused or failed
  internal,               // a library failed in a way that should not happen
};

// Stable English identifier of a code, for logs and --json output.
std::string_view errc_name(Errc code);

// Where bad input was found. Every member is optional; empty/zero means unknown.
struct Location {
  // `{}` initializers let `Location{.file = f}` compile cleanly under -Wextra.
  std::string file{};
  int line = 0;
  int column = 0;
  std::string field{};
  std::int64_t offset = -1;  // byte offset in the file, where lines do not apply
  bool empty() const { return file.empty() && line == 0 && field.empty() && offset < 0; }
};

class Error {
 public:
  Error(Errc code, Text message, Location where = {})
      : code_(code), message_(std::move(message)), where_(std::move(where)) {}

  Errc code() const { return code_; }
  const std::string& message(Lang lang = Lang::ja) const { return message_.in(lang); }
  const Text& text() const { return message_; }
  const Location& where() const { return where_; }

  // "file:line:column: field: message" with the parts that are known.
  std::string describe(Lang lang = Lang::ja) const;

  // Prepends a short context ("opening the key ring: ...") in both languages.
  Error& within(const Text& context);

 private:
  Errc code_;
  Text message_;
  Location where_;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// Shorthand for returning a failure: `return fail(Errc::not_found, {"…", "…"});`
inline std::unexpected<Error> fail(Errc code, Text message, Location where = {}) {
  return std::unexpected<Error>(Error(code, std::move(message), std::move(where)));
}
inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

inline Status ok() { return {}; }

// Keeps only success or failure of a Result (libstdc++ 12 has no std::expected::transform).
template <class T>
Status status_of(Result<T>&& r) {
  if (!r) return std::unexpected(std::move(r).error());
  return {};
}

}  // namespace tokumei

#define TKM_CONCAT_INNER(a, b) a##b
#define TKM_CONCAT(a, b) TKM_CONCAT_INNER(a, b)

// Evaluates a Status/Result expression and returns its error from the enclosing function.
#define TKM_RETURN_IF_ERROR(expr)                                             \
  do {                                                                        \
    auto tkm_status_ = (expr);                                                \
    if (!tkm_status_) return std::unexpected(std::move(tkm_status_).error()); \
  } while (0)

// `TKM_ASSIGN_OR_RETURN(auto x, f());` binds the value or returns the error.
#define TKM_ASSIGN_OR_RETURN(lhs, expr) \
  TKM_ASSIGN_OR_RETURN_IMPL(TKM_CONCAT(tkm_result_, __LINE__), lhs, expr)
#define TKM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)           \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
