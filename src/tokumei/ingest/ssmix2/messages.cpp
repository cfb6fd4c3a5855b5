#include "tokumei/ingest/ssmix2/messages.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace tokumei::ingest::ssmix2 {
namespace {

using hl7::Message;
using hl7::Segment;

struct DataType {
  const char* name;
  std::vector<std::string> types;      // MSH-9 message type^event accepted
  std::vector<std::string> withdrawn;  // those of them that withdraw the record
};

const std::vector<DataType>& data_types() {
  static const std::vector<DataType> all{
      {"ADT-00", {"ADT^A08", "ADT^A23"}, {"ADT^A23"}},
      {"ADT-22", {"ADT^A01", "ADT^A11"}, {"ADT^A11"}},
      {"ADT-52", {"ADT^A03", "ADT^A13"}, {"ADT^A13"}},
      {"PPR-01", {"PPR^ZD1"}, {}},
      {"OMP-01", {"RDE^O11"}, {}},
      {"OMP-02", {"RDE^O11"}, {}},
      {"OML-11", {"OUL^R22"}, {}},
  };
  return all;
}

const DataType* find_type(std::string_view name) {
  for (const auto& t : data_types()) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

// Builds one message's extract; keeps the message, path and warnings at hand.
class Mapper {
 public:
  Mapper(const Message& m, const StoragePath& path, const std::string& institution,
         const std::string& source)
      : m_(m), path_(path), institution_(institution), source_(source) {}

  MappedMessage run() {
    identity();
    const std::string& type = path_.data_type;
    if (type == "ADT-00") patient_observations();
    if (type == "ADT-22") encounter(model::EncounterKind::admission);
    if (type == "ADT-52") encounter(model::EncounterKind::discharge);
    if (type == "PPR-01") diagnoses();
    if (type == "OMP-01") medications(model::MedicationKind::prescription);
    if (type == "OMP-02") medications(model::MedicationKind::injection);
    if (type == "OML-11") lab_results();
    return std::move(out_);
  }

 private:
  // The segment as "OBX[3]": the third OBX of the message.
  model::SourceRef ref(const Segment& s) const {
    std::size_t occurrence = 0;
    for (const Segment& other : m_.segments()) {
      if (other.id() == s.id()) ++occurrence;
      if (&other == &s) break;
    }
    return {.file = source_, .line = s.line, .element = fmt::format("{}[{}]", s.id(), occurrence)};
  }
  std::string value(const Segment& s, std::size_t field, std::size_t component = 1,
                    std::size_t subcomponent = 1, std::size_t repetition = 1) const {
    return m_.value(s, field, component, subcomponent, repetition);
  }
  model::Code coded(const Segment& s, std::size_t field, std::size_t repetition = 1) const {
    return {.system = value(s, field, 3, 1, repetition),
            .code = value(s, field, 1, 1, repetition),
            .display = value(s, field, 2, 1, repetition)};
  }
  // An HL7 date, with a warning when present but not a date.
  std::string date(const Segment& s, std::size_t field, std::size_t component = 1) {
    std::string raw = value(s, field, component);
    std::string iso = iso_datetime(raw);
    if (!raw.empty() && iso.empty()) {
      warn(s, field, fmt::format("{}-{} の日時「{}」を読めません", s.id(), field, raw),
           fmt::format("{}-{}: \"{}\" is not a date", s.id(), field, raw));
    }
    return iso;
  }
  void warn(const Segment& s, std::size_t field, std::string ja, std::string en) {
    out_.warnings.emplace_back(
        Errc::invalid_input, Text{std::move(ja), std::move(en)},
        Location{.file = source_, .line = s.line, .field = fmt::format("{}-{}", s.id(), field)});
  }
  // The record's key in the storage, made unique per event of the message.
  std::string key(std::size_t index) const {
    const bool no_order = path_.order_number.empty() ||
                          path_.order_number.find_first_not_of("9-") == std::string::npos;
    std::string base = path_.patient_id + "/" + path_.data_type + "/" +
                       (no_order ? path_.date + "@" + path_.event_time : path_.order_number);
    return fmt::format("{}#{}", base, index);
  }

  // The visit the message is about (PV1-19), as records and encounters name it.
  std::string visit() const {
    const Segment* pv1 = m_.find("PV1");
    const std::string number = pv1 ? value(*pv1, 19) : "";
    return number.empty() ? "" : "visit/" + number;
  }

  void identity() {
    const Segment* pid = m_.find("PID");
    if (pid == nullptr) return;
    model::PersonIdentity p{.institution = institution_, .patient_id = path_.patient_id};
    const std::string in_message = value(*pid, 3);
    if (!in_message.empty() && in_message != path_.patient_id) {
      warn(*pid, 3,
           fmt::format("PID-3 の患者 ID「{}」が保存場所の患者 ID「{}」と異なります "
                       "(保存場所の ID で取り込みます)",
                       in_message, path_.patient_id),
           fmt::format("PID-3 patient ID \"{}\" differs from the storage path's \"{}\" (read "
                       "as the path's)",
                       in_message, path_.patient_id));
    }
    // PID-5 repetitions: component 8 says I (ideographic: kanji) or P (phonetic: kana).
    for (std::size_t r = 1; r <= m_.repetitions(*pid, 5); ++r) {
      std::string family = value(*pid, 5, 1, 1, r), given = value(*pid, 5, 2, 1, r);
      std::string name = given.empty() ? family : family + "\u3000" + given;
      std::string representation = value(*pid, 5, 8, 1, r);
      if (representation == "P") {
        p.name_kana = name;
      } else if (representation == "I" || p.name_kanji.empty()) {
        p.name_kanji = name;
      }
    }
    p.birth_date = date(*pid, 7);
    const std::string sex = value(*pid, 8);
    p.sex = sex == "M"   ? model::Sex::male
            : sex == "F" ? model::Sex::female
            : sex == "O" ? model::Sex::other
                         : model::Sex::unknown;
    p.postal_code = value(*pid, 11, 5);
    p.address = value(*pid, 11, 8);
    if (p.address.empty()) {
      p.address = value(*pid, 11, 4) + value(*pid, 11, 3) + value(*pid, 11, 1) + value(*pid, 11, 2);
    }
    for (std::size_t field : {13, 14}) {
      for (std::size_t r = 1; r <= m_.repetitions(*pid, field); ++r) {
        std::string phone = value(*pid, field, 12, 1, r);
        if (phone.empty()) phone = value(*pid, field, 1, 1, r);
        if (!phone.empty()) p.phones.push_back(phone);
      }
    }
    p.death_date = date(*pid, 29);
    // Insurance: IN1-3 insurer number; SS-MIX2's ZI1 adds 記号 (ZI1-10) and 番号 (ZI1-11).
    for (const Segment* in1 : m_.find_all("IN1")) {
      std::string insurer = value(*in1, 3);
      if (!insurer.empty()) p.insurance.push_back({.insurer_number = insurer});
    }
    for (const Segment* zi1 : m_.find_all("ZI1")) {
      std::string insurer = value(*zi1, 3);
      if (!insurer.empty()) {
        p.insurance.push_back(
            {.insurer_number = insurer, .symbol = value(*zi1, 10), .number = value(*zi1, 11)});
      }
    }
    p.source = ref(*pid);
    out_.extract.persons.push_back(std::move(p));
  }

  // ADT-00's OBX: height, weight, blood type.
  void patient_observations() {
    const Segment* evn = m_.find("EVN");
    std::size_t n = 0;
    for (const Segment* obx : m_.find_all("OBX")) lab_result(*obx, ++n, evn ? date(*evn, 2) : "");
  }

  void encounter(model::EncounterKind kind) {
    const Segment* pv1 = m_.find("PV1");
    if (pv1 == nullptr) {
      const Segment& msh = m_.segments().front();
      warn(msh, 9, "PV1 セグメントがありません", "there is no PV1 segment");
      return;
    }
    model::Encounter e{.patient_id = path_.patient_id, .kind = kind};
    e.start = date(*pv1, 44);
    e.end = date(*pv1, 45);
    if (e.start.empty() && kind == model::EncounterKind::admission) {
      if (const Segment* evn = m_.find("EVN")) e.start = date(*evn, 6);
    }
    if (e.end.empty() && kind == model::EncounterKind::discharge) {
      if (const Segment* evn = m_.find("EVN")) e.end = date(*evn, 6);
    }
    e.department = {.system = "JHSD0002", .code = value(*pv1, 10)};
    e.source_key = key(1);
    e.visit = visit();
    e.source = ref(*pv1);
    out_.extract.encounters.push_back(std::move(e));
  }

  void diagnoses() {
    std::size_t n = 0;
    for (const Segment* prb : m_.find_all("PRB")) {
      ++n;
      model::Diagnosis d{.patient_id = path_.patient_id};
      d.disease = coded(*prb, 3);
      // PRB-10: the ICD-10 classification (coding system I10).
      if (value(*prb, 10, 3) == "I10") d.code = {.system = "ICD10", .code = value(*prb, 10, 1)};
      const std::string confirmation = value(*prb, 13);
      d.suspected = confirmation == "P" || confirmation == "S" ||
                    confirmation.find("疑") != std::string::npos;
      d.outcome = value(*prb, 14, 2).empty() ? value(*prb, 14) : value(*prb, 14, 2);
      d.onset = date(*prb, 16);
      if (d.onset.empty()) d.onset = date(*prb, 7);
      d.end = date(*prb, 9);
      d.recorded = date(*prb, 2);
      d.source_key = key(n);
      d.source = ref(*prb);
      if (d.disease.empty() && d.code.empty()) {
        warn(*prb, 3, "PRB に病名コードがありません", "PRB has no disease code");
        continue;
      }
      out_.extract.diagnoses.push_back(std::move(d));
    }
  }

  void medications(model::MedicationKind kind) {
    std::string start;
    std::optional<int> days;
    std::size_t n = 0;
    const Segment* rxe = nullptr;
    auto add = [&](const Segment& s, std::size_t code_field, std::size_t amount_field,
                   std::size_t unit_field) {
      model::Medication med{.patient_id = path_.patient_id, .kind = kind};
      med.drug = coded(s, code_field);
      std::string amount = value(s, amount_field);
      med.dose = parse_number(amount);
      if (!amount.empty() && !med.dose) {
        warn(s, amount_field, fmt::format("量「{}」が数値ではありません", amount),
             fmt::format("amount \"{}\" is not a number", amount));
      }
      med.dose_unit = value(s, unit_field);
      med.days = days;
      med.start = start;
      med.source_key = key(++n);
      med.encounter_key = visit();
      med.source = ref(s);
      out_.extract.medications.push_back(std::move(med));
    };
    // Segments come as ORC, RXE, TQ1, RXR, RXC...: a drug is known at its RXE (or RXC), its
    // timing at the TQ1 after it, so each order group is emitted when the next ORC (or the end)
    // arrives.
    std::vector<const Segment*> rxcs;
    auto flush = [&]() {
      if (rxe == nullptr) return;
      if (kind == model::MedicationKind::injection && !rxcs.empty()) {
        for (const Segment* rxc : rxcs) add(*rxc, 2, 3, 4);
      } else {
        add(*rxe, 2, 3, 5);
      }
      rxe = nullptr;
      rxcs.clear();
      start.clear();
      days.reset();
    };
    const Segment* orc = nullptr;
    for (const Segment& s : m_.segments()) {
      if (s.id() == "ORC") {
        flush();
        orc = &s;
      } else if (s.id() == "RXE") {
        flush();
        rxe = &s;
        if (orc != nullptr) start = date(*orc, 9);
      } else if (s.id() == "TQ1" && rxe != nullptr) {
        std::string tq_start = date(s, 7);
        if (!tq_start.empty()) start = tq_start;
        // TQ1-6 service duration, e.g. 5^d.
        if (value(s, 6, 2) == "d") {
          if (auto v = parse_number(value(s, 6, 1))) days = static_cast<int>(*v);
        }
      } else if (s.id() == "RXC" && rxe != nullptr) {
        rxcs.push_back(&s);
      }
    }
    flush();
  }

  void lab_result(const Segment& obx, std::size_t n, const std::string& fallback_time) {
    model::LabResult r{.patient_id = path_.patient_id};
    r.test = coded(obx, 3);
    r.value = value(obx, 5);
    if (value(obx, 2) == "NM") {
      r.numeric = parse_number(r.value);
      if (!r.value.empty() && !r.numeric) {
        warn(obx, 5, fmt::format("数値型 (NM) の結果「{}」が数値ではありません", r.value),
             fmt::format("numeric (NM) result \"{}\" is not a number", r.value));
      }
    }
    r.unit = value(obx, 6);
    r.reference_range = value(obx, 7);
    r.abnormal_flag = value(obx, 8);
    r.observed = date(obx, 14);
    if (r.observed.empty()) r.observed = fallback_time;
    r.source_key = key(n);
    r.encounter_key = visit();
    r.source = ref(obx);
    out_.extract.lab_results.push_back(std::move(r));
  }

  void lab_results() {
    std::size_t n = 0;
    std::string specimen_time;
    for (const Segment& s : m_.segments()) {
      if (s.id() == "SPM") specimen_time = date(s, 17);
      if (s.id() == "OBX") lab_result(s, ++n, specimen_time);
    }
  }

  const Message& m_;
  const StoragePath& path_;
  const std::string& institution_;
  const std::string& source_;
  MappedMessage out_;
};

}  // namespace

bool reads_data_type(std::string_view data_type) { return find_type(data_type) != nullptr; }

Result<MappedMessage> map_message(const hl7::Message& message, const StoragePath& path,
                                  const std::string& institution, const std::string& source) {
  const DataType* type = find_type(path.data_type);
  const std::string found = message.message_type();
  if (type == nullptr) {
    return fail(Errc::invalid_argument,
                {fmt::format("データ種別 {} はまだ読み込めません", path.data_type),
                 fmt::format("data type {} is not read yet", path.data_type)},
                Location{.file = source});
  }
  if (std::find(type->types.begin(), type->types.end(), found) == type->types.end()) {
    std::string expected;
    for (const auto& t : type->types) expected += (expected.empty() ? "" : ", ") + t;
    return fail(Errc::invalid_input,
                {fmt::format("データ種別 {} のメッセージ型は {} ですが、MSH-9 は「{}」です",
                             path.data_type, expected, found),
                 fmt::format("data type {} holds {} messages, but MSH-9 is \"{}\"", path.data_type,
                             expected, found)},
                Location{.file = source, .line = 1, .field = "MSH-9"});
  }
  MappedMessage mapped = Mapper(message, path, institution, source).run();
  mapped.extract.deleted = path.deleted || std::find(type->withdrawn.begin(), type->withdrawn.end(),
                                                     found) != type->withdrawn.end();
  return mapped;
}

}  // namespace tokumei::ingest::ssmix2
