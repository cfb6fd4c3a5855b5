#pragma once
// What a researcher asks for (the data items, period, population and granularity of ANON-05):
// the cohort specification a request carries, the committee approves, the contract names, and a
// dataset build must match exactly (its canonical hash) before anything is released.
//
// Written as TOML or JSON, e.g.
//
//   kind = "anonymized"                 # or "pseudonymized"
//   period = { from = "2020-04-01", to = "2025-03-31" }
//   institutions = ["1311234567"]       # empty or absent: every contracted institution
//   diagnoses = ["E11", "I10"]          # ICD-10 prefixes; a person needs one of them
//   drugs = ["3969"]                    # drug code prefixes (YJ, HOT, claims)
//   labs = ["3D010"]                    # lab code prefixes (JLAC10, LOINC)
//   age = { min = 40, max = 89 }        # age at the start of the period
//   fields = ["sex", "age", "prefecture", "diagnosis", "medication", "lab"]
//   age_band = 5                        # years per band; ages from top_code_age are one band
//   top_code_age = 90
//   dates = "shift"                     # "shift" (per person), "index" (days from the first
//                                       # event), or "month"
//
// A person is in the cohort when they have at least one event in the period that matches every
// non-empty one of diagnoses, drugs and labs (a match on any code of that list).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/error.h"

namespace tokumei::release {

enum class DatasetKind { anonymized, pseudonymized };
std::string_view dataset_kind_name(DatasetKind kind);
Result<DatasetKind> parse_dataset_kind(std::string_view name);
// 匿名加工医療情報 or 仮名加工医療情報: the label every package and readme carries (ANON-04,
// PSEUDO-02).
std::string_view dataset_kind_label(DatasetKind kind);

enum class DateHandling { shift, index, month };

struct CohortSpec {
  DatasetKind kind = DatasetKind::anonymized;
  std::string period_from{};  // YYYY-MM-DD
  std::string period_to{};
  std::vector<std::string> institutions{};
  std::vector<std::string> diagnoses{};
  std::vector<std::string> drugs{};
  std::vector<std::string> labs{};
  std::optional<int> age_min{};
  std::optional<int> age_max{};
  std::vector<std::string> fields{};
  int age_band = 5;
  int top_code_age = 90;
  DateHandling dates = DateHandling::shift;

  bool wants(std::string_view field) const;
  // The canonical JSON text (sorted keys, lists sorted and without repeats): two specifications
  // that ask for the same thing have the same text, whatever their order or format.
  std::string canonical() const;
  // SHA-256 of canonical(), hex: what an approval and a build compare (ANON-05).
  std::string hash() const;
};

// The fields a specification may ask for.
const std::vector<std::string>& cohort_fields();

// Reads a specification from TOML or JSON text (JSON when it starts with '{'). Every problem is
// Errc::invalid_input with `file`, the line when the parser knows it, and the field.
Result<CohortSpec> parse_cohort_spec(std::string_view text, const std::string& file = "");

// What differs between an approved specification and another, one line per field, empty when
// they ask for the same thing.
std::vector<std::string> spec_differences(const CohortSpec& approved, const CohortSpec& other);

}  // namespace tokumei::release
