#pragma once
// FHIR R4 into the canonical model: Bundles (transaction, collection, document, searchset, ...),
// single resources, and NDJSON bulk files (one resource per line). Patient, Encounter, Condition,
// MedicationRequest, Observation and Procedure are read; other resource types are counted and
// skipped. JP Core conventions are understood (kanji and kana names marked IDE / SYL, the
// institution's patient-ID OID, JLAC10, HOT9, ICD-10, 標準病名 code systems); other code systems
// (Synthea's LOINC, SNOMED CT, RxNorm) are kept as they are.
//
// A resource that cannot be read (no subject, no code) is refused on its own, located by file
// and entry (or NDJSON line), and the rest of the file is read; a file that is not JSON is
// quarantined with the byte offset of the error.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokumei/ingest/outcome.h"

namespace tokumei::ingest::fhir {

// Short name of a FHIR code system URI as the model names it ("JLAC10", "HOT9", "ICD10",
// "LOINC", "SNOMED", "RxNorm", ...); other systems are returned as they are.
std::string code_system_name(std::string_view uri);

// Reads FHIR files of one institution. Events refer to their patient by the hospital's patient
// ID, found from the Patient resource their subject points at; when the Patient is in another
// file (single resources, NDJSON exports), learn_patients() on that file first lets the reader
// resolve it. Not thread-safe.
class Reader {
 public:
  explicit Reader(std::string institution) : institution_(std::move(institution)) {}

  // Learns the Patient resources of a file (their references → hospital patient IDs) without
  // reading anything else; unreadable input is ignored here and reported by read().
  void learn_patients(std::string_view bytes);
  // Reads one file's content.
  FileOutcome read(const std::string& path, std::string_view bytes);

  // Patients learned so far.
  std::size_t known_patients() const { return patient_ids_.size(); }

 private:
  friend class ResourceMapper;
  std::string institution_;
  // "Patient/<id>" and "urn:uuid:<id>" → hospital patient ID.
  std::unordered_map<std::string, std::string> patient_ids_;
};

// Reads `files` (JSON or NDJSON) of one institution: a first pass learns their Patient
// resources, a second reads everything, handing each file's outcome to `sink` in the order
// given. A file that cannot be opened is quarantined; the others are still read.
void read_files(const std::vector<std::filesystem::path>& files, const std::string& institution,
                const std::function<void(FileOutcome&&)>& sink);

}  // namespace tokumei::ingest::fhir
