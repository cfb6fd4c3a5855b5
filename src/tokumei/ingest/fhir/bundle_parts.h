#pragma once
// A FHIR JSON document too large to hold whole (a Synthea patient's Bundle of tens of megabytes, a
// collection exported as one file), read part by part so that memory does not grow with it. The
// file's bytes come in pieces cut anywhere after a newline or one of , { } [ ] (where no value,
// an Individual Number above all, is cut in two); the top-level Bundle's entries are read as soon
// as they are complete, numbered and located as in the file. The rest of the document (its type,
// identifier, links) is kept aside and checked to be JSON at the end.
//
// A document that is not a Bundle with its entry array at the top (or names its resourceType
// only after its entries) is read whole at the end, as a small file would be.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tokumei/base/error.h"
#include "tokumei/ingest/fhir/json_strings.h"
#include "tokumei/ingest/fhir/reader.h"
#include "tokumei/ingest/outcome.h"

namespace tokumei::ingest::fhir {

class BundleParts {
 public:
  BundleParts(Reader& reader, std::string path) : reader_(reader), path_(std::move(path)) {}

  // Reads the entries the next piece completes; `lines_before` and `bytes_before` say where the
  // piece is in the file, `last` that it is the final one (maybe empty). A piece holding an
  // Individual Number, and a document that is not JSON, come back quarantined.
  FileOutcome read(std::string_view piece, int lines_before, std::int64_t bytes_before, bool last);

  // The same, only learning the Patients (Reader::learn_patients); errors are left to read().
  void learn(std::string_view piece, bool last);

 private:
  // The entries completed so far, as a Bundle of their own.
  struct Ready {
    std::string json;
    std::size_t first_entry = 0;  // the number of its first entry in the file
    std::int64_t json_at = 0;     // where in the file `json` would begin (its entries are there)
  };
  // Scans `piece`; what is ready to read, if anything. On `last`, also checks the document's end
  // and what is left outside the entries; `whole` is set when the document is to be read whole.
  Result<std::optional<Ready>> take(std::string_view piece, bool last, bool& whole);
  void scan();
  void complete_element(std::size_t end);
  std::unexpected<Error> invalid(std::int64_t offset, std::string_view why_ja,
                                 std::string_view why_en) const;

  Reader& reader_;
  std::string path_;
  std::string buffer_;          // the bytes not yet read, from buffer_at_ in the file
  std::int64_t buffer_at_ = 0;  // offset in the file of buffer_[0]
  std::size_t scanned_ = 0;     // bytes of buffer_ scanned
  std::optional<Error> error_;  // the document is not JSON: every later piece says so

  // Where the scan is.
  int depth_ = 0;
  JsonStrings strings_;
  bool ended_ = false;
  bool expect_key_ = false;       // in the top object, the next string is a key
  bool in_value_ = false;         // in the top object, after a key's colon
  std::size_t string_start_ = 0;  // after the opening quote of the string being scanned
  std::string key_;               // the top object's last key
  std::string resource_type_;
  bool in_entries_ = false;  // in the top entry array, whose elements are at depth 2
  bool entries_seen_ = false;
  bool after_element_ = false, after_comma_ = false;  // at the entry array's level
  std::optional<std::size_t> element_;                // start of the element being scanned
  std::size_t element_last_ = 0;            // end of its last byte that is not white space
  std::optional<std::size_t> first_ready_;  // start of the first complete element not yet read
  std::size_t ready_end_ = 0;               // end of the last complete element
  std::size_t ready_ = 0, entries_read_ = 0;
  std::string skeleton_;                      // the document without its entries
  std::optional<std::size_t> after_entries_;  // where the entry array closes, in buffer_
};

}  // namespace tokumei::ingest::fhir
