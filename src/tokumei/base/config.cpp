#include "tokumei/base/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace tokumei::config {
namespace {

// How a type is named in messages: "整数を指定してください（文字列が書かれています）".
struct TypeName {
  const char* ja;
  const char* en;
};

TypeName expected_name(Type t) {
  switch (t) {
    case Type::string:
      return {"文字列", "a string"};
    case Type::integer:
      return {"整数", "an integer"};
    case Type::boolean:
      return {"真偽値（true か false）", "a boolean (true or false)"};
    case Type::floating:
      return {"数値", "a number"};
    case Type::string_array:
      return {"文字列の配列", "an array of strings"};
  }
  return {"?", "?"};
}

TypeName actual_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return {"文字列", "a string"};
    case toml::node_type::integer:
      return {"整数", "an integer"};
    case toml::node_type::boolean:
      return {"真偽値", "a boolean"};
    case toml::node_type::floating_point:
      return {"小数", "a floating-point number"};
    case toml::node_type::array:
      return {"配列", "an array"};
    case toml::node_type::table:
      return {"表", "a table"};
    case toml::node_type::date:
      return {"日付", "a date"};
    case toml::node_type::time:
      return {"時刻", "a time"};
    case toml::node_type::date_time:
      return {"日時", "a date-time"};
    case toml::node_type::none:
      break;
  }
  return {"不明な値", "an unknown value"};
}

const char* type_id(Type t) {
  switch (t) {
    case Type::string:
      return "string";
    case Type::integer:
      return "integer";
    case Type::boolean:
      return "boolean";
    case Type::floating:
      return "floating";
    case Type::string_array:
      return "string_array";
  }
  return "?";
}

bool default_matches(const Field& f) {
  const Value& v = f.default_value;
  if (std::holds_alternative<std::monostate>(v)) return true;
  switch (f.type) {
    case Type::string:
      return std::holds_alternative<std::string>(v);
    case Type::integer:
      return std::holds_alternative<std::int64_t>(v);
    case Type::boolean:
      return std::holds_alternative<bool>(v);
    case Type::floating:
      return std::holds_alternative<double>(v);
    case Type::string_array:
      return std::holds_alternative<std::vector<std::string>>(v);
  }
  return false;
}

Value empty_value(Type t) {
  switch (t) {
    case Type::string:
      return std::string();
    case Type::integer:
      return std::int64_t{0};
    case Type::boolean:
      return false;
    case Type::floating:
      return 0.0;
    case Type::string_array:
      return std::vector<std::string>();
  }
  return {};
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, so that both
// "busy_timout_ms" and "busy_tiemout_ms" are one or two edits from "busy_timeout_ms".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string last_segment(std::string_view key) {
  auto dot = key.rfind('.');
  return std::string(dot == std::string_view::npos ? key : key.substr(dot + 1));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

int as_int(toml::source_index i) { return i > INT_MAX ? INT_MAX : static_cast<int>(i); }

[[noreturn]] void schema_bug(const std::string& what) {
  throw std::logic_error("config schema: " + what);
}

}  // namespace

// Walks a parsed document against the schema, filling a Config and collecting every problem.
class Config::Validator {
 public:
  Validator(const Schema& schema, std::string source) : schema_(schema) {
    config_.source_ = std::move(source);
    for (const Field& f : schema.fields) add_field(f);
    for (const Field& f : schema.fields) {
      if (tables_.contains(f.key)) schema_bug("'" + f.key + "' is both a value and a table");
    }
  }

  void walk(const toml::table& table, const std::string& prefix) {
    for (auto&& [k, node] : table) {
      const std::string name(k.str());
      const std::string path = prefix.empty() ? name : prefix + "." + name;
      Location at{config_.source_, as_int(k.source().begin.line), as_int(k.source().begin.column),
                  path};
      // A quoted key holding a dot ("store.x" = 1) is one key, never a path into the schema.
      const bool plain = name.find('.') == std::string::npos;
      if (auto it = fields_.find(path); plain && it != fields_.end()) {
        check_field(*it->second, node, std::move(at));
      } else if (plain && tables_.contains(path)) {
        if (const auto* sub = node.as_table()) {
          walk(*sub, path);
        } else {
          value_where_table(node, std::move(at));
        }
      } else {
        unknown_key(node, std::move(at));
      }
    }
  }

