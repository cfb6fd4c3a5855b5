#pragma once
// The canonical clinical model: what every reader (SS-MIX2, FHIR, claims) turns its input into,
// whatever the format. A person's identity (names, birth date, address, IDs) is a separate
// PersonIdentity, which only the identity vault keeps (encrypted); events refer to the person
// through the source's patient ID until the vault gives them an internal key.
//
// Dates are ISO 8601 text ("2011-07-01", or "2011-07-01T10:30:45" when the time is known) so
// that any precision a source gives survives; an empty string means unknown. Every event keeps
// the SourceRef it came from, so it can be traced to its file and line (INTAKE-06).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokumei::model {

// Where a record came from: the file, and in it the line (text formats), the byte offset
// (formats without lines) and the segment or element (e.g. "OBX[3]", "Bundle.entry[12]").
struct SourceRef {
  std::string file;
  int line = 0;
  std::int64_t offset = -1;
  std::string element{};
  bool operator==(const SourceRef&) const = default;
};

// A coded value: the code system (a short name such as "ICD10", "JLAC10", "HOT9", "YJ",
// "MDCDX2" for 標準病名 management numbers, "LOINC", "SNOMED", "RxNorm", or the source's own
// system name), the code and the text the source gave with it.
struct Code {
  std::string system;
  std::string code;
  std::string display{};
  bool empty() const { return code.empty(); }
  bool operator==(const Code&) const = default;
};

enum class Sex { unknown, male, female, other };

// An insurance membership: 保険者番号, 記号, 番号 and 枝番.
struct Insurance {
  std::string insurer_number;
  std::string symbol{};
  std::string number{};
  std::string branch{};
  bool operator==(const Insurance&) const = default;
};

// Everything that identifies a person. Never stored in clear: the vault encrypts each field and
// keeps only keyed blind indexes for look-up.
struct PersonIdentity {
  std::string
      institution;  // the hospital's 医療機関コード (10 digits) or the operator's name for it
  std::string patient_id;  // the hospital's own patient ID
  std::string name_kanji{};
  std::string name_kana{};
  std::string birth_date{};
  Sex sex = Sex::unknown;
  std::string postal_code{};
  std::string address{};
  std::vector<std::string> phones{};
  std::vector<Insurance> insurance{};
  std::string death_date{};
  SourceRef source{};
  bool operator==(const PersonIdentity&) const = default;
};

enum class EncounterKind { outpatient, admission, discharge, emergency, other };

struct Encounter {
  std::string patient_id;
  EncounterKind kind = EncounterKind::outpatient;
  std::string start{};
  std::string end{};
  Code department{};
  std::string source_key{};  // the source's own identity of the record (order or visit number)
  // The visit number records name to say they belong to this encounter (HL7 PV1-19), as
  // "visit/<number>"; empty when the source gives none.
  std::string visit{};
  SourceRef source{};
  bool operator==(const Encounter&) const = default;
};

// 病名. `code` is the ICD-10 code when the source gives one; `disease` the 標準病名 management
// number or claims disease code.
struct Diagnosis {
  std::string patient_id;
  Code code{};
  Code disease{};
  bool suspected = false;  // 疑い病名
  std::string outcome{};   // 転帰 as the source codes it (cured, died, stopped, ...)
  std::string onset{};
  std::string end{};
  std::string recorded{};
  std::string source_key{};
  SourceRef source{};
  bool operator==(const Diagnosis&) const = default;
};

enum class MedicationKind { prescription, injection };

// 処方 and 注射: one drug of an order.
struct Medication {
  std::string patient_id;
  MedicationKind kind = MedicationKind::prescription;
  Code drug{};  // HOT9/HOT13, YJ (薬価基準), claims drug code, RxNorm
  std::optional<double> dose{};
  std::string dose_unit{};
  std::optional<int> days{};
  std::string start{};
  // The source's key of the encounter the record belongs to (a FHIR encounter reference,
  // "Encounter/123"), when the source gives one.
  std::string encounter_key{};
  std::string source_key{};
  SourceRef source{};
  bool operator==(const Medication&) const = default;
};

// 検体検査結果.
struct LabResult {
  std::string patient_id;
  Code test{};  // JLAC10 or LOINC
  std::string value{};
  std::optional<double> numeric{};
  std::string unit{};
  std::string reference_range{};
  std::string abnormal_flag{};
  std::string observed{};
  // The source's key of the encounter the record belongs to (a FHIR encounter reference,
  // "Encounter/123"), when the source gives one.
  std::string encounter_key{};
  std::string source_key{};
  SourceRef source{};
  bool operator==(const LabResult&) const = default;
};

struct Procedure {
  std::string patient_id;
  Code code{};
  std::string performed{};
  // The source's key of the encounter the record belongs to (a FHIR encounter reference,
  // "Encounter/123"), when the source gives one.
  std::string encounter_key{};
  std::string source_key{};
  SourceRef source{};
  bool operator==(const Procedure&) const = default;
};

// A month of care billed for one patient (レセプト): the days of the month on which the patient
// was seen. Later used to find patients with care but no notification (QUALITY-04).
struct ClaimVisit {
  std::string patient_id;
  std::string claim_month{};  // "2024-06"
  std::vector<std::string> visit_dates{};
  std::string source_key{};
  SourceRef source{};
  bool operator==(const ClaimVisit&) const = default;
};

// What one input file (or message) contributes. `deleted` marks a source record that withdraws
// earlier ones with the same source keys (SS-MIX2 condition flag 0, ADT^A23).
struct Extract {
  std::vector<PersonIdentity> persons;
  std::vector<Encounter> encounters;
  std::vector<Diagnosis> diagnoses;
  std::vector<Medication> medications;
  std::vector<LabResult> lab_results;
  std::vector<Procedure> procedures;
  std::vector<ClaimVisit> claim_visits;
  bool deleted = false;

  std::size_t events() const {
    return encounters.size() + diagnoses.size() + medications.size() + lab_results.size() +
           procedures.size() + claim_visits.size();
  }
};

// Stable English names, for --json output and the store.
std::string_view sex_name(Sex sex);
std::string_view encounter_kind_name(EncounterKind kind);

}  // namespace tokumei::model
