#include "tokumei/anon/detail/evaluator.h"

#include <algorithm>

namespace tokumei::anon::detail {
namespace {

bool finer_or_equal(const std::vector<int>& a, const std::vector<int>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
  }
  return true;
}

}  // namespace

const SnapshotCache::Snapshot* SnapshotCache::best_source(const std::vector<int>& levels) const {
  const Snapshot* best = nullptr;
  for (const auto& s : snapshots_) {
    if ((best == nullptr || s.table->size() < best->table->size()) &&
        finer_or_equal(s.levels, levels)) {
      best = &s;
    }
  }
  return best;
}

void SnapshotCache::offer(const std::vector<int>& levels, std::shared_ptr<const GroupTable> table) {
  if (!snapshots_.empty() && used_ + table->memory() > budget_) return;
  used_ += table->memory();
  snapshots_.push_back({levels, std::move(table)});
}

Evaluator::Evaluator(const Problem& problem, const std::vector<int>& base)
    : p_(problem), cache_(std::size_t{32} << 20) {
  auto table = std::make_shared<GroupTable>();
  group_rows(p_, base, grouper_, *table);
  cache_.offer(base, std::move(table));
}

Assessment Evaluator::evaluate(const std::vector<int>& levels) {
  const SnapshotCache::Snapshot* source = cache_.best_source(levels);
  if (source != nullptr && source->levels == levels) {
    current_ = source->table;
    return assess(p_, levels, *current_, scratch_);
  }
  auto table = std::make_shared<GroupTable>();
  if (source == nullptr) {
    // Below the base snapshot: straight from the rows.
    classes_rolled_up_ += p_.rows;
    group_rows(p_, levels, grouper_, *table);
  } else {
    classes_rolled_up_ += source->table->size();
    roll_up(p_, *source->table, source->levels, levels, grouper_, *table);
  }
  current_ = table;
  Assessment a = assess(p_, levels, *current_, scratch_);
  if (source != nullptr) cache_.offer(levels, std::move(table));
  return a;
}

JudgedClasses Evaluator::judge(const std::vector<int>& levels) {
  JudgedClasses j{.levels = levels, .assessment = evaluate(levels)};
  j.keys.assign(scratch_.class_keys.begin(), scratch_.class_keys.end());
  j.rows.assign(scratch_.class_rows.begin(), scratch_.class_rows.end());
  j.failing = scratch_.failing;
  return j;
}

std::shared_ptr<const JudgedClasses> judged_classes(const Problem& p, const Anonymization& result,
                                                    const std::vector<int>& levels) {
  if (result.classes != nullptr && result.prepared.get() == &p &&
      result.classes->levels == levels) {
    return result.classes;
  }
  return std::make_shared<const JudgedClasses>(Evaluator(p, levels).judge(levels));
}

}  // namespace tokumei::anon::detail
