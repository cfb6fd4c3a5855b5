#pragma once
// TOML configuration checked against a schema. Every key the program reads is declared once in a
// Schema (type, default, limits, meaning in Japanese and English); a file is accepted only when
// every key in it is known and well-typed, so a misspelt setting is an error, not silently ignored.
// All problems in a file are reported together, each naming the file, line and dotted key.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tokumei/base/error.h"

namespace tokumei::config {

enum class Type { string, integer, boolean, floating, string_array };

// A value as written in the file or as a default. std::monostate means "no value".
using Value =
    std::variant<std::monostate, std::string, std::int64_t, bool, double, std::vector<std::string>>;

// One setting. The tables of a file are implied by the dotted keys: "store.busy_timeout_ms" makes
// "store" a table that may hold only the keys declared under it.
struct Field {
  std::string key;  // dotted path, e.g. "store.busy_timeout_ms"
  Type type;        // no default: a designated initializer that leaves it out gets a warning
  bool required = false;
  // Used when the key is absent. Must hold the alternative matching `type` (an int64 for integer,
  // a double for floating, ...) or be std::monostate. The members below have `{}` initializers so
  // that `{.key = "...", .type = Type::integer, .min = 0}` compiles under -Wextra.
  Value default_value{};
  std::optional<std::int64_t> min{}, max{};  // integers only, inclusive
  std::vector<std::string> one_of{};         // strings and each element of a string array
  Text help{};                               // what the key means, ja/en
};

struct Schema {
  std::vector<Field> fields;
};

// A validated configuration. Immutable once made; const methods are safe from several threads.
//
// A schema that contradicts itself (the same key twice, a default of the wrong type, a key that is
// both a value and a table) is a programming bug: load_file and parse throw std::logic_error.
class Config {
 public:
  // Reads and validates `path`. A missing or unreadable file gives one Error with Errc::io naming
  // the path; otherwise the errors are those of parse(), with source_name = path.
  static std::expected<Config, std::vector<Error>> load_file(const std::filesystem::path& path,
                                                             const Schema& schema);

  // Validates TOML `text`. On failure returns every problem found, in file order (missing required
  // keys last), each an Errc::invalid_input Error located at {source_name, line, column, key}:
  // syntax errors, unknown keys and tables (with a "did you mean" hint), wrong types, integers
  // outside min/max, strings outside one_of, tables where a value belongs and the reverse,
  // non-string array elements, and missing required keys (line 0).
  static std::expected<Config, std::vector<Error>> parse(std::string_view text,
                                                         std::string source_name,
                                                         const Schema& schema);

  // The value of `key`: as written, else the schema default, else the type's empty value ("", 0,
  // false, 0.0, {}). A floating key written as an integer reads as that number.
  // Throws std::logic_error if `key` is not in the schema or has another type (a programming bug).
  const std::string& get_string(std::string_view key) const;
  std::int64_t get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  double get_double(std::string_view key) const;
  const std::vector<std::string>& get_strings(std::string_view key) const;

  // True if the file wrote `key` (a default does not count). Throws std::logic_error for a key not
  // in the schema.
  bool is_set(std::string_view key) const;

  // Line of `key` in the file, or 0 when it was not written. Throws std::logic_error for a key not
  // in the schema.
  int line_of(std::string_view key) const;

  // The file path or name given to load_file/parse.
  const std::string& source() const { return source_; }

 private:
  struct Slot {
    Type type;
    Value value;  // as written, else the default, else the type's empty value
    bool set = false;
    int line = 0;
  };

  class Validator;  // config.cpp: walks the parsed document against the schema

  Config() = default;
  const Slot& slot(std::string_view key) const;
  const Slot& slot(std::string_view key, Type expected) const;

  std::string source_;
  std::map<std::string, Slot, std::less<>> slots_;
};

}  // namespace tokumei::config
