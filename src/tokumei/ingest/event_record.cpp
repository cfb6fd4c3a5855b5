#include "tokumei/ingest/event_record.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>

#include "tokumei/base/json_text.h"

namespace tokumei::ingest {

namespace {

// Writes one JSON object field by field. Strings are escaped as JSON requires; a byte that is
// not UTF-8 becomes U+FFFD when `sanitize` is set (the readers give UTF-8, so this is the rare
// second pass after a check of the whole record failed).
class Writer {
 public:
  Writer(std::string& out, bool sanitize) : out_(out), sanitize_(sanitize) {
    out_.clear();
    out_ += '{';
  }
  ~Writer() { out_ += '}'; }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void str(std::string_view k, std::string_view v) {
    key(k);
    quoted(v);
  }
  void integer(std::string_view k, std::int64_t v) {
    key(k);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  // Shortest text that reads back exactly, in exponent form where plain digits would be long
  // (simdjson refuses integers of 2^64 and more); JSON has no NaN or infinity: those are null.
  void real(std::string_view k, double v) {
    key(k);
    if (!std::isfinite(v)) {
      out_ += "null";
      return;
    }
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
    out_.append(buf, r.ptr);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void code(std::string_view k, const model::Code& c) {
    key(k);
    out_ += "{\"system\":";
    quoted(c.system);
    out_ += ",\"code\":";
    quoted(c.code);
    out_ += ",\"display\":";
    quoted(c.display);
    out_ += '}';
  }
  void strings(std::string_view k, const std::vector<std::string>& v) {
    key(k);
    out_ += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out_ += ',';
      quoted(v[i]);
    }
    out_ += ']';
  }
  void source(const model::SourceRef& s, std::string_view source_key) {
    str("source_key", source_key);
    key("source");
    out_ += "{\"file\":";
    quoted(s.file);
    out_ += ",\"line\":";
    out_ += std::to_string(s.line);
    out_ += ",\"offset\":";
    out_ += std::to_string(s.offset);
    out_ += ",\"element\":";
    quoted(s.element);
    out_ += '}';
  }

 private:
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  void quoted(std::string_view v) { append_json_string(out_, v, sanitize_); }

  std::string& out_;
  bool sanitize_;
  bool first_ = true;
};

// Writes with `write`, and again sanitizing when the result is not UTF-8.
template <typename F>
void encode(std::string& out, F&& write) {
  {
    Writer w(out, false);
    write(w);
  }
  if (simdjson::validate_utf8(out.data(), out.size())) return;
  Writer w(out, true);
  write(w);
}

void medication(Writer& w, const model::Medication& m) {
  w.code("drug", m.drug);
  if (m.dose) w.real("dose", *m.dose);
  w.str("unit", m.dose_unit);
  if (m.days) w.integer("days", *m.days);
  w.str("start", m.start);
  if (!m.encounter_key.empty()) w.str("encounter", m.encounter_key);
  w.source(m.source, m.source_key);
}

}  // namespace

std::string_view event_type(const model::Encounter&) { return "encounter"; }
std::string_view event_type(const model::Diagnosis&) { return "diagnosis"; }
std::string_view event_type(const model::Medication& m) {
  return m.kind == model::MedicationKind::injection ? "injection" : "prescription";
}
std::string_view event_type(const model::LabResult&) { return "lab_result"; }
std::string_view event_type(const model::Procedure&) { return "procedure"; }
std::string_view event_type(const model::ClaimVisit&) { return "claim_visit"; }
std::string_view event_type(const Event& event) {
  return std::visit([](const auto& e) { return event_type(e); }, event);
}

void encode_event(const model::Encounter& e, std::string& out) {
  encode(out, [&](Writer& w) {
    w.str("kind", model::encounter_kind_name(e.kind));
    w.str("start", e.start);
    w.str("end", e.end);
    w.code("department", e.department);
    if (!e.visit.empty()) w.str("visit", e.visit);
    w.source(e.source, e.source_key);
  });
}

void encode_event(const model::Diagnosis& d, std::string& out) {
  encode(out, [&](Writer& w) {
    w.code("code", d.code);
    w.code("disease", d.disease);
    w.boolean("suspected", d.suspected);
    w.str("outcome", d.outcome);
    w.str("onset", d.onset);
    w.str("end", d.end);
    w.str("recorded", d.recorded);
    w.source(d.source, d.source_key);
  });
}

void encode_event(const model::Medication& m, std::string& out) {
  encode(out, [&](Writer& w) { medication(w, m); });
}

void encode_event(const model::LabResult& l, std::string& out) {
  encode(out, [&](Writer& w) {
    w.code("test", l.test);
    w.str("value", l.value);
    if (l.numeric) w.real("numeric", *l.numeric);
    w.str("unit", l.unit);
    w.str("reference_range", l.reference_range);
    w.str("flag", l.abnormal_flag);
    w.str("observed", l.observed);
    if (!l.encounter_key.empty()) w.str("encounter", l.encounter_key);
    w.source(l.source, l.source_key);
  });
}

void encode_event(const model::Procedure& p, std::string& out) {
  encode(out, [&](Writer& w) {
    w.code("code", p.code);
    w.str("performed", p.performed);
    if (!p.encounter_key.empty()) w.str("encounter", p.encounter_key);
    w.source(p.source, p.source_key);
  });
}

void encode_event(const model::ClaimVisit& v, std::string& out) {
  encode(out, [&](Writer& w) {
    w.str("month", v.claim_month);
    w.strings("dates", v.visit_dates);
    w.source(v.source, v.source_key);
  });
}

namespace {

using simdjson::dom::element;

// Reads fields of one record; the first missing or mistyped one is kept as the error.
class Reader {
 public:
  explicit Reader(element root) : root_(root) {}

