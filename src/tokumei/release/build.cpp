#include "tokumei/release/build.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "tokumei/anon/anonymizer.h"
#include "tokumei/anon/hierarchy_builders.h"
#include "tokumei/anon/report.h"
#include "tokumei/base/escape.h"
#include "tokumei/base/files.h"
#include "tokumei/base/id.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/identity/vault.h"
#include "tokumei/release/committee.h"
#include "tokumei/release/detail/common.h"

namespace tokumei::release {
namespace {

using nlohmann::json;

enum EventType : std::uint8_t {
  kEncounter,
  kDiagnosis,
  kPrescription,
  kInjection,
  kLab,
  kProcedure
};

// ----- days -----

std::int32_t day_number(std::string_view iso) {
  if (iso.size() < 10 || iso[4] != '-' || iso[7] != '-') return INT32_MIN;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(iso[i]))) return INT32_MIN;
  }
  int y = 0, m = 0, d = 0;
  for (int i = 0; i < 4; ++i) y = y * 10 + (iso[i] - '0');
  m = (iso[5] - '0') * 10 + (iso[6] - '0');
  d = (iso[8] - '0') * 10 + (iso[9] - '0');
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return INT32_MIN;
  return static_cast<std::int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

std::string day_text(std::int32_t n) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{n}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// Whole years from a birth date to a day; -1 when the birth date is unknown.
// Whole years from a birth date to a day; -1 when the birth date is unknown or not a date. A
// person born after `day` (during the period) is 0.
int age_at(const std::string& birth, std::string_view day) {
  if (day_number(birth) == INT32_MIN || day_number(day) == INT32_MIN) return -1;
  int age = std::stoi(std::string(day.substr(0, 4))) - std::stoi(birth.substr(0, 4));
  if (day.substr(5, 5) < std::string_view(birth).substr(5, 5)) --age;
  return age < 0 ? 0 : age;
}

bool looks_like_date(std::string_view v) {
  return v.size() >= 7 && std::isdigit(static_cast<unsigned char>(v[0])) &&
         std::isdigit(static_cast<unsigned char>(v[3])) && v[4] == '-' &&
         std::isdigit(static_cast<unsigned char>(v[5]));
}

std::string band(int age, int width, int top) {
  if (age < 0) return "unknown";
  if (age >= top) return fmt::format("{}-", top);
  const int lo = age / width * width;
  const int hi = std::min(lo + width, top) - 1;
  return fmt::format("{}-{}", lo, hi);
}

// ----- codes -----

struct CodeInfo {
  std::string system, code;
  std::string family;       // diagnosis, medication, lab, procedure, encounter
  std::vector<int> ladder;  // prefix lengths to generalize to, after the full code
};

std::string strip_dots(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c != '.') out += c;
  }
  return out;
}

bool starts_with_any(const std::string& code, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes) {
    if (code.starts_with(strip_dots(p))) return true;
  }
  return false;
}

// Per-person sets of diagnosis labels: k^m-anonymity by removing the rarest code of each set of up
// to m codes held by fewer than k persons. Returns how many (person, code) pairs were removed.
std::size_t enforce_km(std::vector<std::vector<std::uint32_t>>& sets, std::size_t labels, int k,
                       int m, int& rounds) {
  std::size_t removed = 0;
  rounds = 0;
  auto pack = [](std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    return (std::uint64_t(a) << 42) | (std::uint64_t(b) << 21) | std::uint64_t(c);
  };
  constexpr std::uint32_t kNone = (1u << 21) - 1;
  for (;;) {
    ++rounds;
    std::vector<std::uint32_t> single(labels, 0);
    for (const auto& s : sets) {
      for (auto c : s) ++single[c];
    }
    std::unordered_map<std::uint64_t, std::uint32_t> combos;
    if (m >= 2) {
      combos.reserve(sets.size() * 8);
      for (const auto& s : sets) {
        for (std::size_t i = 0; i < s.size(); ++i) {
          for (std::size_t j = i + 1; j < s.size(); ++j) {
            ++combos[pack(s[i], s[j], kNone)];
            if (m >= 3) {
              for (std::size_t l = j + 1; l < s.size(); ++l) ++combos[pack(s[i], s[j], s[l])];
            }
          }
        }
      }
    }
    const auto rarest = [&](std::initializer_list<std::uint32_t> codes) {
      std::uint32_t best = *codes.begin();
      for (auto c : codes) {
        if (single[c] < single[best] || (single[c] == single[best] && c > best)) best = c;
      }
      return best;
    };
    std::size_t removed_now = 0;
    for (auto& s : sets) {
      std::vector<std::uint32_t> drop;
      for (auto c : s) {
        if (single[c] < static_cast<std::uint32_t>(k)) drop.push_back(c);
      }
      if (m >= 2) {
        for (std::size_t i = 0; i < s.size(); ++i) {
          for (std::size_t j = i + 1; j < s.size(); ++j) {
            if (combos[pack(s[i], s[j], kNone)] < static_cast<std::uint32_t>(k)) {
              drop.push_back(rarest({s[i], s[j]}));
            }
            if (m >= 3) {
              for (std::size_t l = j + 1; l < s.size(); ++l) {
                if (combos[pack(s[i], s[j], s[l])] < static_cast<std::uint32_t>(k)) {
                  drop.push_back(rarest({s[i], s[j], s[l]}));
                }
              }
            }
          }
        }
      }
      if (drop.empty()) continue;
      std::sort(drop.begin(), drop.end());
      drop.erase(std::unique(drop.begin(), drop.end()), drop.end());
      std::vector<std::uint32_t> kept;
      std::set_difference(s.begin(), s.end(), drop.begin(), drop.end(), std::back_inserter(kept));
      removed_now += s.size() - kept.size();
      s = std::move(kept);
    }
    removed += removed_now;
    if (removed_now == 0) return removed;
  }
}