  std::expected<Config, std::vector<Error>> finish() {
    for (const Field& f : schema_.fields) {
      if (!f.required || present_.contains(f.key) || under_broken_table(f.key)) continue;
      Text msg{"必須の設定項目がありません", "required key is missing"};
      if (!f.help.ja.empty()) msg.ja += "（" + f.help.ja + "）";
      if (!f.help.en.empty()) msg.en += " (" + f.help.en + ")";
      errors_.emplace_back(Errc::invalid_input, std::move(msg),
                           Location{config_.source_, 0, 0, f.key});
    }
    if (errors_.empty()) return std::move(config_);
    // File order; missing keys (line 0) last. toml++ tables iterate in key order, not file order.
    std::ranges::stable_sort(errors_, [](const Error& a, const Error& b) {
      auto rank = [](const Error& e) {
        return std::pair(e.where().line == 0 ? INT_MAX : e.where().line, e.where().column);
      };
      return rank(a) < rank(b);
    });
    return std::unexpected(std::move(errors_));
  }

 private:
  void add_field(const Field& f) {
    if (f.key.empty() || f.key.front() == '.' || f.key.back() == '.' ||
        f.key.find("..") != std::string::npos) {
      schema_bug("bad key '" + f.key + "'");
    }
    if (!fields_.emplace(f.key, &f).second) schema_bug("'" + f.key + "' declared twice");
    if (!default_matches(f)) {
      schema_bug("default of '" + f.key + "' is not of type " + type_id(f.type));
    }
    if ((f.min || f.max) && f.type != Type::integer) {
      schema_bug("min/max on non-integer '" + f.key + "'");
    }
    if (f.min && f.max && *f.min > *f.max) schema_bug("min > max for '" + f.key + "'");
    if (!f.one_of.empty() && f.type != Type::string && f.type != Type::string_array) {
      schema_bug("one_of on '" + f.key + "', which holds no strings");
    }
    if (const auto* d = std::get_if<std::int64_t>(&f.default_value);
        d && ((f.min && *d < *f.min) || (f.max && *d > *f.max))) {
      schema_bug("default of '" + f.key + "' is outside min/max");
    }
    if (const auto* d = std::get_if<std::string>(&f.default_value); d && !allowed(f, *d)) {
      schema_bug("default of '" + f.key + "' is not in one_of");
    }
    for (auto dot = f.key.find('.'); dot != std::string::npos; dot = f.key.find('.', dot + 1)) {
      tables_.insert(f.key.substr(0, dot));
    }
    Slot slot{f.type, f.default_value};
    if (std::holds_alternative<std::monostate>(slot.value)) slot.value = empty_value(f.type);
    config_.slots_.emplace(f.key, std::move(slot));
  }

  static bool allowed(const Field& f, const std::string& s) {
    return f.one_of.empty() || std::ranges::find(f.one_of, s) != f.one_of.end();
  }

  void check_field(const Field& f, const toml::node& node, Location at) {
    present_.insert(f.key);
    const std::size_t errors_before = errors_.size();
    std::optional<Value> value;
    switch (f.type) {
      case Type::string:
        if (const auto* s = node.as_string()) {
          if (allowed(f, s->get())) {
            value = s->get();
          } else {
            report(at,
                   {join(f.one_of) + " のいずれかを指定してください（" + in_quotes(s->get()) +
                        " が書かれています）",
                    "must be one of: " + join(f.one_of) + " (found " + in_quotes(s->get()) + ")"});
          }
        }
        break;
      case Type::integer:
        if (const auto* i = node.as_integer()) {
          std::int64_t v = i->get();
          if ((f.min && v < *f.min) || (f.max && v > *f.max)) {
            out_of_range(f, v, at);
          } else {
            value = v;
          }
        }
        break;
      case Type::boolean:
        if (const auto* b = node.as_boolean()) value = b->get();
        break;
      case Type::floating:
        if (const auto* d = node.as_floating_point()) {
          value = d->get();
        } else if (const auto* i = node.as_integer()) {
          value = static_cast<double>(i->get());
        }
        break;
      case Type::string_array:
        if (const auto* arr = node.as_array()) {
          value = string_array(f, *arr);
          if (!std::holds_alternative<std::vector<std::string>>(*value)) value.reset();
        }
        break;
    }
    if (!value) {
      // Neither accepted nor already reported (range, one_of, element): the type is wrong.
      if (errors_.size() == errors_before) wrong_type(f, node, at);
      return;
    }
    Slot& slot = config_.slots_.at(f.key);
    slot.value = std::move(*value);
    slot.set = true;
    slot.line = at.line;
  }