  std::string str(const char* k) { return std::string(view(root_, k)); }
  // A text field records written before it existed do not have: empty then.
  std::string optional_str(const char* k) {
    auto field = root_[k];
    if (field.error() == simdjson::NO_SUCH_FIELD) return {};
    std::string_view v;
    take(field.get(v), k);
    return std::string(v);
  }
  model::Code code(const char* k) {
    element c;
    if (!take(root_[k].get(c), k)) return {};
    return {.system = std::string(view(c, "system", k)),
            .code = std::string(view(c, "code", k)),
            .display = std::string(view(c, "display", k))};
  }
  bool boolean(const char* k) {
    bool v = false;
    take(root_[k].get(v), k);
    return v;
  }
  std::optional<double> optional_real(const char* k) {
    double v = 0;
    auto field = root_[k];
    if (field.error() == simdjson::NO_SUCH_FIELD || field.is_null()) return std::nullopt;
    if (!take(field.get(v), k)) return std::nullopt;
    return v;
  }
  std::optional<int> optional_int(const char* k) {
    std::int64_t v = 0;
    auto field = root_[k];
    if (field.error() == simdjson::NO_SUCH_FIELD) return std::nullopt;
    if (!take(field.get(v), k)) return std::nullopt;
    return static_cast<int>(v);
  }
  std::vector<std::string> strings(const char* k) {
    std::vector<std::string> out;
    simdjson::dom::array a;
    if (!take(root_[k].get(a), k)) return out;
    for (element x : a) {
      std::string_view s;
      if (take(x.get(s), k)) out.emplace_back(s);
    }
    return out;
  }
  // The source reference and the source key, into any event type.
  template <typename T>
  void source(T& event) {
    event.source_key = str("source_key");
    element s;
    if (!take(root_["source"].get(s), "source")) return;
    std::int64_t line = 0, offset = -1;
    take(s["line"].get(line), "source.line");
    take(s["offset"].get(offset), "source.offset");
    event.source = {.file = std::string(view(s, "file", "source")),
                    .line = static_cast<int>(line),
                    .offset = offset,
                    .element = std::string(view(s, "element", "source"))};
  }
  const std::optional<Error>& error() const { return error_; }