Result<ProcessingPlan> plan_from_json(const json& j, const std::string& file) {
  ProcessingPlan p;
  auto bad = [&](const std::string& key, const std::string& ja, const std::string& en) {
    return fail(Errc::invalid_input, {key + ": " + ja, key + ": " + en},
                Location{.file = file, .field = key});
  };
  for (const auto& [key, value] : j.items()) {
    if (key == "k" || key == "m" || key == "max_shift_days") {
      if (!value.is_number_integer()) return bad(key, "整数が必要です", "must be an integer");
      const auto v = value.get<std::int64_t>();
      if (key == "k") {
        if (v < 2 || v > 1000) return bad(key, "2〜1000 です", "is 2 to 1000");
        p.k = static_cast<int>(v);
      } else if (key == "m") {
        if (v < 1 || v > 3) return bad(key, "1〜3 です", "is 1 to 3");
        p.m = static_cast<int>(v);
      } else {
        if (v < 0 || v > 3650) return bad(key, "0〜3650 です", "is 0 to 3650");
        p.max_shift_days = static_cast<int>(v);
      }
    } else if (key == "suppression_limit") {
      if (!value.is_number()) return bad(key, "数値が必要です", "must be a number");
      const double v = value.get<double>();
      if (v < 0 || v > 0.5) return bad(key, "0〜0.5 です", "is 0 to 0.5");
      p.suppression_limit = v;
    } else {
      return bad(key, "知らない項目です", "unknown key");
    }
  }
  return p;
}

}  // namespace

json ProcessingPlan::to_json() const {
  return {{"k", k},
          {"m", m},
          {"suppression_limit", suppression_limit},
          {"max_shift_days", max_shift_days}};
}

Result<ProcessingPlan> parse_plan(std::string_view text, const std::string& file) {
  std::map<std::string, int> lines;
  TKM_ASSIGN_OR_RETURN(json doc, detail::read_document(text, file, lines));
  return plan_from_json(doc, file);
}

const std::vector<std::pair<std::string, std::string>>& event_types() {
  static const std::vector<std::pair<std::string, std::string>> types = {
      {"encounter", "encounter"},  {"diagnosis", "diagnosis"}, {"prescription", "medication"},
      {"injection", "medication"}, {"lab_result", "lab"},      {"procedure", "procedure"}};
  return types;
}

std::string output_hash(const std::map<std::string, std::string>& files) {
  crypto::Sha256 h;
  for (const auto& [name, content] : files) {
    h.update(as_bytes(name + "\n" + hex_encode(crypto::sha256(as_bytes(content))) + "\n"));
  }
  const auto d = h.finish();
  return hex_encode(d);
}

