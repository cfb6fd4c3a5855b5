#pragma once
// Computes the classes of a transformation by rolling up the classes of the smallest already
// computed finer transformation, and judges them.

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "tokumei/anon/detail/problem.h"

namespace tokumei::anon::detail {

// Classes of evaluated transformations, kept within a memory budget so that a coarser
// transformation can be rolled up from the smallest finer one instead of from the rows.
class SnapshotCache {
 public:
  explicit SnapshotCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

  struct Snapshot {
    std::vector<int> levels;
    std::shared_ptr<const GroupTable> table;
  };
  // The cached snapshot with the fewest classes among those finer than or equal to `levels`,
  // or nullptr.
  const Snapshot* best_source(const std::vector<int>& levels) const;
  // Keeps `table` if it fits in the budget; the first snapshot offered is always kept.
  void offer(const std::vector<int>& levels, std::shared_ptr<const GroupTable> table);

 private:
  std::size_t budget_;
  std::size_t used_ = 0;
  std::vector<Snapshot> snapshots_;
};

// A transformation's judged classes, owned: what the release and the report need of it.
struct JudgedClasses {
  std::vector<int> levels;
  Assessment assessment;
  std::vector<std::uint64_t> keys{};
  std::vector<std::uint32_t> rows{};
  std::vector<std::uint8_t> failing{};

  ClassView view() const { return {keys, rows, failing}; }
};

// One evaluation's work, which another thread can do: the classes of `levels` rolled up from
// the finer snapshot `source`, and their assessment.
struct Evaluation {
  std::vector<int> levels;
  SnapshotCache::Snapshot source;
  std::shared_ptr<GroupTable> classes{};
  Assessment assessment{};
};

// What an evaluation needs of its own: one per thread.
struct EvaluationScratch {
  Grouper grouper;
  AssessScratch assess;
};

// Does the work of `e` (fills e.classes and e.assessment). Reads only `p` and e.source, so it may
// run on another thread while the Evaluator goes on.
void run(const Problem& p, Evaluation& e, EvaluationScratch& scratch);

// Not thread-safe: used by one thread, which may hand evaluations it plan()s to others.
class Evaluator {
 public:
  // Groups the rows once, at `base`: transformations at or above it are rolled up from there
  // (or from finer snapshots kept since), others are grouped from the rows.
  Evaluator(const Problem& problem, const std::vector<int>& base);

  // Classes and assessment of the transformation `levels`.
  Assessment evaluate(const std::vector<int>& levels);
  // The work of evaluating `levels` from the snapshots cached now, for run() on another thread;
  // nothing when no finer snapshot is cached or one of exactly these levels is.
  std::optional<Evaluation> plan(const std::vector<int>& levels) const;
  // Takes in an evaluation run() elsewhere: its classes are kept as a snapshot, its work counted.
  Assessment accept(Evaluation&& e);
  // evaluate(), with the classes (as assess() leaves them) copied out.
  JudgedClasses judge(const std::vector<int>& levels);
  // Classes read by roll-ups so far (the main cost of the search).
  std::size_t classes_rolled_up() const { return classes_rolled_up_; }

 private:
  const Problem& p_;
  SnapshotCache cache_;
  EvaluationScratch scratch_;
  std::shared_ptr<const GroupTable> current_;  // the classes scratch_ refers to
  std::size_t classes_rolled_up_ = 0;
};

// The classes of the original data (nothing generalized or suppressed), as the report's "before"
// needs them.
struct OriginalClasses {
  std::size_t classes = 0;
  double discernibility = 0;  // Σ of the squared class sizes
};
OriginalClasses original_classes(const Problem& p);

// The judged classes of `levels`: those the search kept in `result` when they are the same
// problem's and levels, else computed afresh.
std::shared_ptr<const JudgedClasses> judged_classes(const Problem& p, const Anonymization& result,
                                                    const std::vector<int>& levels);

}  // namespace tokumei::anon::detail
