#pragma once
// The anonymization engine (匿名加工): finds the full-domain generalization — one hierarchy level
// per quasi-identifier — that satisfies the privacy model with at most the allowed record
// suppression and loses the least information by the chosen metric. The search is exact: it
// returns ARX's global optimum for the same settings.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/anon/hierarchy.h"
#include "tokumei/anon/privacy_model.h"
#include "tokumei/anon/table.h"
#include "tokumei/base/error.h"

namespace tokumei::anon {

namespace detail {
struct Problem;
struct JudgedClasses;
struct OriginalClasses;
}  // namespace detail

enum class AttributeRole {
  identifying,        // 直接識別子: removed from the output
  quasi_identifying,  // 準識別子: generalized and, for suppressed rows, replaced by "*"
  sensitive,          // kept as is; the subject of ℓ-diversity and t-closeness
  insensitive,        // kept as is
};
std::string_view role_name(AttributeRole role);
std::optional<AttributeRole> parse_role(std::string_view name);

struct AttributeSpec {
  std::string column;
  AttributeRole role = AttributeRole::insensitive;
  // Required for quasi-identifiers, and for sensitive attributes under hierarchical t-closeness.
  std::optional<GeneralizationHierarchy> hierarchy{};
};

struct AnonymizationSpec {
  // Every column of the table must be given a role: a column nobody classified could carry an
  // identifier into a release.
  std::vector<AttributeSpec> attributes;
  PrivacyModel model;
  MetricSpec metric;
  // Threads the work may use; 0 = one per core. Grouping 65 536 rows or more is split across
  // them, and with two or more a second thread evaluates ahead of the search and counts the
  // original data's classes. The result does not depend on it (only the work counted in
  // statistics.classes_rolled_up may).
  int threads = 0;
  // Called now and then with the share of the lattice settled so far (0..1), from the calling
  // thread. May be empty.
  std::function<void(double)> progress{};
};

// One candidate transformation and what it gives.
struct Transformation {
  std::vector<int>
      levels;              // per quasi-identifier, in the order of Anonymization::quasi_identifiers
  bool satisfies = false;  // the privacy model holds with the suppression allowed
  std::size_t suppressed_rows = 0;  // rows in classes that fail the model
  double information_loss = 0;      // by the spec's metric, suppression included
};

struct SearchStatistics {
  std::size_t lattice_size = 0;       // transformations in the lattice
  std::size_t evaluated = 0;          // transformations whose classes were computed
  std::size_t pruned = 0;             // settled without computing their classes
  std::size_t classes_rolled_up = 0;  // finer classes read to compute coarser ones
  std::chrono::nanoseconds elapsed{};
};

struct Anonymization {
  std::vector<std::string> quasi_identifiers;  // column names, in table order
  std::vector<int> max_levels;                 // highest level of each quasi-identifier
  // The optimum when `found`; otherwise the closest candidate (fewest rows over the suppression
  // limit), whose `satisfies` is false.
  bool found = false;
  Transformation best;
  std::size_t suppression_limit_rows = 0;  // floor(limit · rows)
  SearchStatistics statistics;
  // The prepared problem, reused by apply_transformation() and make_report() for the same table
  // and spec (which must outlive it).
  std::shared_ptr<const detail::Problem> prepared{};
  // The classes of `best` as the search judged them, reused by both as well.
  std::shared_ptr<const detail::JudgedClasses> classes{};
  // The original data's classes, counted beside the search for make_report().
  std::shared_ptr<const detail::OriginalClasses> original{};
};

// Validates the spec against the table and searches the lattice. Refused with a located error:
// a column without a role or a role for a column that does not exist, a quasi-identifier without
// a hierarchy, a value missing from its hierarchy, k or ℓ larger than the table, a criterion on an
// attribute that is not sensitive, thresholds out of range.
Result<Anonymization> anonymize(const Table& table, const AnonymizationSpec& spec);

// Evaluates one given transformation (levels per quasi-identifier) without searching.
Result<Transformation> evaluate(const Table& table, const AnonymizationSpec& spec,
                                const std::vector<int>& levels);

// The released table for `t`: identifying columns removed, quasi-identifiers generalized to
// t.levels, and every quasi-identifier of a suppressed row replaced by "*".
Result<Table> apply_transformation(const Table& table, const AnonymizationSpec& spec,
                                   const Transformation& t);
// The same for the result of anonymize() on this table and spec, without preparing again.
Result<Table> apply_transformation(const Table& table, const AnonymizationSpec& spec,
                                   const Anonymization& result);

}  // namespace tokumei::anon