  // Returns the strings, or std::monostate after reporting each bad element at its own position.
  Value string_array(const Field& f, const toml::array& arr) {
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const toml::node& e = arr[i];
      Location at{config_.source_, as_int(e.source().begin.line), as_int(e.source().begin.column),
                  f.key};
      const std::string nth = std::to_string(i + 1);
      if (const auto* s = e.as_string()) {
        if (allowed(f, s->get())) {
          out.push_back(s->get());
          continue;
        }
        report(std::move(at),
               {nth + " 番目の要素は " + join(f.one_of) + " のいずれかにしてください（" +
                    in_quotes(s->get()) + " が書かれています）",
                "element " + nth + " must be one of: " + join(f.one_of) + " (found " +
                    in_quotes(s->get()) + ")"});
      } else {
        TypeName got = actual_name(e);
        report(std::move(at), {std::string("文字列の配列を指定してください（") + nth +
                                   " 番目の要素が" + got.ja + "です）",
                               std::string("expected an array of strings (element ") + nth +
                                   " is " + got.en + ")"});
      }
      ok = false;
    }
    if (!ok) return std::monostate{};
    return out;
  }

  void out_of_range(const Field& f, std::int64_t v, const Location& at) {
    const std::string found = std::to_string(v);
    Text msg;
    if (f.min && f.max) {
      const std::string lo = std::to_string(*f.min), hi = std::to_string(*f.max);
      msg = {lo + " 以上 " + hi + " 以下の整数を指定してください（" + found + " が書かれています）",
             "expected an integer from " + lo + " to " + hi + " (found " + found + ")"};
    } else if (f.min) {
      const std::string lo = std::to_string(*f.min);
      msg = {lo + " 以上の整数を指定してください（" + found + " が書かれています）",
             "expected an integer of at least " + lo + " (found " + found + ")"};
    } else {
      const std::string hi = std::to_string(*f.max);
      msg = {hi + " 以下の整数を指定してください（" + found + " が書かれています）",
             "expected an integer of at most " + hi + " (found " + found + ")"};
    }
    report(at, std::move(msg));
  }

  void wrong_type(const Field& f, const toml::node& node, const Location& at) {
    TypeName want = expected_name(f.type), got = actual_name(node);
    report(at, {std::string(want.ja) + "を指定してください（" + got.ja + "が書かれています）",
                std::string("expected ") + want.en + " (found " + got.en + ")"});
  }

  void value_where_table(const toml::node& node, const Location& at) {
    broken_tables_.insert(at.field);
    TypeName got = actual_name(node);
    const std::string& t = at.field;
    report(at, {t + " は表（テーブル）です。[" + t + "] の下に項目を書いてください（" + got.ja +
                    "が書かれています）",
                t + " is a table: write its keys under [" + t + "] (found " + got.en + ")"});
  }

  void unknown_key(const toml::node& node, const Location& at) {
    const bool table = node.is_table();
    Text msg = table ? Text{"未知の表（テーブル）です", "unknown table"}
                     : Text{"未知の設定項目です", "unknown key"};
    if (auto hint = suggest(at.field, table)) {
      msg.ja += "。もしかして " + *hint + " ?";
      msg.en += "; did you mean " + *hint + "?";
    }
    report(at, std::move(msg));
  }

  // The closest known key or table within two edits; failing that, for a value, the one field
  // with the same last segment (a key written under the wrong table, e.g. after a [header]).
  std::optional<std::string> suggest(const std::string& path, bool table) const {
    std::optional<std::string> best;
    std::size_t best_d = 3;
    auto consider = [&](const std::string& candidate) {
      std::size_t d = edit_distance(path, candidate);
      if (d < best_d) {
        best_d = d;
        best = candidate;
      }
    };
    for (const Field& f : schema_.fields) consider(f.key);
    for (const std::string& t : tables_) consider(t);
    if (best || table) return best;
    const std::string last = last_segment(path);
    for (const Field& f : schema_.fields) {
      if (last_segment(f.key) != last) continue;
      if (best) return std::nullopt;  // ambiguous
      best = f.key;
    }
    return best;
  }

  void report(Location at, Text msg) {
    errors_.emplace_back(Errc::invalid_input, std::move(msg), std::move(at));
  }

  bool under_broken_table(const std::string& key) const {
    return std::ranges::any_of(broken_tables_,
                               [&](const std::string& t) { return key.starts_with(t + "."); });
  }

  const Schema& schema_;
  Config config_;
  std::map<std::string, const Field*, std::less<>> fields_;
  std::set<std::string, std::less<>> tables_;
  std::set<std::string> present_;
  std::set<std::string> broken_tables_;
  std::vector<Error> errors_;
};

