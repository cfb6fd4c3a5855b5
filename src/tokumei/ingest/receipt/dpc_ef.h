#pragma once
// DPC inpatient EF integrated files (入院EF統合ファイル): one month of an inpatient's care per
// line, tab-separated with a title row, Shift_JIS (UTF-8 accepted too). Lines whose 行為明細番号
// is 000 head a group (the E file's record); the lines after it (001, 002, …) are its details
// (the F file's): procedures (レセ電 codes starting 1), drugs (6) and materials (7).
//
//   データ識別番号 → the hospital's patient ID (the same in every file, 様式1 too)
//   入院年月日 / 退院年月日 → one admission Encounter per patient and admission date
//   details → Procedure (code 1…) and Medication (code 6…, 使用量 as the dose) on 実施年月日
//
// A line with the wrong number of columns or a malformed date is refused alone, located by
// line; a file whose title row is not the EF layout's is not read.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tokumei/ingest/outcome.h"

namespace tokumei::ingest::receipt {

FileOutcome read_dpc_ef(const std::string& path, std::string_view bytes,
                        const std::string& institution);

// An EF file too large to hold whole, read part by part: whole lines, after `lines_before` lines
// and `bytes_before` bytes of the file; `last` for the final part. Locations are the file's.
class EfParts {
 public:
  EfParts(const std::string& path, const std::string& institution);
  ~EfParts();
  EfParts(const EfParts&) = delete;
  EfParts& operator=(const EfParts&) = delete;
  FileOutcome read(std::string_view bytes, int lines_before, std::int64_t bytes_before, bool last);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tokumei::ingest::receipt
