#pragma once
// SS-MIX2 標準化ストレージ: where a message file sits says whose it is and what it is.
//
//   <root>/<PID[0:3]>/<PID[3:6]>/<PID>/<date yyyyMMdd or ->/<data type>/<file>
//   file = PID_date_datatype_orderNo_eventTime(yyyyMMddHHmmssfff)_department_conditionFlag
//
// The folders and the file name repeat each other; a file whose parts disagree was put in the
// wrong place (or renamed) and cannot be trusted to belong to the patient its folder names.

#include <filesystem>
#include <string>

#include "tokumei/base/error.h"

namespace tokumei::ingest::ssmix2 {

struct StoragePath {
  std::string patient_id;
  std::string date;          // yyyyMMdd, or "-" for data not tied to a date (ADT-00, PPR-01)
  std::string data_type;     // "ADT-00", "OMP-01", ...
  std::string order_number;  // 15 characters ("999999999999999" where there is none)
  std::string event_time;    // yyyyMMddHHmmssfff
  std::string department;    // 診療科 code, or "-"
  bool deleted = false;      // condition flag 0: the message withdraws the order

  // The storage's key for the record: the same order in a later file replaces it.
  std::string key() const { return patient_id + "/" + data_type + "/" + order_number; }
};

// Parses the path of a file relative to the storage root and checks the folders against the
// file name. Refused, naming the path and the disagreeing part: too few or too many folders, a
// name that is not seven parts, a patient ID, date or data type that differs between folder and
// name, an event time that is not 17 digits, a condition flag other than 0 or 1.
Result<StoragePath> parse_storage_path(const std::filesystem::path& relative,
                                       const std::string& source);

}  // namespace tokumei::ingest::ssmix2
