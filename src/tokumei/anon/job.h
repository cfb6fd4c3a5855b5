#pragma once
// An anonymization job file (TOML), as `tokumei anonymize --config job.toml` reads it: the input
// CSV, every column's role, hierarchies (ARX CSV files or builders), the privacy model, the
// metric and where to write the results. Paths are relative to the job file.
//
//   threads = 2                   # cores to use (default: one per core)
//   [input]
//   path = "adult.csv"            # delimiter = ";" (default: detected)
//   [output]
//   path = "adult_anonymized.csv" # report = "adult_report.json"
//   [model]
//   k = 5
//   suppression_limit = 0.05      # highest_risk, average_risk
//   metric = "loss"               # entropy, discernibility, average_class_size, precision
//   [[model.l_diversity]]
//   attribute = "occupation"      # variant = "distinct" | "entropy" | "recursive"; l; c
//   [[model.t_closeness]]
//   attribute = "occupation"      # distance = "equal" | "hierarchical"; t
//   [attributes.age]
//   role = "quasi_identifying"    # identifying, sensitive, insensitive
//   hierarchy = "adult_hierarchy_age.csv"
//   [attributes.birth_date]
//   role = "quasi_identifying"
//   builder = "dates"             # intervals (bottom, top, widths), prefix (lengths), icd10,
//                                 # municipality, masking; dates (levels)
//   [report]
//   risk_threshold = 0.2          # records above this prosecutor risk are counted

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/anon/anonymizer.h"
#include "tokumei/anon/csv.h"
#include "tokumei/anon/hierarchy_builders.h"
#include "tokumei/base/error.h"

namespace tokumei::anon {

// How a hierarchy is obtained: from a file, or built from the column's values.
struct HierarchySource {
  std::filesystem::path file;  // ARX CSV; empty when a builder is used
  std::string builder;         // intervals, dates, prefix, icd10, municipality, masking
  IntervalSpec intervals;
  std::vector<std::string> date_levels;
  std::vector<int> prefix_lengths;
  int line = 0;  // where the attribute is declared in the job file
};

struct JobAttribute {
  std::string column;
  AttributeRole role = AttributeRole::insensitive;
  std::optional<HierarchySource> hierarchy;
};

struct Job {
  std::string source;  // the job file
  std::filesystem::path input;
  CsvOptions csv;
  std::filesystem::path output;  // empty: not written
  std::filesystem::path report;  // empty: not written
  std::vector<JobAttribute> attributes;
  PrivacyModel model;
  MetricSpec metric;
  double risk_threshold = 0.2;  // records above this prosecutor risk are counted in the report
  int threads = 0;
  std::map<std::string, int> lines;  // dotted key → line in the job file
};

// Reads and validates a job file. Errors name the file, the line and the dotted key: TOML syntax,
// unknown keys, wrong types, unknown roles, metrics, builders and variants, missing required keys.
Result<Job> load_job(const std::filesystem::path& path);
Result<Job> parse_job(std::string_view text, const std::string& source,
                      const std::filesystem::path& base_dir);

// Places an engine error that names a setting or column but no file (k too large, an unknown
// column) at that setting's line in the job file.
Error locate(const Job& job, Error error);

// The engine's spec for `table`: loads hierarchy files and runs builders on the columns' values.
// A builder error is located at the job file's line for the attribute.
Result<AnonymizationSpec> make_spec(const Job& job, const Table& table);

}  // namespace tokumei::anon
