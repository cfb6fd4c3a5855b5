#include "tokumei/release/cohort_spec.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tokumei/base/bytes.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/identity/japanese.h"
#include "tokumei/release/detail/common.h"

namespace tokumei::release {
namespace detail {

using nlohmann::json;

json to_json(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    json out = json::object();
    for (const auto& [k, v] : *t) out[std::string(k.str())] = to_json(v);
    return out;
  }
  if (const auto* a = node.as_array()) {
    json out = json::array();
    for (const auto& v : *a) out.push_back(to_json(v));
    return out;
  }
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* b = node.as_boolean()) return b->get();
  if (const auto* d = node.as_date()) {  // a TOML date: the day it names
    return fmt::format("{:04}-{:02}-{:02}", d->get().year, d->get().month, d->get().day);
  }
  return nullptr;  // times are not part of a specification
}

Result<std::string> day_of(const std::string& text, const char* field) {
  auto d = identity::normalize_date(text);
  if (!d) {
    return fail(Errc::invalid_input, {"日付として読めません: " + text, "not a date: " + text},
                Location{.field = field});
  }
  return *d;
}

Result<json> read_document(std::string_view text, const std::string& file,
                           std::map<std::string, int>& lines) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return fail(Errc::invalid_input, {"JSON の書式が正しくありません", "JSON syntax error"},
                  Location{.file = file});
    }
    return doc;
  }
  try {
    toml::table t = toml::parse(text, std::string_view(file));
    for (const auto& [k, v] : t) {
      lines[std::string(k.str())] = static_cast<int>(v.source().begin.line);
    }
    return to_json(t);
  } catch (const toml::parse_error& e) {
    const std::string what(e.description());
    return fail(Errc::invalid_input,
                {"TOML の書式が正しくありません: " + what, "TOML syntax error: " + what},
                Location{.file = file,
                         .line = static_cast<int>(e.source().begin.line),
                         .column = static_cast<int>(e.source().begin.column)});
  }
}

}  // namespace detail

namespace {

using nlohmann::json;

std::string_view date_handling_name(DateHandling d) {
  switch (d) {
    case DateHandling::shift:
      return "shift";
    case DateHandling::index:
      return "index";
    case DateHandling::month:
      return "month";
  }
  return "shift";
}

// Reads the keys of one document, each problem located by file, line and field.
class Reader {
 public:
  Reader(const json& doc, std::string file, std::map<std::string, int> lines)
      : doc_(doc), file_(std::move(file)), lines_(std::move(lines)) {}

  std::unexpected<Error> bad(const std::string& field, const std::string& ja,
                             const std::string& en) const {
    auto top = field.substr(0, field.find('.'));
    auto line = lines_.find(top);
    return fail(
        Errc::invalid_input, {fmt::format("{}: {}", field, ja), fmt::format("{}: {}", field, en)},
        Location{.file = file_, .line = line == lines_.end() ? 0 : line->second, .field = field});
  }

  Result<std::optional<std::string>> text(const json& where, const std::string& key,
                                          const std::string& field) const {
    if (!where.contains(key)) return std::optional<std::string>{};
    if (!where[key].is_string()) return bad(field, "文字列が必要です", "must be a string");
    return std::optional<std::string>(where[key].get<std::string>());
  }

  Result<std::optional<int>> integer(const json& where, const std::string& key,
                                     const std::string& field, int lo, int hi) const {
    if (!where.contains(key)) return std::optional<int>{};
    if (!where[key].is_number_integer()) return bad(field, "整数が必要です", "must be an integer");
    const auto v = where[key].get<std::int64_t>();
    if (v < lo || v > hi) {
      return bad(field, fmt::format("{} から {} の範囲で指定してください", lo, hi),
                 fmt::format("must be from {} to {}", lo, hi));
    }
    return std::optional<int>(static_cast<int>(v));
  }

