#pragma once
// The risk and utility report of an anonymization (ANON-02: the stored assessment of
// re-identification risk): the transformation chosen, what was suppressed, the equivalence
// classes, prosecutor / journalist / marketer risk and every utility metric before and after.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tokumei/anon/anonymizer.h"

namespace tokumei::anon {

struct RiskSummary {
  double average = 0;
  double highest = 0;
  std::size_t records_above = 0;  // released records whose risk exceeds the report threshold
};

struct ClassSummary {
  std::size_t classes = 0;  // released equivalence classes
  std::size_t smallest = 0, largest = 0;
  double mean = 0;
  // Classes by size: {"1", n}, {"2-4", n}, {"5-9", n}, ... (only non-empty buckets).
  std::vector<std::pair<std::string, std::size_t>> histogram;
};

struct MetricValues {
  double loss = 0, entropy = 0, discernibility = 0, average_class_size = 0, precision = 0;
};

struct AnonymizationReport {
  Anonymization anonymization;
  std::size_t rows = 0;
  ClassSummary classes;
  // Risks of the released (not suppressed) records. Without a population table the data set is
  // taken as the population, so journalist risk equals prosecutor risk; marketer risk is the
  // expected share of records re-identified (classes / records).
  double risk_threshold = 0;
  RiskSummary prosecutor, journalist, marketer;
  MetricValues before;  // the original data: nothing generalized or suppressed
  MetricValues after;
  std::chrono::nanoseconds load_time{};
};

// Builds the report for `result` (from anonymize() on the same table and spec).
Result<AnonymizationReport> make_report(const Table& table, const AnonymizationSpec& spec,
                                        const Anonymization& result, double risk_threshold);

nlohmann::json report_json(const AnonymizationReport& report);
// A readable summary for the terminal.
std::string report_text(const AnonymizationReport& report, Lang lang);

}  // namespace tokumei::anon