Result<Dataset> process(const Source& src, const CohortSpec& spec, const ProcessingPlan& plan,
                        ByteView pseudonym_key, ByteView seed) {
  const bool anonymized = spec.kind == DatasetKind::anonymized;
  const std::int32_t first_day = day_number(spec.period_from);
  const std::int32_t last_day = day_number(spec.period_to);

  // What each code is, and whether it matches the specification.
  std::vector<CodeInfo> codes(src.codes.size());
  for (std::size_t i = 0; i < src.codes.size(); ++i) {
    const auto sep = src.codes[i].find('\x1f');
    codes[i].system = src.codes[i].substr(0, sep);
    codes[i].code = sep == std::string::npos ? "" : src.codes[i].substr(sep + 1);
  }
  std::vector<std::uint8_t> is_dx(codes.size()), is_drug(codes.size()), is_lab(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::string c = codes[i].system == "ICD10" ? strip_dots(codes[i].code) : codes[i].code;
    is_dx[i] = codes[i].system == "ICD10" && starts_with_any(c, spec.diagnoses);
    is_drug[i] = starts_with_any(c, spec.drugs);
    is_lab[i] = starts_with_any(c, spec.labs);
  }
  const std::uint8_t need = (spec.diagnoses.empty() ? 0 : 1) | (spec.drugs.empty() ? 0 : 2) |
                            (spec.labs.empty() ? 0 : 4) | 8;
  std::vector<std::uint8_t> flags(src.persons.size(), 0);
  std::size_t events_in_period = 0;
  for (const auto& e : src.events) {
    if (e.day < first_day || e.day > last_day) continue;
    ++events_in_period;
    std::uint8_t f = 8;
    if (e.type == kDiagnosis && is_dx[e.code]) f |= 1;
    if ((e.type == kPrescription || e.type == kInjection) && is_drug[e.code]) f |= 2;
    if (e.type == kLab && is_lab[e.code]) f |= 4;
    flags[e.person] |= f;
  }
  std::vector<int> ages(src.persons.size(), -1);
  std::vector<std::uint8_t> selected(src.persons.size(), 0);
  std::size_t persons_selected = 0;
  for (std::size_t p = 0; p < src.persons.size(); ++p) {
    if ((flags[p] & need) != need) continue;
    ages[p] = age_at(src.persons[p].birth_date, spec.period_from);
    if ((spec.age_min || spec.age_max) && ages[p] < 0) continue;
    if (spec.age_min && ages[p] < *spec.age_min) continue;
    if (spec.age_max && ages[p] > *spec.age_max) continue;
    selected[p] = 1;
    ++persons_selected;
  }
  json report = {{"kind", dataset_kind_name(spec.kind)},
                 {"method_version", kMethodVersion},
                 {"persons_selected", persons_selected},
                 {"events_in_period", events_in_period}};
  bool passed = true;

  // The person-level columns.
  auto sex_of = [&](std::size_t p) {
    const auto& s = src.persons[p].sex;
    return s == "male" || s == "female" ? s : std::string("unknown");
  };
  auto pref_of = [&](std::size_t p) {
    return src.persons[p].prefecture.empty() ? std::string("unknown") : src.persons[p].prefecture;
  };
  std::vector<std::string> qi_names;
  for (const char* f : {"sex", "age", "prefecture"}) {
    if (spec.wants(f)) qi_names.push_back(f);
  }
  std::vector<std::uint32_t> persons;  // released, by index into src.persons
  std::vector<std::vector<std::string>> person_values(src.persons.size());
  for (std::size_t p = 0; p < src.persons.size(); ++p) {
    if (!selected[p]) continue;
    persons.push_back(static_cast<std::uint32_t>(p));
    for (const auto& q : qi_names) {
      if (q == "sex") person_values[p].push_back(sex_of(p));
      if (q == "age") {
        person_values[p].push_back(anonymized    ? band(ages[p], spec.age_band, spec.top_code_age)
                                   : ages[p] < 0 ? "unknown"
                                                 : std::to_string(ages[p]));
      }
      if (q == "prefecture") person_values[p].push_back(pref_of(p));
    }
  }

  if (anonymized && !qi_names.empty() && !persons.empty()) {
    anon::Table table(qi_names);
    table.reserve(persons.size());
    for (auto p : persons) table.add_row(person_values[p]);
    anon::AnonymizationSpec aspec;
    for (std::size_t c = 0; c < qi_names.size(); ++c) {
      std::set<std::string> distinct(table.column(c).dictionary.values().begin(),
                                     table.column(c).dictionary.values().end());
      std::vector<std::vector<std::string>> rows;
      if (qi_names[c] == "sex") {
        for (const auto& v : distinct) rows.push_back({v, "*"});
      } else if (qi_names[c] == "age") {
        std::set<std::string> seen;
        for (int a = 0; a <= 130; ++a) {
          const std::string b0 = band(a, spec.age_band, spec.top_code_age);
          if (!distinct.contains(b0) || !seen.insert(b0).second) continue;
          rows.push_back({b0, band(a, spec.age_band * 2, spec.top_code_age),
                          band(a, spec.age_band * 4, spec.top_code_age), "*"});
        }
        if (distinct.contains("unknown")) rows.push_back({"unknown", "unknown", "unknown", "*"});
      } else {
        std::vector<std::string> known;
        for (const auto& v : distinct) {
          if (v != "unknown") known.push_back(v);
        }
        if (!known.empty()) {
          TKM_ASSIGN_OR_RETURN(auto h, anon::build_prefecture_hierarchy(known));
          for (std::size_t r = 0; r < h.size(); ++r)
            rows.push_back({h.label(r, 0), h.label(r, 1), "*"});
        }
        if (distinct.contains("unknown")) rows.push_back({"unknown", "unknown", "*"});
      }
      TKM_ASSIGN_OR_RETURN(auto h, anon::GeneralizationHierarchy::from_rows(rows, qi_names[c]));
      aspec.attributes.push_back(
          {qi_names[c], anon::AttributeRole::quasi_identifying, std::move(h)});
    }
    aspec.model.k = plan.k;
    aspec.model.suppression_limit = plan.suppression_limit;
    aspec.threads = 1;
    if (static_cast<std::size_t>(plan.k) > persons.size()) {
      passed = false;
      persons.clear();
      report["k_anonymity"] = {{"found", false}, {"reason", "fewer persons than k"}};
    } else {
      TKM_ASSIGN_OR_RETURN(anon::Anonymization result, anon::anonymize(table, aspec));
      TKM_ASSIGN_OR_RETURN(anon::Table out, anon::apply_transformation(table, aspec, result));
      TKM_ASSIGN_OR_RETURN(anon::AnonymizationReport rep,
                           anon::make_report(table, aspec, result, 1.0 / plan.k));
      json kj = anon::report_json(rep);
      kj["found"] = result.found;
      passed = passed && result.found;
      report["k_anonymity"] = std::move(kj);
      // Persons the engine suppressed are left out, whole: a suppressed row has "*" for a
      // quasi-identifier whose chosen level is below its top (only the top level reads "*").
      // So are any in classes below k.
      std::map<std::vector<std::string>, std::size_t> sizes;
      std::vector<std::vector<std::string>> released(persons.size());
      std::vector<std::uint8_t> suppressed(persons.size(), 0);
      for (std::size_t r = 0; r < persons.size(); ++r) {
        for (std::size_t c = 0; c < qi_names.size(); ++c) {
          released[r].push_back(out.value(r, c));
          if (released[r].back() == "*" && result.best.levels[c] < result.max_levels[c]) {
            suppressed[r] = 1;
          }
        }
        if (!suppressed[r]) ++sizes[released[r]];
      }
      std::vector<std::uint32_t> kept;
      for (std::size_t r = 0; r < persons.size(); ++r) {
        if (!suppressed[r] && sizes[released[r]] >= static_cast<std::size_t>(plan.k)) {
          person_values[persons[r]] = released[r];
          kept.push_back(persons[r]);
        }
      }
      report["persons_suppressed"] = persons.size() - kept.size();
      persons = std::move(kept);
    }
  }
  if (anonymized && persons.size() < static_cast<std::size_t>(plan.k)) {
    // Fewer than k persons are never released, with or without person-level fields.
    passed = false;
    persons.clear();
  }
  std::vector<std::uint8_t> released_person(src.persons.size(), 0);
  for (auto p : persons) released_person[p] = 1;

  // Event types wanted.
  std::array<bool, 6> wanted{};
  for (std::size_t t = 0; t < event_types().size(); ++t)
    wanted[t] = spec.wants(event_types()[t].second);

  // Labels: the (possibly generalized) code of each code index per family.
  std::vector<std::uint32_t> events;  // indices into src.events that may be released
  events.reserve(src.events.size());
  for (std::uint32_t i = 0; i < src.events.size(); ++i) {
    const auto& e = src.events[i];
    if (e.day < first_day || e.day > last_day || !released_person[e.person] || e.type >= 6 ||
        !wanted[e.type]) {
      continue;
    }
    events.push_back(i);
    auto& info = codes[e.code];
    if (info.family.empty()) {
      info.family = event_types()[e.type].second;
      if (info.family == "diagnosis" && info.system == "ICD10") {
        info.code = strip_dots(info.code);
        info.ladder = {3};
      } else if (info.family == "medication") {
        info.ladder = {7, 4};
      } else if (info.family == "lab") {
        info.ladder = {5};
      }
    }
  }
  // Person-major order, so distinct persons are counted in one pass.
  std::stable_sort(events.begin(), events.end(), [&](std::uint32_t a, std::uint32_t b) {
    return src.events[a].person < src.events[b].person;
  });
  std::vector<int> level(codes.size(), 0);  // 0 = full code, i = ladder[i-1], -1 = suppressed
  auto label_of = [&](std::size_t c) -> std::string {
    const auto& info = codes[c];
    std::string code = info.code;
    if (level[c] > 0) {
      const auto n = static_cast<std::size_t>(info.ladder[level[c] - 1]);
      if (code.size() > n) code = code.substr(0, n);
    }
    return info.family + "\x1f" + info.system + "\x1f" + code;
  };
  std::size_t generalized = 0, suppressed_codes = 0, full_codes = 0;
  if (anonymized) {
    for (int round = 0; round < 4; ++round) {
      // Each code's current label as a number, then distinct persons per label in one pass.
      std::unordered_map<std::string, std::uint32_t> ids;
      std::vector<std::uint32_t> label(codes.size(), 0);
      for (std::size_t c = 0; c < codes.size(); ++c) {
        if (!codes[c].family.empty() && level[c] >= 0) {
          label[c] = ids.emplace(label_of(c), ids.size()).first->second;
        }
      }
      std::vector<std::uint32_t> support(ids.size(), 0), last(ids.size(), 0);
      for (auto i : events) {
        const auto& e = src.events[i];
        if (level[e.code] < 0) continue;
        const auto l = label[e.code];
        if (last[l] != e.person + 1) {
          ++support[l];
          last[l] = e.person + 1;
        }
      }
      bool changed = false;
      for (std::size_t c = 0; c < codes.size(); ++c) {
        if (codes[c].family.empty() || level[c] < 0) continue;
        if (support[label[c]] >= static_cast<std::uint32_t>(plan.k)) continue;
        changed = true;
        // The last round suppresses whatever is still rare.
        if (round < 3 && level[c] < static_cast<int>(codes[c].ladder.size())) {
          ++level[c];
        } else {
          level[c] = -1;
        }
      }
      if (!changed) break;
    }
  }
  // Label ids, ranked by their text so that the output order does not depend on input order.
  std::map<std::string, std::uint32_t> label_ids;
  std::vector<std::int64_t> code_label(codes.size(), -1);
  for (std::size_t c = 0; c < codes.size(); ++c) {
    if (codes[c].family.empty()) continue;
    if (level[c] < 0) {
      ++suppressed_codes;
      continue;
    }
    (level[c] == 0 ? full_codes : generalized) += 1;
    code_label[c] = label_ids.emplace(label_of(c), 0).first->second;
  }
  std::vector<std::string> label_text;
  {
    std::uint32_t rank = 0;
    for (auto& [text, id] : label_ids) {
      id = rank++;
      label_text.push_back(text);
    }
    for (std::size_t c = 0; c < codes.size(); ++c) {
      if (code_label[c] >= 0) code_label[c] = label_ids.at(label_of(c));
    }
  }

  // k^m-anonymity of the diagnosis sets.
  std::size_t km_removed = 0;
  int km_rounds = 0;
  std::vector<std::vector<std::uint32_t>> dx_sets;
  std::unordered_map<std::uint32_t, std::uint32_t> set_of;  // person → index into dx_sets
  if (anonymized && spec.wants("diagnosis")) {
    for (auto p : persons) {
      set_of[p] = static_cast<std::uint32_t>(dx_sets.size());
      dx_sets.emplace_back();
    }
    for (auto i : events) {
      const auto& e = src.events[i];
      if (e.type == kDiagnosis && code_label[e.code] >= 0) {
        dx_sets[set_of[e.person]].push_back(static_cast<std::uint32_t>(code_label[e.code]));
      }
    }
    for (auto& s : dx_sets) {
      std::sort(s.begin(), s.end());
      s.erase(std::unique(s.begin(), s.end()), s.end());
    }
    if (label_text.size() >= (1u << 21) - 1) {
      return fail(Errc::invalid_input, {"診断コードの種類が多すぎます", "too many distinct codes"});
    }
    km_removed = enforce_km(dx_sets, label_text.size(), plan.k, plan.m, km_rounds);
  }
  report["codes"] = {{"full", full_codes},
                     {"generalized", generalized},
                     {"suppressed", suppressed_codes},
                     {"k", plan.k}};
  report["km_anonymity"] = {{"k", plan.k},
                            {"m", plan.m},
                            {"applied", anonymized && spec.wants("diagnosis")},
                            {"rounds", km_rounds},
                            {"codes_removed_from_persons", km_removed}};

  // Pseudonyms, date offsets and index days.
  std::vector<std::string> pseudonym(src.persons.size());
  std::vector<std::int32_t> offset(src.persons.size(), 0), index_day(src.persons.size(), INT32_MAX);
  for (auto p : persons) {
    pseudonym[p] =
        hex_encode(crypto::hmac_sha256(pseudonym_key, as_bytes(src.persons[p].key))).substr(0, 20);
    const auto mac = crypto::hmac_sha256(seed, as_bytes("shift\x1f" + src.persons[p].key));
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v = (v << 8) | mac[b];
    offset[p] =
        plan.max_shift_days == 0
            ? 0
            : static_cast<std::int32_t>(v % (2 * plan.max_shift_days + 1)) - plan.max_shift_days;
  }
  struct Out {
    std::uint32_t person;
    std::int32_t day;
    std::uint8_t type;
    std::uint32_t label;
    std::uint32_t value;
  };
  std::vector<Out> out;
  out.reserve(events.size());
  for (auto i : events) {
    const auto& e = src.events[i];
    if (code_label[e.code] < 0) continue;
    const auto label = static_cast<std::uint32_t>(code_label[e.code]);
    if (e.type == kDiagnosis && !dx_sets.empty() &&
        !std::binary_search(dx_sets[set_of[e.person]].begin(), dx_sets[set_of[e.person]].end(),
                            label)) {
      continue;
    }
    out.push_back({e.person, e.day, e.type, label, e.value});
    index_day[e.person] = std::min(index_day[e.person], e.day);
  }
  // Value ranks by text.
  std::vector<std::uint32_t> value_rank(src.values.size(), 0);
  {
    std::vector<std::uint32_t> order(src.values.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](auto a, auto b) { return src.values[a] < src.values[b]; });
    for (std::uint32_t r = 0; r < order.size(); ++r) value_rank[order[r]] = r;
  }
  std::sort(persons.begin(), persons.end(),
            [&](auto a, auto b) { return pseudonym[a] < pseudonym[b]; });
  std::vector<std::uint32_t> person_rank(src.persons.size(), 0);
  for (std::uint32_t r = 0; r < persons.size(); ++r) person_rank[persons[r]] = r;
  auto out_day = [&](const Out& o) -> std::int64_t {
    switch (spec.dates) {
      case DateHandling::shift:
        return o.day + offset[o.person];
      case DateHandling::index:
        return o.day - index_day[o.person];
      case DateHandling::month:
        return o.day;
    }
    return o.day;
  };
  std::sort(out.begin(), out.end(), [&](const Out& a, const Out& b) {
    if (a.person != b.person) return person_rank[a.person] < person_rank[b.person];
    if (a.day != b.day) return a.day < b.day;
    if (a.type != b.type) return a.type < b.type;
    if (a.label != b.label) return a.label < b.label;
    return value_rank[a.value] < value_rank[b.value];
  });

  Dataset ds;
  std::string persons_csv = "pseudonym";
  for (const auto& q : qi_names) persons_csv += "," + q;
  persons_csv += "\n";
  for (auto p : persons) {
    persons_csv += pseudonym[p];
    for (const auto& v : person_values[p]) persons_csv += "," + csv_field(v);
    persons_csv += "\n";
  }
  const char* day_column = spec.dates == DateHandling::index   ? "days_from_index"
                           : spec.dates == DateHandling::month ? "month"
                                                               : "date";
  std::string events_csv =
      fmt::format("pseudonym,type,code_system,code,{},value,unit\n", day_column);
  events_csv.reserve(out.size() * 64);
  std::size_t released_events = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Out& o = out[i];
    // The same generalized event twice on one day is one row.
    if (i > 0 && o.person == out[i - 1].person && o.day == out[i - 1].day &&
        o.type == out[i - 1].type && o.label == out[i - 1].label && o.value == out[i - 1].value) {
      continue;
    }
    const std::string& text = label_text[o.label];
    const auto s1 = text.find('\x1f');
    const auto s2 = text.find('\x1f', s1 + 1);
    std::string value = src.values[o.value];
    if (o.type == kEncounter) {
      // An encounter's value is its end: a date, handled like every other date.
      const std::int32_t end = day_number(value);
      value = end == INT32_MIN                    ? std::string()
              : spec.dates == DateHandling::index ? std::to_string(end - index_day[o.person])
              : spec.dates == DateHandling::month ? day_text(end).substr(0, 7)
                                                  : day_text(end + offset[o.person]);
      value += '\x1f';
    } else if (looks_like_date(value)) {
      value.clear();  // no other value is a date; if one is, it does not leave shifted dates behind
    }
    const auto vs = value.find('\x1f');
    const std::int64_t d = out_day(o);
    events_csv += pseudonym[o.person];
    events_csv += ',';
    events_csv += event_types()[o.type].first;
    events_csv += ',';
    events_csv += csv_field(text.substr(s1 + 1, s2 - s1 - 1));
    events_csv += ',';
    events_csv += csv_field(text.substr(s2 + 1));
    events_csv += ',';
    events_csv += spec.dates == DateHandling::index ? std::to_string(d)
                  : spec.dates == DateHandling::month
                      ? day_text(static_cast<std::int32_t>(d)).substr(0, 7)
                      : day_text(static_cast<std::int32_t>(d));
    events_csv += ',';
    events_csv += csv_field(value.substr(0, vs));
    events_csv += ',';
    events_csv += csv_field(vs == std::string::npos ? "" : value.substr(vs + 1));
    events_csv += '\n';
    ++released_events;
  }
  json dictionary = {
      {"label", dataset_kind_label(spec.kind)},
      {"kind", dataset_kind_name(spec.kind)},
      {"method_version", kMethodVersion},
      {"specification", json::parse(spec.canonical())},
      {"files",
       {{"persons.csv",
         {{"pseudonym",
           "この提供に限って使う仮名 (他の提供とは突き合わせられない) / a pseudonym for this "
           "provision only"},
          {"sex", "male, female, unknown"},
          {"age",
           anonymized
               ? fmt::format(
                     "期間開始日の年齢 ({}歳幅、{}歳以上は一括) / age band at the period's start",
                     spec.age_band, spec.top_code_age)
               : "期間開始日の年齢 / age at the period's start"},
          {"prefecture", "住所の都道府県 (または地方) / prefecture (or region) of the address"}}},
        {"events.csv",
         {{"pseudonym", "persons.csv の仮名 / the person's pseudonym"},
          {"type", "encounter, diagnosis, prescription, injection, lab_result, procedure"},
          {"code_system", "ICD10, YJ, HOT, JLAC10, LOINC, … (提供元の体系)"},
          {"code", anonymized ? "少数の者しか持たないコードは上位に一般化または削除 / rare codes "
                                "generalized or removed"
                              : "コード / code"},
          {day_column, spec.dates == DateHandling::shift
                           ? "者ごとの乱数で前後にずらした日付 / date shifted per person"
                       : spec.dates == DateHandling::index
                           ? "その者の最初の事象からの日数 / days from the person's first event"
                           : "年月 / year and month"},
          {"value", "検査値 / lab value"},
          {"unit", "単位 / unit"}}}}}};
  ds.files["persons.csv"] = std::move(persons_csv);
  ds.files["events.csv"] = std::move(events_csv);
  ds.files["dictionary.json"] = dictionary.dump(2) + "\n";
  ds.persons = persons.size();
  ds.events = released_events;
  ds.released = persons;
  report["persons_released"] = ds.persons;
  report["events_released"] = ds.events;
  report["utility"] = {
      {"persons_retained",
       persons_selected == 0 ? 0.0 : double(ds.persons) / double(persons_selected)},
      {"codes_full_precision",
       full_codes + generalized + suppressed_codes == 0
           ? 1.0
           : double(full_codes) / double(full_codes + generalized + suppressed_codes)}};
  if (anonymized && ds.persons == 0) passed = false;
  report["risk_passed"] = passed;
  ds.report = std::move(report);
  ds.risk_passed = passed;
  return ds;
}