std::expected<Config, std::vector<Error>> Config::parse(std::string_view text,
                                                        std::string source_name,
                                                        const Schema& schema) {
  Validator validator(schema, source_name);
  toml::table doc;
  try {
    doc = toml::parse(text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    // toml++ stops at the first syntax error, so there is only ever one of these.
    const auto& begin = e.source().begin;
    const std::string what(e.description());
    return std::unexpected(std::vector<Error>{
        Error(Errc::invalid_input,
              {"TOML の書式が正しくありません: " + what, "TOML syntax error: " + what},
              Location{std::move(source_name), as_int(begin.line), as_int(begin.column), {}})});
  }
  validator.walk(doc, "");
  return validator.finish();
}

std::expected<Config, std::vector<Error>> Config::load_file(const std::filesystem::path& path,
                                                            const Schema& schema) {
  const std::string name = path.string();
  auto io_error = [&](const std::string& ja, const std::string& en) {
    return std::unexpected(std::vector<Error>{
        Error(Errc::io, {"設定ファイル " + name + " を読めません（" + ja + "）",
                         "cannot read configuration file " + name + ": " + en})});
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return io_error("フォルダです", "it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string sys = std::strerror(err);
    if (err == ENOENT) return io_error("ファイルがありません", sys);
    if (err == EACCES) return io_error("読み取りの権限がありません", sys);
    return io_error(sys, sys);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return io_error("読み込み中にエラーが起きました", "read error");
  return parse(text.str(), name, schema);
}

const Config::Slot& Config::slot(std::string_view key) const {
  auto it = slots_.find(key);
  if (it == slots_.end()) {
    throw std::logic_error("config: key '" + std::string(key) + "' is not in the schema");
  }
  return it->second;
}

const Config::Slot& Config::slot(std::string_view key, Type expected) const {
  const Slot& s = slot(key);
  if (s.type != expected) {
    throw std::logic_error("config: key '" + std::string(key) + "' is " + type_id(s.type) +
                           ", not " + type_id(expected));
  }
  return s;
}

const std::string& Config::get_string(std::string_view key) const {
  return std::get<std::string>(slot(key, Type::string).value);
}

std::int64_t Config::get_int(std::string_view key) const {
  return std::get<std::int64_t>(slot(key, Type::integer).value);
}

bool Config::get_bool(std::string_view key) const {
  return std::get<bool>(slot(key, Type::boolean).value);
}

double Config::get_double(std::string_view key) const {
  return std::get<double>(slot(key, Type::floating).value);
}

const std::vector<std::string>& Config::get_strings(std::string_view key) const {
  return std::get<std::vector<std::string>>(slot(key, Type::string_array).value);
}

bool Config::is_set(std::string_view key) const { return slot(key).set; }

int Config::line_of(std::string_view key) const { return slot(key).line; }

}  // namespace tokumei::config