  Result<std::vector<std::string>> list(const std::string& key) const {
    std::vector<std::string> out;
    if (!doc_.contains(key)) return out;
    if (!doc_[key].is_array())
      return bad(key, "文字列の配列が必要です", "must be a list of strings");
    for (std::size_t i = 0; i < doc_[key].size(); ++i) {
      const auto& v = doc_[key][i];
      if (!v.is_string() || v.get<std::string>().empty()) {
        return bad(fmt::format("{}[{}]", key, i), "空でない文字列が必要です",
                   "must be a non-empty string");
      }
      out.push_back(v.get<std::string>());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Result<std::string> day(const json& where, const std::string& key,
                          const std::string& field) const {
    TKM_ASSIGN_OR_RETURN(auto t, text(where, key, field));
    if (!t) return bad(field, "日付が必要です", "a date is required");
    auto d = identity::normalize_date(*t);
    if (!d) return bad(field, "日付として読めません: " + *t, "not a date: " + *t);
    return *d;
  }

  const json& doc() const { return doc_; }

 private:
  const json& doc_;
  std::string file_;
  std::map<std::string, int> lines_;
};

const std::set<std::string>& known_keys() {
  static const std::set<std::string> keys = {
      "kind", "period", "institutions", "diagnoses",    "drugs", "labs",
      "age",  "fields", "age_band",     "top_code_age", "dates"};
  return keys;
}

}  // namespace

std::string_view dataset_kind_name(DatasetKind kind) {
  return kind == DatasetKind::anonymized ? "anonymized" : "pseudonymized";
}

Result<DatasetKind> parse_dataset_kind(std::string_view name) {
  if (name == "anonymized") return DatasetKind::anonymized;
  if (name == "pseudonymized") return DatasetKind::pseudonymized;
  return fail(
      Errc::invalid_input,
      {"種別は anonymized (匿名加工) か pseudonymized (仮名加工) です: " + std::string(name),
       "kind is anonymized or pseudonymized: " + std::string(name)},
      Location{.field = "kind"});
}

std::string_view dataset_kind_label(DatasetKind kind) {
  return kind == DatasetKind::anonymized ? "匿名加工医療情報" : "仮名加工医療情報";
}

const std::vector<std::string>& cohort_fields() {
  static const std::vector<std::string> fields = {"sex",        "age", "prefecture", "diagnosis",
                                                  "medication", "lab", "procedure",  "encounter"};
  return fields;
}

bool CohortSpec::wants(std::string_view field) const {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

std::string CohortSpec::canonical() const {
  json j = json::object();  // nlohmann orders object keys, so the text is canonical
  j["kind"] = dataset_kind_name(kind);
  j["period"] = {{"from", period_from}, {"to", period_to}};
  j["institutions"] = institutions;
  j["diagnoses"] = diagnoses;
  j["drugs"] = drugs;
  j["labs"] = labs;
  j["age"] = json::object();
  if (age_min) j["age"]["min"] = *age_min;
  if (age_max) j["age"]["max"] = *age_max;
  j["fields"] = fields;
  j["age_band"] = age_band;
  j["top_code_age"] = top_code_age;
  j["dates"] = date_handling_name(dates);
  return j.dump();
}

std::string CohortSpec::hash() const { return hex_encode(crypto::sha256(as_bytes(canonical()))); }

Result<CohortSpec> parse_cohort_spec(std::string_view text, const std::string& file) {
  std::map<std::string, int> lines;
  TKM_ASSIGN_OR_RETURN(json doc, detail::read_document(text, file, lines));
  Reader r(doc, file, lines);
  for (const auto& [key, value] : doc.items()) {
    if (!known_keys().contains(key)) {
      return r.bad(key, "知らない項目です", "unknown key");
    }
  }
  CohortSpec s;
  TKM_ASSIGN_OR_RETURN(auto kind, r.text(doc, "kind", "kind"));
  if (!kind) return r.bad("kind", "種別が必要です", "kind is required");
  auto k = parse_dataset_kind(*kind);
  if (!k) return r.bad("kind", "anonymized か pseudonymized です", "anonymized or pseudonymized");
  s.kind = *k;
  if (!doc.contains("period") || !doc["period"].is_object()) {
    return r.bad("period", "期間 { from, to } が必要です", "a period { from, to } is required");
  }
  TKM_ASSIGN_OR_RETURN(s.period_from, r.day(doc["period"], "from", "period.from"));
  TKM_ASSIGN_OR_RETURN(s.period_to, r.day(doc["period"], "to", "period.to"));
  if (s.period_to < s.period_from) {
    return r.bad("period.to", "終了日が開始日より前です", "ends before it starts");
  }
  TKM_ASSIGN_OR_RETURN(s.institutions, r.list("institutions"));
  for (const auto& code : s.institutions) {
    const bool digits = code.size() == 10 && std::all_of(code.begin(), code.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    if (!digits) {
      return r.bad("institutions", "医療機関コードは10桁の数字です: " + code,
                   "an institution code is 10 digits: " + code);
    }
  }
  TKM_ASSIGN_OR_RETURN(s.diagnoses, r.list("diagnoses"));
  TKM_ASSIGN_OR_RETURN(s.drugs, r.list("drugs"));
  TKM_ASSIGN_OR_RETURN(s.labs, r.list("labs"));
  if (doc.contains("age")) {
    if (!doc["age"].is_object())
      return r.bad("age", "{ min, max } が必要です", "needs { min, max }");
    TKM_ASSIGN_OR_RETURN(s.age_min, r.integer(doc["age"], "min", "age.min", 0, 130));
    TKM_ASSIGN_OR_RETURN(s.age_max, r.integer(doc["age"], "max", "age.max", 0, 130));
    if (s.age_min && s.age_max && *s.age_max < *s.age_min) {
      return r.bad("age.max", "上限が下限より小さいです", "is below age.min");
    }
  }
  TKM_ASSIGN_OR_RETURN(s.fields, r.list("fields"));
  if (s.fields.empty())
    return r.bad("fields", "求める項目が必要です", "at least one field is required");
  for (const auto& f : s.fields) {
    if (std::find(cohort_fields().begin(), cohort_fields().end(), f) == cohort_fields().end()) {
      return r.bad("fields", "知らない項目です: " + f, "unknown field: " + f);
    }
  }
  TKM_ASSIGN_OR_RETURN(auto band, r.integer(doc, "age_band", "age_band", 1, 50));
  if (band) s.age_band = *band;
  TKM_ASSIGN_OR_RETURN(auto top, r.integer(doc, "top_code_age", "top_code_age", 1, 130));
  if (top) s.top_code_age = *top;
  TKM_ASSIGN_OR_RETURN(auto dates, r.text(doc, "dates", "dates"));
  if (dates) {
    if (*dates == "shift") {
      s.dates = DateHandling::shift;
    } else if (*dates == "index") {
      s.dates = DateHandling::index;
    } else if (*dates == "month") {
      s.dates = DateHandling::month;
    } else {
      return r.bad("dates", "shift, index, month のいずれかです", "one of shift, index, month");
    }
  }
  return s;
}

std::vector<std::string> spec_differences(const CohortSpec& approved, const CohortSpec& other) {
  std::vector<std::string> out;
  const json a = json::parse(approved.canonical());
  const json b = json::parse(other.canonical());
  for (const auto& [key, value] : a.items()) {
    if (b[key] != value) {
      out.push_back(fmt::format("{}: {} → {}", key, value.dump(), b[key].dump()));
    }
  }
  return out;
}

}  // namespace tokumei::release