// ----- the store -----

Result<std::vector<std::string>> datasets_holding(store::Database& db,
                                                  const std::vector<std::string>& person_keys) {
  std::set<std::string> out;
  for (const auto& key : person_keys) {
    TKM_ASSIGN_OR_RETURN(
        store::Rows rows,
        db.query("SELECT p.dataset FROM release_build_members m JOIN "
                 "release_packages p ON p.build_id = m.build_id JOIN "
                 "release_releases r ON r.package_id = p.id WHERE m.person_key = ?",
                 {key}));
    for (const auto& r : rows) out.insert(r.text(0));
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<Source> Builds::load(const CohortSpec& spec, const std::vector<std::int64_t>& only,
                            std::vector<std::int64_t>& batches_read) {
  std::string institutions;
  for (const auto& i : spec.institutions) {
    institutions += (institutions.empty() ? "" : ",") + std::string("'") + i + "'";
  }
  for (const auto& i : spec.institutions) {
    for (char c : i) {
      if (c < '0' || c > '9') {
        return fail(Errc::invalid_input,
                    {"医療機関コードが正しくありません: " + i, "not an institution code: " + i},
                    Location{.field = "institutions"});
      }
    }
  }
  std::string sql =
      "SELECT id FROM ingest_batches WHERE state = 'acquired'" +
      (institutions.empty() ? std::string() : " AND institution IN (" + institutions + ")") +
      " ORDER BY id";
  TKM_ASSIGN_OR_RETURN(store::Rows batch_rows, ctx_.db.query(sql));
  batches_read.clear();
  for (const auto& r : batch_rows) {
    if (only.empty() || std::find(only.begin(), only.end(), r.integer(0)) != only.end()) {
      batches_read.push_back(r.integer(0));
    }
  }
  Source src;
  src.values.push_back("");
  std::unordered_map<std::string, std::uint32_t> person_index, code_index, value_index;
  std::unordered_map<std::string, std::string> linked;
  TKM_ASSIGN_OR_RETURN(store::Rows links,
                       ctx_.db.query("SELECT person_key, linked_key FROM link_members"));
  for (const auto& r : links) linked[r.text(0)] = r.text(1);
  std::unordered_map<std::string, std::vector<std::string>> members;  // linked key → person keys
  const std::string from = spec.period_from;
  const std::string to = spec.period_to + "~";
  std::string code_key;
  std::unordered_map<std::string, std::uint8_t> type_index;
  for (std::size_t t = 0; t < event_types().size(); ++t) type_index[event_types()[t].first] = t;
  std::unordered_set<std::string> erased;
  TKM_ASSIGN_OR_RETURN(store::Rows erased_rows,
                       ctx_.db.query("SELECT person_key FROM identity_erased"));
  for (const auto& r : erased_rows) erased.insert(r.text(0));
  constexpr std::int64_t kPage = 100000;
  for (auto batch : batches_read) {
    for (std::int64_t after = 0;;) {
      TKM_ASSIGN_OR_RETURN(
          store::Rows rows,
          ctx_.db.query("SELECT id, person_key, type, code_system, code, date, value, unit FROM "
                        "ingest_events WHERE batch_id = ? AND id > ? AND withdrawn = 0 ORDER BY "
                        "id LIMIT ?",
                        {batch, after, kPage}));
      if (rows.empty()) break;
      after = rows.back().integer(0);
      for (const auto& r : rows) {
        const std::string& date = r.text(5);
        if (date < from || date > to) continue;
        const auto t = type_index.find(r.text(2));
        if (t == type_index.end()) continue;
        const std::string& key = r.text(1);
        if (erased.contains(key)) continue;
        const auto l = linked.find(key);
        const std::string& person = l == linked.end() ? key : l->second;
        auto [pit, new_person] = person_index.emplace(person, src.persons.size());
        if (new_person)
          src.persons.push_back({.key = person, .birth_date = "", .sex = "", .prefecture = ""});
        auto& keys = members[person];
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
        code_key.assign(r.text(3));
        code_key += '\x1f';
        code_key += r.text(4);
        auto [cit, new_code] = code_index.emplace(code_key, src.codes.size());
        if (new_code) src.codes.push_back(cit->first);
        std::uint32_t value = 0;
        if (!r.text(6).empty() || !r.text(7).empty()) {
          code_key.assign(r.text(6));
          code_key += '\x1f';
          code_key += r.text(7);
          auto [vit, new_value] = value_index.emplace(code_key, src.values.size());
          if (new_value) src.values.push_back(vit->first);
          value = vit->second;
        }
        src.events.push_back({.person = pit->second,
                              .type = t->second,
                              .code = cit->second,
                              .day = day_number(date),
                              .value = value});
      }
      if (static_cast<std::int64_t>(rows.size()) < kPage) break;
    }
  }
  // Demographics from the vault: the newest identity of any record of the person.
  identity::IdentityVault vault(ctx_.db, ctx_.keys, ctx_.clock, random_);
  for (auto& p : src.persons) {
    p.records = members[p.key];
    for (const auto& key : p.records) {
      auto versions = vault.versions(key);
      if (!versions || versions->empty()) continue;
      const auto& id = versions->back();
      if (p.birth_date.empty()) p.birth_date = id.birth_date;
      if (p.sex.empty() || p.sex == "unknown") p.sex = std::string(model::sex_name(id.sex));
      if (p.prefecture.empty()) p.prefecture = std::string(anon::prefecture_of(id.address));
    }
  }
  return src;
}

Result<BuildRecord> Builds::build(const audit::Actor& by, std::int64_t request_id,
                                  const ProcessingPlan& plan, const std::string& seed_hex) {
  Bytes seed(32);
  if (seed_hex.empty()) {
    random_.fill(seed);
  } else {
    auto s = hex_decode(seed_hex);
    if (!s || s->size() != 32) {
      return fail(Errc::invalid_input, {"シードは64桁の16進数です", "a seed is 64 hex digits"},
                  Location{.field = "seed"});
    }
    seed = *s;
  }
  return run(by, request_id, plan, seed, {}, "build.create", std::nullopt);
}

Result<BuildRecord> Builds::rebuild(const audit::Actor& by, std::int64_t build_id) {
  TKM_ASSIGN_OR_RETURN(BuildRecord old, get(build_id));
  TKM_ASSIGN_OR_RETURN(ProcessingPlan p, plan(build_id));
  auto row =
      ctx_.db.query_one("SELECT seed_sealed, folder FROM release_builds WHERE id = ?", {build_id});
  if (!row) return std::unexpected(row.error());
  TKM_ASSIGN_OR_RETURN(Bytes seed,
                       ctx_.keys.open("build:" + row->text(1), as_bytes("seed"), row->blob(0)));
  TKM_ASSIGN_OR_RETURN(BuildRecord again,
                       run(by, old.request_id, p, seed, old.batches, "build.rebuild", build_id));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(detail::log(
      ctx_.audit, tx, by, "build.reproduce", fmt::format("build:{}", build_id),
      {{"rebuild", again.id}, {"same_hash", again.output_hash == old.output_hash}},
      again.output_hash == old.output_hash ? audit::Outcome::success : audit::Outcome::failure));
  TKM_RETURN_IF_ERROR(tx.commit());
  return again;
}

Result<BuildRecord> Builds::run(const audit::Actor& by, std::int64_t request_id,
                                const ProcessingPlan& plan, const Bytes& seed,
                                const std::vector<std::int64_t>& batches, const char* action,
                                std::optional<std::int64_t> rebuild_of) {
  Committee committee(ctx_);
  TKM_ASSIGN_OR_RETURN(Request q, committee.request(request_id));
  const std::string today = japanese_day(ctx_.clock.now());
  // Only an approved request's specification is built (REVIEW-05, ANON-05).
  TKM_ASSIGN_OR_RETURN(Decision approval,
                       committee.check_approval(request_id, q.recipient, q.spec_hash, today));
  (void)approval;
  std::vector<std::int64_t> read;
  TKM_ASSIGN_OR_RETURN(Source src, load(q.spec, batches, read));
  // The pseudonym key of this request for this recipient: never stored, never released.
  const std::string pseudonym_purpose = "pseudonym:" + q.recipient;
  TKM_RETURN_IF_ERROR(ctx_.keys.ensure_key(pseudonym_purpose));
  TKM_ASSIGN_OR_RETURN(
      auto pkey,
      ctx_.keys.blind_index(pseudonym_purpose,
                            as_bytes(fmt::format("request:{}:{}", request_id, hex_encode(seed)))));
  TKM_ASSIGN_OR_RETURN(Dataset ds, process(src, q.spec, plan, pkey, seed));

  BuildRecord rec{.request_id = request_id,
                  .recipient = q.recipient,
                  .kind = q.spec.kind,
                  .spec_hash = q.spec.hash(),
                  .method_version = kMethodVersion,
                  .output_hash = output_hash(ds.files),
                  .persons = ds.persons,
                  .events = ds.events,
                  .risk_passed = ds.risk_passed,
                  .report = ds.report,
                  .batches = read,
                  .built_by = by.user,
                  .at = ctx_.clock.now()};
  const std::string folder = new_id(ctx_.clock, random_);
  const std::string purpose = "build:" + folder;
  TKM_RETURN_IF_ERROR(ctx_.keys.ensure_key(purpose));
  std::error_code ec;
  std::filesystem::create_directories(folder_ / folder, ec);
  if (ec) {
    return fail(Errc::io,
                {"出力フォルダを作れません: " + ec.message(),
                 "cannot create the output folder: " + ec.message()},
                Location{.file = (folder_ / folder).string()});
  }
  std::filesystem::permissions(folder_ / folder, std::filesystem::perms::owner_all, ec);
  json files = json::array();
  for (const auto& [name, content] : ds.files) {
    TKM_ASSIGN_OR_RETURN(Bytes sealed, ctx_.keys.seal(purpose, as_bytes(name), as_bytes(content)));
    TKM_RETURN_IF_ERROR(write_file_atomic(folder_ / folder / (name + ".sealed"), sealed, 0600));
    BuildFile f{name, hex_encode(crypto::sha256(as_bytes(content))), content.size()};
    files.push_back({{"name", f.name}, {"sha256", f.sha256}, {"size", f.size}});
    rec.files.push_back(f);
  }
  TKM_ASSIGN_OR_RETURN(Bytes plan_sealed,
                       ctx_.keys.seal(purpose, as_bytes("plan"), as_bytes(plan.to_json().dump())));
  TKM_ASSIGN_OR_RETURN(Bytes seed_sealed, ctx_.keys.seal(purpose, as_bytes("seed"), seed));
  // The report names the plan's parameters (k, m, the suppression limit): sealed too.
  TKM_ASSIGN_OR_RETURN(Bytes report_sealed,
                       ctx_.keys.seal(purpose, as_bytes("report"), as_bytes(rec.report.dump())));
  const json batches_json = read;
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(
      auto id,
      ctx_.db.insert(
          "INSERT INTO release_builds (folder, request_id, recipient, kind, spec_hash, "
          "method_version, plan_sealed, seed_sealed, batches, report, risk_passed, output_hash, "
          "persons, events, files, built_by, at_ms, rebuild_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {folder, request_id, q.recipient, std::string(dataset_kind_name(q.spec.kind)),
           rec.spec_hash, rec.method_version, plan_sealed, seed_sealed, batches_json.dump(),
           base64_encode(report_sealed), static_cast<std::int64_t>(rec.risk_passed),
           rec.output_hash, static_cast<std::int64_t>(rec.persons),
           static_cast<std::int64_t>(rec.events), files.dump(), by.user, to_unix_ms(rec.at),
           rebuild_of ? store::Value(*rebuild_of) : store::Value(nullptr)}));
  rec.id = id.value_or(0);
  // Which records went into the build: what an opt-out later reports, and what the release gate
  // checks against opt-outs made since.
  {
    constexpr std::size_t kRows = 250;  // rows per statement
    std::vector<store::Value> params;
    auto flush = [&]() -> Status {
      if (params.empty()) return {};
      std::string sql = "INSERT INTO release_build_members (build_id, person_key) VALUES ";
      for (std::size_t r = 0; r < params.size() / 2; ++r) sql += r == 0 ? "(?, ?)" : ", (?, ?)";
      TKM_RETURN_IF_ERROR(ctx_.db.execute(sql, params));
      params.clear();
      return {};
    };
    for (auto p : ds.released) {
      for (const auto& key : src.persons[p].records) {
        params.push_back(rec.id);
        params.push_back(key);
        if (params.size() == 2 * kRows) TKM_RETURN_IF_ERROR(flush());
      }
    }
    TKM_RETURN_IF_ERROR(flush());
  }
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, action, fmt::format("build:{}", rec.id),
                                  {{"request", request_id},
                                   {"recipient", q.recipient},
                                   {"kind", dataset_kind_name(q.spec.kind)},
                                   {"method_version", rec.method_version},
                                   {"spec_hash", rec.spec_hash},
                                   {"batches", batches_json},
                                   {"output_hash", rec.output_hash},
                                   {"persons", rec.persons},
                                   {"events", rec.events},
                                   {"risk_passed", rec.risk_passed}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return rec;
}

Result<BuildRecord> Builds::get(std::int64_t id) {
  auto row = ctx_.db.query_one(
      "SELECT id, request_id, recipient, kind, spec_hash, method_version, output_hash, persons, "
      "events, risk_passed, report, files, batches, built_by, at_ms, folder FROM release_builds "
      "WHERE id = ?",
      {id});
  if (!row) {
    if (row.error().code() != Errc::not_found) return std::unexpected(row.error());
    return fail(Errc::not_found,
                {fmt::format("データセット {} はありません", id), fmt::format("no build {}", id)});
  }
  BuildRecord r{.id = row->integer(0),
                .request_id = row->integer(1),
                .recipient = row->text(2),
                .kind = *parse_dataset_kind(row->text(3)),
                .spec_hash = row->text(4),
                .method_version = row->text(5),
                .output_hash = row->text(6),
                .persons = static_cast<std::size_t>(row->integer(7)),
                .events = static_cast<std::size_t>(row->integer(8)),
                .risk_passed = row->integer(9) != 0,
                .report = json::object(),
                .batches = json::parse(row->text(12)).get<std::vector<std::int64_t>>(),
                .built_by = row->text(13),
                .at = from_unix_ms(row->integer(14))};
  TKM_ASSIGN_OR_RETURN(Bytes sealed, base64_decode(row->text(10)));
  TKM_ASSIGN_OR_RETURN(Bytes report,
                       ctx_.keys.open("build:" + row->text(15), as_bytes("report"), sealed));
  r.report = json::parse(std::string(report.begin(), report.end()));
  for (const auto& f : json::parse(row->text(11))) {
    r.files.push_back({f["name"], f["sha256"], f["size"]});
  }
  return r;
}

Result<std::vector<BuildRecord>> Builds::list() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT id FROM release_builds ORDER BY id"));
  std::vector<BuildRecord> out;
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(auto b, get(r.integer(0)));
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::string> Builds::read_output(std::int64_t build_id, const std::string& name) {
  auto row = ctx_.db.query_one("SELECT folder FROM release_builds WHERE id = ?", {build_id});
  if (!row) {
    return fail(Errc::not_found, {fmt::format("データセット {} はありません", build_id),
                                  fmt::format("no build {}", build_id)});
  }
  const std::string folder = row->text(0);
  TKM_ASSIGN_OR_RETURN(std::string sealed, read_file(folder_ / folder / (name + ".sealed")));
  TKM_ASSIGN_OR_RETURN(Bytes plain,
                       ctx_.keys.open("build:" + folder, as_bytes(name), as_bytes(sealed)));
  return std::string(plain.begin(), plain.end());
}

Result<ProcessingPlan> Builds::plan(std::int64_t build_id) {
  auto row =
      ctx_.db.query_one("SELECT plan_sealed, folder FROM release_builds WHERE id = ?", {build_id});
  if (!row) {
    return fail(Errc::not_found, {fmt::format("データセット {} はありません", build_id),
                                  fmt::format("no build {}", build_id)});
  }
  TKM_ASSIGN_OR_RETURN(Bytes plain,
                       ctx_.keys.open("build:" + row->text(1), as_bytes("plan"), row->blob(0)));
  return parse_plan(std::string(plain.begin(), plain.end()));
}

}  // namespace tokumei::release
