#pragma once
// The anonymization problem in integer form: bound hierarchies, the key layout, the class-level
// criteria and the metric's precomputed per-level terms. Built once per job by prepare(); shared
// read-only by the search threads.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "tokumei/anon/anonymizer.h"
#include "tokumei/anon/detail/group_table.h"

namespace tokumei::anon::detail {

struct QuasiIdentifier {
  int column = 0;
  BoundHierarchy hierarchy;
  // up[from][to][id at `from`] = id at `to` (from ≤ to).
  std::vector<std::vector<std::vector<std::uint32_t>>> up;
  // rows[level][id]: rows of the table in group `id` at `level`.
  std::vector<std::vector<std::uint32_t>> rows;
  // Loss: Σ over rows of their group's share of the hierarchy leaves (leaves under the group /
  // domain size), per level (no suppression).
  std::vector<double> loss_sum;
  // Loss: this attribute's factor in the geometric mean with nothing suppressed, per level.
  std::vector<double> loss_factor;
  // Non-uniform entropy of the attribute per level (ARX's rounding applied).
  std::vector<double> entropy;
  // Rows whose group at a level has fewer than the minimal class size: they are suppressed in
  // every transformation using that level, whatever the other attributes do.
  std::vector<std::size_t> rare_rows;
};

struct SensitiveAttribute {
  int column = 0;
  std::vector<std::uint32_t> rows;  // rows per value code, in the whole table
  // Hierarchical t-closeness: parent[level][id at level] = id at level + 1 (levels 0..height-2),
  // and the number of groups per level.
  std::vector<std::vector<std::uint32_t>> parent;
  std::vector<std::size_t> groups;
};

struct ClassCriterion {
  enum class Kind { distinct, entropy, recursive, t_equal, t_hierarchical } kind;
  std::size_t sensitive = 0;  // index into Problem::sensitive
  double l = 0, c = 0, t = 0;
};

struct Problem {
  const Table* table = nullptr;
  std::vector<AttributeRole> roles;  // per column of the table
  std::size_t rows = 0;
  std::vector<QuasiIdentifier> qis;
  std::vector<SensitiveAttribute> sensitive;
  KeyLayout layout;  // fields: quasi-identifiers, then sensitive attributes (unless masked)
  std::uint64_t qi_mask = 0;
  std::size_t min_class_size = 1;  // k, ⌈ℓ⌉, ⌈1/highest risk⌉: the largest
  std::vector<ClassCriterion> criteria;
  // When the only criteria are distinct ℓ-diversity on the one sensitive attribute: the largest
  // ℓ (a class's entries are then its distinct values, no histogram needed). 0 otherwise.
  double distinct_l = 0;
  // Distinct ℓ-diversity on a sensitive attribute of at most 64 values: keys leave the sensitive
  // value out and each class carries a bitmask of the values present instead (GroupTable::masks),
  // so a class is one entry rather than one per value.
  bool sensitive_masks = false;
  double average_risk = 0;
  std::size_t max_outliers = 0;
  MetricSpec metric;
  double g_factor = 1, s_factor = 1;
  // Privacy monotonic under generalization with suppression: a failing transformation's
  // predecessors fail and a satisfying one's successors satisfy.
  bool monotonic = true;

  // Threads a large grouping is split across (AnonymizationSpec::threads, 0 read as the cores).
  int threads = 1;

  std::vector<int> heights;        // levels per quasi-identifier
  std::vector<std::size_t> radix;  // node index = Σ level[q] · radix[q]
  std::size_t lattice_size = 1;

