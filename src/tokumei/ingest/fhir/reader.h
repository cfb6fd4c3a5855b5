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

#include <simdjson.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokumei/ingest/digest_table.h"
#include "tokumei/ingest/fhir/json_strings.h"
#include "tokumei/ingest/outcome.h"

namespace tokumei::ingest::fhir {

// Short name of a FHIR code system URI as the model names it ("JLAC10", "HOT9", "ICD10",
// "LOINC", "SNOMED", "RxNorm", ...); other systems are returned as they are.
std::string code_system_name(std::string_view uri);

// Tells NDJSON from a JSON document, given a file's bytes from its beginning, piece by piece:
// NDJSON when its first line is one whole object (its brackets close, strings aside) and the
// next line that is not blank starts another (a document may have a line starting with "{").
class NdjsonSniffer {
 public:
  // Reads the next bytes; true once the answer is known (the rest need not be given).
  bool feed(std::string_view bytes);
  // The answer: false until it is known, and for a document.
  bool ndjson() const { return answer_ == Answer::ndjson; }

 private:
  enum class Answer { unknown, ndjson, document } answer_ = Answer::unknown;
  std::int64_t seen_ = 0;
  int depth_ = 0;
  JsonStrings strings_;
  bool started_ = false, closed_ = false;
  bool new_line_ = false;  // after the first value, a line end came
};

// Whether `bytes` (a whole file) is NDJSON, as NdjsonSniffer tells.
bool looks_like_ndjson(std::string_view bytes);

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
  // Reads part of an NDJSON file too large to hold whole: whole lines, after `lines_before` lines
  // and `bytes_before` bytes of the file (so that locations are the file's). learn_patients()
  // takes such parts as they are.
  FileOutcome read_ndjson_part(const std::string& path, std::string_view lines, int lines_before,
                               std::int64_t bytes_before);

  // Reads a JSON Bundle made of entries of a larger one (BundleParts): its first entry is entry
  // `first_entry` of the file, and it is located as if it began `json_at` bytes into the file.
  // Screening for Individual Numbers is the caller's (done on the file's own bytes).
  FileOutcome read_bundle_entries(const std::string& path, std::string_view json,
                                  std::size_t first_entry, std::int64_t json_at);
  // Learns the Patients of one JSON document (not NDJSON).
  void learn_document(std::string_view json);

  // References to patients learned so far ("Patient/<id>" and the entry's fullUrl each count).
  std::size_t known_references() const { return references_.size(); }
  // Bytes held for them: about 60 per patient.
  std::size_t memory() const { return references_.memory() + patient_ids_.capacity(); }

 private:
  friend class ResourceMapper;
  void remember_patient(simdjson::dom::element patient, std::string_view full_url);
  // Remembers the Patients of a parsed document (a Bundle's entries, or the resource itself).
  void learn_from(simdjson::dom::element doc);
  // Where a text is in its file.
  struct TextPlace {
    int lines_before = -1;  // < 0: a JSON document; else NDJSON lines after that many
    std::int64_t bytes_before = 0;
    std::size_t first_entry = 0;  // a Bundle's first entry's number in the file
    bool screened = false;        // for Individual Numbers, already
  };
  FileOutcome read_text(const std::string& path, std::string_view bytes, const TextPlace& place);
  std::optional<std::string> patient_of(std::string_view reference);

  std::string institution_;
  // Reference → where its hospital patient ID starts in `patient_ids_` (each ID once, after a
  // 2-byte length): a bulk export's million patients stay a few tens of megabytes.
  DigestTable references_;
  std::string patient_ids_;
  std::string last_reference_, last_patient_id_;  // a file's events mostly name one patient
  simdjson::dom::parser parser_;                  // reused: its buffers grow once
};

// Reads `files` (JSON or NDJSON) of one institution: a first pass learns their Patient
// resources, a second reads everything, handing each file's outcome to `sink` in the order
// given. A file that cannot be opened is quarantined; the others are still read.
void read_files(const std::vector<std::filesystem::path>& files, const std::string& institution,
                const std::function<void(FileOutcome&&)>& sink);

}  // namespace tokumei::ingest::fhir
