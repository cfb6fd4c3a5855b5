#pragma once
// SS-MIX2 messages into the canonical model, by data type:
//   ADT-00 ADT^A08 patient information (A23: withdrawn) → PersonIdentity (+ height, weight,
//          blood type as results)
//   ADT-22 ADT^A01 admission (A11: cancelled)          → Encounter
//   ADT-52 ADT^A03 discharge (A13: cancelled)          → Encounter
//   PPR-01 PPR^ZD1 diagnoses                           → Diagnosis per PRB
//   OMP-01 RDE^O11 prescriptions                       → Medication per RXE
//   OMP-02 RDE^O11 injections                          → Medication per RXC (or RXE)
//   OML-11 OUL^R22 specimen results                    → LabResult per OBX
// Every message's PID also gives a PersonIdentity. Other data types are valid SS-MIX2 but not
// read into the model yet.

#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/error.h"
#include "tokumei/ingest/fields.h"  // iso_datetime: HL7 dates as ISO text
#include "tokumei/ingest/ssmix2/hl7.h"
#include "tokumei/ingest/ssmix2/storage.h"
#include "tokumei/model/clinical.h"

namespace tokumei::ingest::ssmix2 {

// Whether map_message() reads this data type.
bool reads_data_type(std::string_view data_type);

struct MappedMessage {
  model::Extract extract;
  // Accepted, but worth telling the hospital: a PID-3 that differs from the storage path's
  // patient ID, a date that does not parse, a value that should be numeric and is not.
  std::vector<Error> warnings;
};

// Maps a parsed message stored at `path`. Refused (located in `source`) when MSH-9 is not a
// message type of the data type. The storage path's patient ID is the record's patient.
Result<MappedMessage> map_message(const hl7::Message& message, const StoragePath& path,
                                  const std::string& institution, const std::string& source);

}  // namespace tokumei::ingest::ssmix2