  std::vector<int> node_levels(std::size_t index) const;
};

// Validates `spec` against `table` and builds the problem (errors as documented for anonymize()).
Result<Problem> prepare(const Table& table, const AnonymizationSpec& spec);
// The problem `result` was found with when it belongs to `table`; otherwise prepares it afresh.
Result<std::shared_ptr<const Problem>> prepared_for(const Table& table,
                                                    const AnonymizationSpec& spec,
                                                    const Anonymization& result);

// Refuses levels that are not a transformation of this lattice (wrong count, out of range).
Status check_levels(const Problem& p, const std::vector<int>& levels);

// Metric value of a transformation with no suppression: a lower bound on its loss whatever is
// suppressed (exact for the entropy metric, which ignores suppression as ARX's does).
double lower_bound(const Problem& p, Metric metric, const std::vector<int>& levels);

// Smallest number of rows any transformation with these levels must suppress (from the
// quasi-identifiers' rare groups alone).
std::size_t least_outliers(const Problem& p, const std::vector<int>& levels);

// The finest transformation not ruled out by least_outliers(): per quasi-identifier, the lowest
// level whose rare groups alone do not exceed the suppression limit. Every transformation worth
// evaluating is at or above it.
std::vector<int> floor_levels(const Problem& p);

// How many distinct keys a transformation can have at most (the product of its group counts,
// times the sensitive attributes' value counts when `with_sensitive`).
std::size_t key_space(const Problem& p, const std::vector<int>& levels, bool with_sensitive);

// Keys of rows at a transformation's levels, computed a block of rows at a time and column by
// column (each column's codes read at their own width).
class RowKeys {
 public:
  static constexpr std::size_t kBlock = 1024;
  // Quasi-identifier fields, and the sensitive fields when `with_sensitive` and they are in the
  // layout.
  RowKeys(const Problem& p, const std::vector<int>& levels, bool with_sensitive);
  // keys[i] for rows begin + i < end; at most kBlock rows.
  void compute(std::size_t begin, std::size_t end, std::uint64_t* keys) const;

 private:
  struct Field {
    const Codes* codes;
    const std::uint32_t* group;  // group id per code, or null for the code itself
    int shift;
  };
  std::vector<Field> fields_;
};

// The classes of the transformation `levels`, from the rows.
void group_rows(const Problem& p, const std::vector<int>& levels, Grouper& grouper,
                GroupTable& out);
// Classes at `to` from the classes `from_table` of the finer transformation `from` (from ≤ to).
void roll_up(const Problem& p, const GroupTable& from_table, const std::vector<int>& from,
             const std::vector<int>& to, Grouper& grouper, GroupTable& out);

struct Assessment {
  bool satisfies = false;
  bool min_size_fails = false;  // too many rows in classes below min_class_size alone
  std::size_t outliers = 0;
  std::size_t classes = 0;  // released classes
  double information_loss = 0;
};

// The classes of one transformation as assess() judged them: quasi-identifier keys (sensitive
// fields cleared), rows per class, and whether each class fails (its rows are suppressed).
struct ClassView {
  std::span<const std::uint64_t> keys;
  std::span<const std::uint32_t> rows;
  std::span<const std::uint8_t> failing;
};

// Scratch buffers for assess(), one per thread.
struct AssessScratch {
  Grouper classes;
  // The classes judged last: views into the table passed to assess(), or into class_table
  // when sensitive values had to be merged out of it.
  std::span<const std::uint64_t> class_keys;
  std::span<const std::uint32_t> class_rows;
  GroupTable class_table;
  std::vector<std::uint32_t> class_of, class_entries, order, offsets;
  std::vector<std::uint32_t> histogram, touched, frequencies;
  std::vector<std::int64_t> extra, surplus, deficit;
  std::vector<std::uint8_t> failing;

  ClassView view() const { return {class_keys, class_rows, failing}; }
};

// Judges every class of a transformation and, when it satisfies the model, computes its
// information loss. Afterwards scratch.class_keys / class_rows / failing describe its classes
// (keys with the sensitive fields cleared); the views stay valid while `table` lives.
Assessment assess(const Problem& p, const std::vector<int>& levels, const GroupTable& table,
                  AssessScratch& scratch);

// Value of `metric` for a transformation with these judged classes and `outliers` rows suppressed.
double metric_value(const Problem& p, Metric metric, const std::vector<int>& levels,
                    const ClassView& classes, std::size_t outliers);

}  // namespace tokumei::anon::detail
