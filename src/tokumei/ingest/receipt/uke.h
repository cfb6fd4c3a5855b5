#pragma once
// Medical claims files (レセプト電算処理システム, 医科, 記録条件仕様): Shift_JIS/CP932 text,
// CRLF, one record per line with its type first, perhaps an EOF byte (0x1A) at the end.
//
//   IR 医療機関情報   → the institution and the claim month
//   RE レセプト共通   → a claim: the patient (カルテ番号 as the hospital's patient ID, names,
//                       sex, birth date) and a ClaimVisit for the month
//   HO 保険者, KO 公費 → the patient's insurance
//   SY 傷病名        → Diagnosis (claims disease code; 未コード化 0000999 keeps its name)
//   SI 診療行為      → Procedure; IY 医薬品 → Medication; their day columns (1..31) and
//                       JD 受診日等 give the days of the month the patient was seen
//   TO CO SN MF GO and the other types of the specification are read for their days or skipped
//
// Dates come western (yyyyMMdd, yyyyMM) or Japanese-era (GYYMMDD, GYYMM; G = 1 明治 … 5 令和).
// A record that cannot be read (a claim detail before any RE, a malformed date) is refused
// alone, located by line and record type; a file that is not CP932 or does not start with IR is
// quarantined.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tokumei/ingest/outcome.h"

namespace tokumei::ingest::receipt {

FileOutcome read_uke(const std::string& path, std::string_view bytes,
                     const std::string& institution);

// A claims file too large to hold whole, read part by part: whole lines, after `lines_before`
// lines and `bytes_before` bytes of the file; `last` for the final part. A claim that spans two
// parts is given with the part where it ends. Locations are the file's.
class UkeParts {
 public:
  UkeParts(const std::string& path, const std::string& institution);
  ~UkeParts();
  UkeParts(const UkeParts&) = delete;
  UkeParts& operator=(const UkeParts&) = delete;
  FileOutcome read(std::string_view bytes, int lines_before, std::int64_t bytes_before, bool last);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// yyyyMMdd or GYYMMDD as "yyyy-MM-dd"; "" when it is neither.
std::string claims_date(std::string_view text);
// yyyyMM or GYYMM as "yyyy-MM"; "" when it is neither.
std::string claims_month(std::string_view text);

}  // namespace tokumei::ingest::receipt