 private:
  std::string_view view(element e, const char* k, const char* where = nullptr) {
    std::string_view v;
    take(e[k].get(v), where ? where : k);
    return v;
  }
  bool take(simdjson::error_code code, const char* k) {
    if (code == simdjson::SUCCESS) return true;
    if (!error_) {
      error_ = Error(
          Errc::integrity,
          {std::string("保存された記録の項目が読めません (") + simdjson::error_message(code) + ")",
           std::string("a field of a stored record cannot be read (") +
               simdjson::error_message(code) + ")"},
          Location{.field = k});
    }
    return false;
  }

  element root_;
  std::optional<Error> error_;
};

std::optional<model::EncounterKind> encounter_kind(std::string_view name) {
  for (auto k : {model::EncounterKind::outpatient, model::EncounterKind::admission,
                 model::EncounterKind::discharge, model::EncounterKind::emergency,
                 model::EncounterKind::other}) {
    if (model::encounter_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

}  // namespace

EncodedEvents encode_events(const model::Extract& x) {
  EncodedEvents out;
  out.ends.reserve(x.events());
  std::string record;
  (void)for_each_event(x, [&](const auto& event) -> Status {
    encode_event(event, record);
    out.text += record;
    out.ends.push_back(static_cast<std::uint32_t>(out.text.size()));
    return ok();
  });
  return out;
}

Result<Event> decode_event(std::string_view type, std::string_view record) {
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto code = parser.parse(record.data(), record.size()).get(root); code != simdjson::SUCCESS) {
    return fail(
        Errc::integrity,
        {std::string("保存された記録が JSON として読めません: ") + simdjson::error_message(code),
         std::string("a stored record does not parse as JSON: ") + simdjson::error_message(code)});
  }
  Reader r(root);
  Event out;
  if (type == "encounter") {
    model::Encounter e;
    const std::string kind = r.str("kind");
    auto k = encounter_kind(kind);
    if (!k) {
      return fail(Errc::integrity,
                  {"保存された受診記録の種別が不明です: " + kind,
                   "a stored encounter has an unknown kind: " + kind},
                  Location{.field = "kind"});
    }
    e.kind = *k;
    e.start = r.str("start");
    e.end = r.str("end");
    e.department = r.code("department");
    e.visit = r.optional_str("visit");
    r.source(e);
    out = std::move(e);
  } else if (type == "diagnosis") {
    model::Diagnosis d;
    d.code = r.code("code");
    d.disease = r.code("disease");
    d.suspected = r.boolean("suspected");
    d.outcome = r.str("outcome");
    d.onset = r.str("onset");
    d.end = r.str("end");
    d.recorded = r.str("recorded");
    r.source(d);
    out = std::move(d);
  } else if (type == "prescription" || type == "injection") {
    model::Medication m;
    m.kind = type == "injection" ? model::MedicationKind::injection
                                 : model::MedicationKind::prescription;
    m.drug = r.code("drug");
    m.dose = r.optional_real("dose");
    m.dose_unit = r.str("unit");
    m.days = r.optional_int("days");
    m.start = r.str("start");
    m.encounter_key = r.optional_str("encounter");
    r.source(m);
    out = std::move(m);
  } else if (type == "lab_result") {
    model::LabResult l;
    l.test = r.code("test");
    l.value = r.str("value");
    l.numeric = r.optional_real("numeric");
    l.unit = r.str("unit");
    l.reference_range = r.str("reference_range");
    l.abnormal_flag = r.str("flag");
    l.observed = r.str("observed");
    l.encounter_key = r.optional_str("encounter");
    r.source(l);
    out = std::move(l);
  } else if (type == "procedure") {
    model::Procedure p;
    p.code = r.code("code");
    p.performed = r.str("performed");
    p.encounter_key = r.optional_str("encounter");
    r.source(p);
    out = std::move(p);
  } else if (type == "claim_visit") {
    model::ClaimVisit v;
    v.claim_month = r.str("month");
    v.visit_dates = r.strings("dates");
    r.source(v);
    out = std::move(v);
  } else {
    return fail(
        Errc::invalid_argument,
        {"不明な記録の種類です: " + std::string(type), "unknown event type: " + std::string(type)},
        Location{.field = "type"});
  }
  if (r.error()) return std::unexpected(*r.error());
  return out;
}

}  // namespace tokumei::ingest
