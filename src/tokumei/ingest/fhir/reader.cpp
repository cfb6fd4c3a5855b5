#include "tokumei/ingest/fhir/reader.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "tokumei/base/files.h"
#include "tokumei/ingest/fields.h"
#include "tokumei/ingest/screening.h"

namespace tokumei::ingest::fhir {

using simdjson::dom::array;
using simdjson::dom::element;

namespace {

constexpr std::string_view kJpPatientIdOid = "urn:oid:1.2.392.100495.20.3.51.1";

std::string_view text_of(element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return v;
}

bool has(element e, const char* key) { return e[key].error() == simdjson::SUCCESS; }

// Elements of the array at `key` (none when absent or not an array).
std::vector<element> items(element e, const char* key) {
  std::vector<element> out;
  array a;
  if (e[key].get_array().get(a) == simdjson::SUCCESS) {
    for (element x : a) out.push_back(x);
  }
  return out;
}

std::optional<double> number_of(element e, const char* key) {
  double v = 0;
  if (e[key].get_double().get(v) == simdjson::SUCCESS) return v;
  return std::nullopt;
}

std::string number_text(double v) { return fmt::format("{}", v); }

bool digits(std::string_view s, std::size_t from, std::size_t count) {
  if (s.size() < from + count) return false;
  for (std::size_t i = from; i < from + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

std::string code_system_name(std::string_view uri) {
  struct Known {
    std::string_view uri, name;
  };
  static constexpr Known known[] = {
      {"urn:oid:1.2.392.200119.4.504", "JLAC10"},
      {"urn:oid:1.2.392.200119.4.403.1", "HOT9"},
      {"urn:oid:1.2.392.200119.4.403.2", "HOT13"},
      {"urn:oid:1.2.392.100495.20.2.74", "YJ"},
      {"urn:oid:1.2.392.200119.4.101.6", "MDCDX2"},
      {"http://medis.or.jp/CodeSystem/master-disease-keyNumber", "MDCDX2"},
      {"http://medis.or.jp/CodeSystem/master-disease-exchangeCode", "MDCDX2-exchange"},
      {"http://hl7.org/fhir/sid/icd-10", "ICD10"},
      {"http://jpfhir.jp/fhir/core/CodeSystem/JP_ICD10_CS", "ICD10"},
      {"urn:oid:2.16.840.1.113883.6.3", "ICD10"},
      {"http://loinc.org", "LOINC"},
      {"http://snomed.info/sct", "SNOMED"},
      {"http://www.nlm.nih.gov/research/umls/rxnorm", "RxNorm"},
      {"http://jpfhir.jp/fhir/core/mhlw/CodeSystem/masterS-medicalProcedure", "MHLW-procedure"},
  };
  for (const auto& k : known) {
    if (uri == k.uri) return std::string(k.name);
  }
  return std::string(uri);
}

namespace {

// The hospital's patient ID of a Patient resource: the JP Core patient-ID identifier (the
// institution's OID), else one typed MR, else the first identifier, else the resource id.
std::string hospital_patient_id(element patient) {
  std::string mr, first;
  for (element id : items(patient, "identifier")) {
    const std::string_view system = text_of(id, "system"), value = text_of(id, "value");
    if (value.empty()) continue;
    // JP Core: the institution's patient-ID OID, ending in its 10-digit code.
    if (system.starts_with(kJpPatientIdOid)) return std::string(value);
    element type;
    if (mr.empty() && id["type"].get(type) == simdjson::SUCCESS) {
      for (element c : items(type, "coding")) {
        if (text_of(c, "code") == "MR") mr = value;
      }
    }
    if (first.empty()) first = value;
  }
  if (!mr.empty()) return mr;
  if (!first.empty()) return first;
  return std::string(text_of(patient, "id"));
}

}  // namespace

// Maps one resource at a time into an Extract; knows where it is for SourceRefs and warnings.
class ResourceMapper {
 public:
  ResourceMapper(Reader& reader, const std::string& path, model::Extract& out,
                 std::vector<Error>& warnings)
      : reader_(reader), path_(path), out_(out), warnings_(warnings) {}

  // `where` locates the resource ("Bundle.entry[3]", or the NDJSON line in `line`).
  Status map(element resource, const std::string& where, int line) {
    where_ = where;
    line_ = line;
    const std::string_view type = text_of(resource, "resourceType");
    if (type == "Patient") return patient(resource);
    if (type == "Encounter") return encounter(resource);
    if (type == "Condition") return condition(resource);
    if (type == "MedicationRequest") return medication(resource);
    if (type == "Observation") return observation(resource);
    if (type == "Procedure") return procedure(resource);
    return ok();
  }

  static bool reads(std::string_view type) {
    return type == "Patient" || type == "Encounter" || type == "Condition" ||
           type == "MedicationRequest" || type == "Observation" || type == "Procedure";
  }

 private:
  model::SourceRef ref() const { return {.file = path_, .line = line_, .element = where_}; }

  Error located(std::string field, std::string ja, std::string en) const {
    return Error(Errc::invalid_input, {std::move(ja), std::move(en)},
                 Location{.file = path_, .line = line_, .field = where_ + "." + field});
  }
  std::unexpected<Error> problem(std::string field, std::string ja, std::string en) const {
    return std::unexpected(located(std::move(field), std::move(ja), std::move(en)));
  }
  void warn(std::string field, std::string ja, std::string en) {
    warnings_.push_back(located(std::move(field), std::move(ja), std::move(en)));
  }

  // A FHIR date or dateTime as the model's ISO text: date and time kept, zone and fraction
  // dropped; a malformed one gives a warning and "".
  std::string date(element e, const char* key) {
    const std::string_view v = text_of(e, key);
    if (v.empty()) return {};
    auto two = [&](std::size_t at) { return (v[at] - '0') * 10 + (v[at + 1] - '0'); };
    bool good = digits(v, 0, 4) && (v.size() == 4 || (v[4] == '-' && digits(v, 5, 2))) &&
                (v.size() <= 7 || (v[7] == '-' && digits(v, 8, 2))) &&
                (v.size() <= 10 || (v[10] == 'T' && digits(v, 11, 2) && v.size() >= 16 &&
                                    v[13] == ':' && digits(v, 14, 2)));
    good = good && (v.size() < 7 || (two(5) >= 1 && two(5) <= 12)) &&
           (v.size() < 10 || (two(8) >= 1 && two(8) <= 31)) &&
           (v.size() < 16 || (two(11) <= 23 && two(14) <= 59));
    if (!good) {
      warn(key, fmt::format("日時「{}」を読めません", v),
           fmt::format("\"{}\" is not a FHIR date", v));
      return {};
    }
    std::string_view kept = v.substr(0, std::min<std::size_t>(v.size(), 19));
    if (kept.size() > 16 && (kept.size() < 19 || kept[16] != ':')) kept = kept.substr(0, 16);
    return std::string(kept);
  }

  // The patient the resource is about.
  Result<std::string> subject(element resource) {
    element subject;
    if (resource["subject"].get(subject) != simdjson::SUCCESS) {
      if (resource["patient"].get(subject) != simdjson::SUCCESS) {
        return problem("subject", "患者への参照 (subject) がありません",
                       "there is no subject (reference to the patient)");
      }
    }
    const std::string reference(text_of(subject, "reference"));
    if (reference.empty()) {
      return problem("subject.reference", "患者への参照 (subject.reference) が空です",
                     "subject.reference is empty");
    }
    if (auto id = reader_.patient_of(reference)) return *id;
    // Not learned: keep the reference's id, so the records of one patient stay together.
    std::string id = reference.substr(reference.rfind('/') + 1);
    if (id.starts_with("urn:uuid:")) id = id.substr(9);
    warn("subject.reference",
         fmt::format("参照先の Patient「{}」が見つからないため、参照の ID で取り込みます",
                     reference),
         fmt::format("Patient \"{}\" was not found; its reference's ID is used", reference));
    return id;
  }

  // The first coding of a CodeableConcept, preferring `preferred` systems in order.
  model::Code coded(element cc, std::initializer_list<std::string_view> preferred = {}) {
    model::Code best;
    int best_rank = 1 << 20;
    for (element c : items(cc, "coding")) {
      model::Code code{.system = code_system_name(text_of(c, "system")),
                       .code = std::string(text_of(c, "code")),
                       .display = std::string(text_of(c, "display"))};
      if (code.code.empty()) continue;
      int rank = static_cast<int>(preferred.size());
      int i = 0;
      for (auto p : preferred) {
        if (code.system == p) rank = i;
        ++i;
      }
      if (rank < best_rank) {
        best = std::move(code);
        best_rank = rank;
      }
    }
    if (best.display.empty()) best.display = std::string(text_of(cc, "text"));
    return best;
  }

  Status patient(element r) {
    model::PersonIdentity p{.institution = reader_.institution_,
                            .patient_id = hospital_patient_id(r)};
    for (element name : items(r, "name")) {
      std::string representation;
      for (element ext : items(name, "extension")) {
        if (text_of(ext, "url").ends_with("iso21090-EN-representation")) {
          representation = text_of(ext, "valueCode");
        }
      }
      std::string family(text_of(name, "family")), given;
      for (element g : items(name, "given")) {
        std::string_view part;
        if (g.get_string().get(part) == simdjson::SUCCESS)
          given += (given.empty() ? "" : " ") + std::string(part);
      }
      std::string full = family.empty() && given.empty() ? std::string(text_of(name, "text"))
                         : given.empty()                 ? family
                         : family.empty()                ? given
                                                         : family + "\u3000" + given;
      if (representation == "SYL") {
        p.name_kana = full;
      } else if (representation == "IDE" || p.name_kanji.empty()) {
        p.name_kanji = full;
      }
    }
    p.birth_date = date(r, "birthDate");
    const std::string_view gender = text_of(r, "gender");
    p.sex = gender == "male"     ? model::Sex::male
            : gender == "female" ? model::Sex::female
            : gender == "other"  ? model::Sex::other
                                 : model::Sex::unknown;
    p.death_date = date(r, "deceasedDateTime");
    auto addresses = items(r, "address");
    if (!addresses.empty()) {
      element a = addresses.front();
      p.postal_code = text_of(a, "postalCode");
      p.address = text_of(a, "text");
      if (p.address.empty()) {
        p.address = std::string(text_of(a, "state")) + std::string(text_of(a, "city"));
        for (element line : items(a, "line")) {
          std::string_view part;
          if (line.get_string().get(part) == simdjson::SUCCESS) p.address += part;
        }
      }
    }
    for (element t : items(r, "telecom")) {
      if (text_of(t, "system") == "phone" && !text_of(t, "value").empty()) {
        p.phones.emplace_back(text_of(t, "value"));
      }
    }
    if (p.patient_id.empty()) {
      return problem("identifier", "患者 ID (identifier または id) がありません",
                     "the patient has no identifier or id");
    }
    p.source = ref();
    out_.persons.push_back(std::move(p));
    return ok();
  }

  Status encounter(element r) {
    TKM_ASSIGN_OR_RETURN(std::string patient, subject(r));
    model::Encounter e{.patient_id = std::move(patient)};
    element cls;
    std::string_view code;
    if (r["class"].get(cls) == simdjson::SUCCESS) code = text_of(cls, "code");
    e.kind = code == "IMP" || code == "ACUTE" || code == "NONAC" ? model::EncounterKind::admission
             : code == "EMER"                                    ? model::EncounterKind::emergency
             : code == "AMB" || code.empty()                     ? model::EncounterKind::outpatient
                                                                 : model::EncounterKind::other;
    element period;
    if (r["period"].get(period) == simdjson::SUCCESS) {
      e.start = date(period, "start");
      e.end = date(period, "end");
    }
    for (element type : items(r, "serviceType")) e.department = coded(type);
    e.source_key = source_key(r);
    e.source = ref();
    out_.encounters.push_back(std::move(e));
    return ok();
  }

  Status condition(element r) {
    TKM_ASSIGN_OR_RETURN(std::string patient, subject(r));
    model::Diagnosis d{.patient_id = std::move(patient)};
    element code;
    if (r["code"].get(code) != simdjson::SUCCESS) {
      return problem("code", "病名 (code) がありません", "the condition has no code");
    }
    for (element c : items(code, "coding")) {
      model::Code one{.system = code_system_name(text_of(c, "system")),
                      .code = std::string(text_of(c, "code")),
                      .display = std::string(text_of(c, "display"))};
      if (one.code.empty()) continue;
      if (one.system == "ICD10" && d.code.empty()) {
        d.code = std::move(one);
      } else if (d.disease.empty()) {
        d.disease = std::move(one);
      }
    }
    if (d.code.empty() && d.disease.empty()) {
      // A name with no code (JP Core allows code.text alone): kept as the disease's text.
      d.disease = {.system = "text", .code = "", .display = std::string(text_of(code, "text"))};
      if (d.disease.display.empty()) {
        return problem("code", "病名のコードも名前もありません",
                       "the condition has neither a code nor a name");
      }
      warn("code", "病名にコードがなく、名前だけです", "the condition has a name but no code");
    }
    element status;
    if (r["verificationStatus"].get(status) == simdjson::SUCCESS) {
      std::string v = coded(status).code;
      d.suspected = v == "provisional" || v == "differential" || v == "unconfirmed";
    }
    if (r["clinicalStatus"].get(status) == simdjson::SUCCESS) d.outcome = coded(status).code;
    d.onset = date(r, "onsetDateTime");
    d.end = date(r, "abatementDateTime");
    d.recorded = date(r, "recordedDate");
    d.source_key = source_key(r);
    d.source = ref();
    out_.diagnoses.push_back(std::move(d));
    return ok();
  }

  // The drugs of a request: its medicationCodeableConcept, or the contained Medication its
  // medicationReference points at (its code, or each ingredient with its strength).
  std::vector<std::pair<model::Code, std::optional<element>>> drugs(element r) {
    std::vector<std::pair<model::Code, std::optional<element>>> out;
    element cc;
    if (r["medicationCodeableConcept"].get(cc) == simdjson::SUCCESS) {
      model::Code c = coded(cc, {"HOT9", "HOT13", "YJ", "RxNorm"});
      if (!c.empty()) out.emplace_back(std::move(c), std::nullopt);
      return out;
    }
    element reference;
    if (r["medicationReference"].get(reference) != simdjson::SUCCESS) return out;
    const std::string_view target = text_of(reference, "reference");
    if (!target.starts_with('#')) return out;
    for (element contained : items(r, "contained")) {
      if (text_of(contained, "id") != target.substr(1)) continue;
      element code;
      if (contained["code"].get(code) == simdjson::SUCCESS) {
        model::Code c = coded(code, {"HOT9", "HOT13", "YJ", "RxNorm"});
        if (!c.empty()) out.emplace_back(std::move(c), std::nullopt);
      }
      for (element ingredient : items(contained, "ingredient")) {
        element item;
        if (ingredient["itemCodeableConcept"].get(item) != simdjson::SUCCESS) continue;
        model::Code c = coded(item, {"HOT9", "HOT13", "YJ", "RxNorm"});
        if (c.empty()) continue;
        element strength;
        if (ingredient["strength"]["numerator"].get(strength) == simdjson::SUCCESS) {
          out.emplace_back(std::move(c), strength);
        } else {
          out.emplace_back(std::move(c), std::nullopt);
        }
      }
    }
    return out;
  }

  Status medication(element r) {
    TKM_ASSIGN_OR_RETURN(std::string patient, subject(r));
    model::Medication m{.patient_id = std::move(patient)};
    auto found = drugs(r);
    if (found.empty()) {
      return problem("medicationCodeableConcept", "薬剤コードがありません",
                     "the request has no drug code (medicationCodeableConcept, or a contained "
                     "Medication)");
    }
    for (std::string_view profile : profile_urls(r)) {
      if (profile.find("Injection") != std::string_view::npos) {
        m.kind = model::MedicationKind::injection;
      }
    }
    auto dosages = items(r, "dosageInstruction");
    if (!dosages.empty()) {
      element d = dosages.front();
      for (element ext : items(d, "extension")) {
        element duration;
        if (text_of(ext, "url").ends_with("UsageDuration") &&
            ext["valueDuration"].get(duration) == simdjson::SUCCESS) {
          if (auto v = number_of(duration, "value")) m.days = static_cast<int>(*v);
        }
        element period;
        if (text_of(ext, "url").ends_with("PeriodOfUse") &&
            ext["valuePeriod"].get(period) == simdjson::SUCCESS) {
          m.start = date(period, "start");
        }
      }
      for (element dr : items(d, "doseAndRate")) {
        element q;
        if (dr["doseQuantity"].get(q) == simdjson::SUCCESS) {
          m.dose = number_of(q, "value");
          m.dose_unit = text_of(q, "unit");
          if (m.dose_unit.empty()) m.dose_unit = text_of(q, "code");
          break;
        }
      }
    }
    element supply;
    if (!m.days &&
        r["dispenseRequest"]["expectedSupplyDuration"].get(supply) == simdjson::SUCCESS) {
      if (auto v = number_of(supply, "value")) m.days = static_cast<int>(*v);
    }
    if (m.start.empty()) m.start = date(r, "authoredOn");
    m.encounter_key = encounter_of(r);
    m.source = ref();
    // One event per drug (an injection's ingredients each with its own amount).
    std::size_t index = 0;
    for (auto& [code, strength] : found) {
      model::Medication one = m;
      one.drug = std::move(code);
      if (strength) {
        one.dose = number_of(*strength, "value");
        one.dose_unit = text_of(*strength, "unit");
      }
      one.source_key = source_key(r) + (found.size() > 1 ? fmt::format("#{}", ++index) : "");
      out_.medications.push_back(std::move(one));
    }
    return ok();
  }

  // One result from an Observation or one of its components.
  void result(element r, element value_holder, const model::Code& code, const std::string& patient,
              const std::string& observed, std::size_t index) {
    model::LabResult lab{.patient_id = patient, .test = code, .observed = observed};
    element v;
    if (value_holder["valueQuantity"].get(v) == simdjson::SUCCESS) {
      lab.numeric = number_of(v, "value");
      if (lab.numeric) lab.value = number_text(*lab.numeric);
      lab.unit = text_of(v, "unit");
      if (lab.unit.empty()) lab.unit = text_of(v, "code");
    } else if (value_holder["valueCodeableConcept"].get(v) == simdjson::SUCCESS) {
      model::Code c = coded(v);
      lab.value = c.code.empty() ? c.display : c.code;
    } else if (auto s = text_of(value_holder, "valueString"); !s.empty()) {
      lab.value = s;
    } else if (auto n = number_of(value_holder, "valueInteger")) {
      lab.numeric = *n;
      lab.value = number_text(*n);
    }
    for (element range : items(value_holder, "referenceRange")) {
      element low, high;
      std::string lo, hi;
      if (range["low"].get(low) == simdjson::SUCCESS) {
        if (auto x = number_of(low, "value")) lo = number_text(*x);
      }
      if (range["high"].get(high) == simdjson::SUCCESS) {
        if (auto x = number_of(high, "value")) hi = number_text(*x);
      }
      if (!lo.empty() || !hi.empty()) lab.reference_range = lo + "-" + hi;
      break;
    }
    for (element i : items(value_holder, "interpretation")) {
      lab.abnormal_flag = coded(i).code;
      break;
    }
    lab.source_key = source_key(r) + (index > 0 ? fmt::format("#{}", index) : "");
    lab.encounter_key = encounter_of(r);
    lab.source = ref();
    out_.lab_results.push_back(std::move(lab));
  }

  Status observation(element r) {
    TKM_ASSIGN_OR_RETURN(std::string patient, subject(r));
    element code;
    if (r["code"].get(code) != simdjson::SUCCESS) {
      return problem("code", "検査項目 (code) がありません", "the observation has no code");
    }
    model::Code test = coded(code, {"JLAC10", "LOINC"});
    if (test.empty()) {
      return problem("code.coding", "検査項目のコードがありません",
                     "the observation's code has no coding");
    }
    std::string observed = date(r, "effectiveDateTime");
    if (observed.empty()) {
      element period;
      if (r["effectivePeriod"].get(period) == simdjson::SUCCESS) observed = date(period, "start");
    }
    auto components = items(r, "component");
    if (components.empty() || has(r, "valueQuantity") || has(r, "valueString") ||
        has(r, "valueCodeableConcept")) {
      result(r, r, test, patient, observed, 0);
    }
    std::size_t index = 0;
    for (element c : components) {
      element c_code;
      if (c["code"].get(c_code) != simdjson::SUCCESS) continue;
      model::Code component_code = coded(c_code, {"JLAC10", "LOINC"});
      if (component_code.empty()) continue;
      result(r, c, component_code, patient, observed, ++index);
    }
    return ok();
  }

  Status procedure(element r) {
    TKM_ASSIGN_OR_RETURN(std::string patient, subject(r));
    model::Procedure p{.patient_id = std::move(patient)};
    element code;
    if (r["code"].get(code) == simdjson::SUCCESS) p.code = coded(code);
    if (p.code.empty()) {
      return problem("code", "処置のコードがありません", "the procedure has no code");
    }
    p.performed = date(r, "performedDateTime");
    element period;
    if (p.performed.empty() && r["performedPeriod"].get(period) == simdjson::SUCCESS) {
      p.performed = date(period, "start");
    }
    p.source_key = source_key(r);
    p.encounter_key = encounter_of(r);
    p.source = ref();
    out_.procedures.push_back(std::move(p));
    return ok();
  }

  // The encounter a resource belongs to, as the Encounter's own source key ("Encounter/<id>")
  // when the reference names it so; any other reference (a urn:uuid) as it is.
  static std::string encounter_of(element r) {
    element e;
    if (r["encounter"].get(e) != simdjson::SUCCESS) return {};
    const std::string reference(text_of(e, "reference"));
    const auto at = reference.find("Encounter/");
    return at == std::string::npos ? reference : reference.substr(at);
  }

  std::string source_key(element r) const {
    std::string id(text_of(r, "id"));
    return std::string(text_of(r, "resourceType")) + "/" + (id.empty() ? where_ : id);
  }

  static std::vector<std::string_view> profile_urls(element r) {
    std::vector<std::string_view> out;
    element meta;
    if (r["meta"].get(meta) != simdjson::SUCCESS) return out;
    for (element p : items(meta, "profile")) {
      std::string_view v;
      if (p.get_string().get(v) == simdjson::SUCCESS) out.push_back(v);
    }
    return out;
  }

  Reader& reader_;
  const std::string& path_;
  model::Extract& out_;
  std::vector<Error>& warnings_;
  std::string where_;
  int line_ = 0;
};

namespace {

// Calls visit(resource, where, line, full_url) for every resource of a parsed JSON document: a
// Bundle's entries (recursively), or the document itself.
template <class Visit>
void for_each_resource(element doc, const std::string& where, int line, const Visit& visit,
                       std::size_t first_entry = 0) {
  if (text_of(doc, "resourceType") == "Bundle") {
    std::size_t i = first_entry;
    for (element entry : items(doc, "entry")) {
      element resource;
      std::string at = fmt::format("{}entry[{}]", where.empty() ? "Bundle." : where + ".", i++);
      if (entry["resource"].get(resource) != simdjson::SUCCESS) continue;
      if (text_of(resource, "resourceType") == "Bundle") {
        for_each_resource(resource, at + ".resource", line, visit);
      } else {
        visit(resource, at, line, text_of(entry, "fullUrl"));
      }
    }
    return;
  }
  visit(doc, where.empty() ? std::string(text_of(doc, "resourceType")) : where, line, "");
}

// Calls each(line_text, line_number) for every non-blank line of NDJSON.
template <class Each>
void for_each_ndjson_line(std::string_view bytes, const Each& each) {
  for_each_line(bytes, [&](std::string_view line, int number) {
    if (line.find_first_not_of(" \t") != std::string_view::npos) each(line, number);
    return true;
  });
}

// Offset of a JSON syntax error, from a parser that reports positions.
std::int64_t syntax_error_offset(std::string_view bytes) {
  try {
    nlohmann::json parsed = nlohmann::json::parse(bytes);
    (void)parsed;
  } catch (const nlohmann::json::parse_error& e) {
    return e.byte > 0 ? static_cast<std::int64_t>(e.byte) - 1 : 0;
  } catch (const nlohmann::json::exception&) {
    // A number out of range and the like: the offset is unknown.
  }
  return -1;
}

}  // namespace

bool NdjsonSniffer::feed(std::string_view bytes) {
  for (const char c : bytes) {
    if (answer_ != Answer::unknown) return true;
    const std::int64_t at = seen_++;
    if (!started_) {
      // Blanks, and a byte order mark, skipped as readers do.
      if (c == ' ' || c == '\t' || c == '\r' || byte_order_mark_byte(at, c)) continue;
      started_ = true;
      depth_ = c == '{' ? 1 : 0;
      if (depth_ == 0) answer_ = Answer::document;  // a blank first line, or not an object
    } else if (!closed_) {
      if (c == '\n') {
        answer_ = Answer::document;  // the first value goes on past its line
      } else if (strings_.step(c) == JsonStrings::Step::outside) {  // brackets in strings aside
        if (c == '{' || c == '[') {
          ++depth_;
        } else if ((c == '}' || c == ']') && --depth_ == 0) {
          closed_ = true;
        }
      }
    } else if (c == '\n') {
      new_line_ = true;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      answer_ = new_line_ && c == '{' ? Answer::ndjson : Answer::document;
    }
  }
  return answer_ != Answer::unknown;
}

bool looks_like_ndjson(std::string_view bytes) {
  // Only a text with something after its first line can be NDJSON: a document on one line is
  // told at once, without scanning it.
  const std::size_t first_newline = bytes.find('\n');
  if (first_newline == std::string_view::npos ||
      bytes.find_first_not_of(" \t\r\n", first_newline) == std::string_view::npos) {
    return false;
  }
  NdjsonSniffer sniffer;
  sniffer.feed(bytes);
  return sniffer.ndjson();
}

// Records how references may name a Patient resource ("Patient/<id>", its fullUrl) → the
// hospital's patient ID.
void Reader::remember_patient(element patient, std::string_view full_url) {
  const std::string id = hospital_patient_id(patient);
  if (id.empty() || id.size() > 0xFFFF) return;  // unreadable: events keep the reference's ID
  const std::string_view logical = text_of(patient, "id");
  if (logical.empty() && full_url.empty()) return;
  const std::string by_id = logical.empty() ? std::string() : "Patient/" + std::string(logical);
  const auto known = [&](std::string_view reference) {
    return reference.empty() || patient_of(reference) == id;
  };
  if (known(by_id) && known(full_url)) return;     // learned before (the first pass)
  if (patient_ids_.size() > 0xFFFF'0000u) return;  // 4 GiB of IDs: beyond any hospital
  const auto at = static_cast<std::uint32_t>(patient_ids_.size());
  patient_ids_ += static_cast<char>(id.size() >> 8);
  patient_ids_ += static_cast<char>(id.size() & 0xFF);
  patient_ids_ += id;
  if (!by_id.empty()) references_.put(by_id, at);
  if (!full_url.empty()) references_.put(full_url, at);
  last_reference_.clear();
}

std::optional<std::string> Reader::patient_of(std::string_view reference) {
  if (!last_reference_.empty() && reference == last_reference_) return last_patient_id_;
  const auto at = references_.get(reference);
  if (!at) return std::nullopt;
  const auto length = static_cast<std::size_t>(static_cast<unsigned char>(patient_ids_[*at])) << 8 |
                      static_cast<unsigned char>(patient_ids_[*at + 1]);
  last_reference_ = reference;
  last_patient_id_ = patient_ids_.substr(*at + 2, length);
  return last_patient_id_;
}

namespace {

// A UTF-8 byte order mark before the text, which JSON readers may ignore (RFC 8259 §8.1) and
// Windows tools write, is skipped; `before` counts it.
std::string_view without_bom(std::string_view bytes, std::int64_t& before) {
  if (before != 0 || !bytes.starts_with("\xEF\xBB\xBF")) return bytes;
  before = 3;
  return bytes.substr(3);
}

}  // namespace

void Reader::learn_patients(std::string_view whole) {
  std::int64_t before = 0;
  const std::string_view bytes = without_bom(whole, before);
  if (looks_like_ndjson(bytes)) {
    for_each_ndjson_line(bytes, [&](std::string_view line, int) {
      // A line without the word cannot be (or hold) a Patient: not worth parsing.
      if (line.find("\"Patient\"") == std::string_view::npos) return;
      element e;
      if (parser_.parse(line.data(), line.size()).get(e) == simdjson::SUCCESS) learn_from(e);
    });
    return;
  }
  learn_document(bytes);
}

void Reader::learn_document(std::string_view json) {
  simdjson::padded_string padded(json);
  element doc;
  if (parser_.parse(padded).get(doc) == simdjson::SUCCESS) learn_from(doc);
}

void Reader::learn_from(element doc) {
  for_each_resource(doc, "", 0,
                    [&](element resource, const std::string&, int, std::string_view full_url) {
                      if (text_of(resource, "resourceType") == "Patient") {
                        remember_patient(resource, full_url);
                      }
                    });
}

FileOutcome Reader::read(const std::string& path, std::string_view whole) {
  std::int64_t before = 0;
  const std::string_view bytes = without_bom(whole, before);
  return read_text(path, bytes,
                   {.lines_before = looks_like_ndjson(bytes) ? 0 : -1, .bytes_before = before});
}

FileOutcome Reader::read_ndjson_part(const std::string& path, std::string_view part,
                                     int lines_before, std::int64_t bytes_before) {
  const std::string_view lines = without_bom(part, bytes_before);
  return read_text(path, lines, {.lines_before = lines_before, .bytes_before = bytes_before});
}

FileOutcome Reader::read_bundle_entries(const std::string& path, std::string_view json,
                                        std::size_t first_entry, std::int64_t json_at) {
  return read_text(path, json,
                   {.bytes_before = json_at, .first_entry = first_entry, .screened = true});
}

FileOutcome Reader::read_text(const std::string& path, std::string_view bytes,
                              const TextPlace& place) {
  const int lines_before = place.lines_before;
  const auto at_in_file = [&](std::int64_t offset) {  // unknown (-1) stays unknown
    return offset < 0 ? offset : place.bytes_before + offset;
  };
  FileOutcome out{.path = path};
  if (auto number = place.screened
                        ? std::nullopt
                        : screen_for_individual_numbers(bytes, path, std::max(lines_before, 0),
                                                        place.bytes_before)) {  // INTAKE-07
    out.kind = FileOutcome::Kind::quarantined;
    out.problems.push_back(std::move(*number));
    return out;
  }
  ResourceMapper mapper(*this, path, out.extract, out.warnings);
  std::map<std::string, std::size_t> types;
  std::size_t read_resources = 0;
  auto visit = [&](element resource, const std::string& where, int line,
                   std::string_view full_url) {
    const std::string type(text_of(resource, "resourceType"));
    ++types[type.empty() ? "(no resourceType)" : type];
    if (!ResourceMapper::reads(type)) return;
    if (type == "Patient") {
      // Learn it here too, so a bundle's own patient resolves without a first pass.
      remember_patient(resource, full_url);
    }
    if (Status s = mapper.map(resource, where, line); !s) {
      out.problems.push_back(s.error());
    } else {
      ++read_resources;
    }
  };

  simdjson::dom::parser& parser = parser_;
  if (lines_before >= 0) {
    // Line by line, so that one bad line is refused alone.
    for_each_ndjson_line(bytes, [&](std::string_view text, int line_in_part) {
      const int line = lines_before + line_in_part;
      element e;
      if (auto error = parser.parse(text.data(), text.size()).get(e); error != simdjson::SUCCESS) {
        out.problems.emplace_back(Errc::invalid_input,
                                  Text{fmt::format("{} 行目は JSON として読めません: {}", line,
                                                   simdjson::error_message(error)),
                                       fmt::format("line {} is not valid JSON: {}", line,
                                                   simdjson::error_message(error))},
                                  Location{.file = path, .line = line});
        return;
      }
      for_each_resource(e, fmt::format("line {}", line), line, visit);
    });
  } else {
    simdjson::padded_string padded(bytes);
    element doc;
    if (auto error = parser.parse(padded).get(doc); error != simdjson::SUCCESS) {
      out.kind = FileOutcome::Kind::quarantined;
      out.problems.emplace_back(
          Errc::invalid_input,
          Text{fmt::format("JSON として読めません: {}", simdjson::error_message(error)),
               fmt::format("not valid JSON: {}", simdjson::error_message(error))},
          Location{.file = path, .offset = at_in_file(syntax_error_offset(bytes))});
      return out;
    }
    if (!doc.is_object() || !has(doc, "resourceType")) {
      out.kind = FileOutcome::Kind::not_read;
      out.problems.emplace_back(Errc::invalid_argument,
                                Text{"FHIR リソースではありません (resourceType がありません)",
                                     "not a FHIR resource (no resourceType)"},
                                Location{.file = path});
      return out;
    }
    for_each_resource(doc, "", 0, visit, place.first_entry);
  }
  for (const auto& [type, n] : types) {
    out.record_type += fmt::format("{}{} {}", out.record_type.empty() ? "" : ", ", type, n);
  }
  if (read_resources == 0 && out.problems.empty()) {
    out.kind = FileOutcome::Kind::not_read;
    out.problems.emplace_back(
        Errc::invalid_argument,
        Text{fmt::format("取り込む種類のリソースがありません ({})", out.record_type),
             fmt::format("no resource of a type taken in ({})", out.record_type)},
        Location{.file = path});
  }
  return out;
}

void read_files(const std::vector<std::filesystem::path>& files, const std::string& institution,
                const std::function<void(FileOutcome&&)>& sink) {
  Reader reader(institution);
  for (const auto& f : files) {
    if (auto bytes = read_file(f)) reader.learn_patients(*bytes);
  }
  for (const auto& f : files) {
    auto bytes = read_file(f);
    if (!bytes) {
      FileOutcome out{.path = f.generic_string(), .kind = FileOutcome::Kind::quarantined};
      out.problems.push_back(bytes.error());
      sink(std::move(out));
      continue;
    }
    sink(reader.read(f.generic_string(), *bytes));
  }
}

}  // namespace tokumei::ingest::fhir
