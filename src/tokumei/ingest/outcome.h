#pragma once
// What became of one input file, whatever its format: read into the model, recognized but not
// taken in, or quarantined with every located problem found. Readers hand these out one file at
// a time, so memory does not grow with the input.

#include <string>
#include <vector>

#include "tokumei/base/error.h"
#include "tokumei/ingest/event_record.h"
#include "tokumei/model/clinical.h"

namespace tokumei::ingest {

struct FileOutcome {
  enum class Kind {
    read,         // mapped into `extract` (parts of it may still have been refused: `problems`)
    not_read,     // valid, but nothing the model takes in (yet): `problems` says why
    quarantined,  // refused as a whole: `problems` says why
  };
  std::string path;  // as the reader was given it, with '/' separators
  Kind kind = Kind::read;
  std::string record_type{};  // SS-MIX2 data type, FHIR resource type(s), claims file kind
  model::Extract extract{};
  // Quarantined: why the file was refused. Read: records refused inside it (a FHIR entry, a
  // claims record), each located; the rest of the file was read.
  std::vector<Error> problems{};
  std::vector<Error> warnings{};  // read, but worth telling the hospital
  // The events' records, when the reading thread made them ahead (else made as they are stored).
  EncodedEvents records{};
};

}  // namespace tokumei::ingest
