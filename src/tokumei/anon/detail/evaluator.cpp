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

void run(const Problem& p, Evaluation& e, EvaluationScratch& scratch) {
  e.classes = std::make_shared<GroupTable>();
  roll_up(p, *e.source.table, e.source.levels, e.levels, scratch.grouper, *e.classes);
  e.assessment = assess(p, e.levels, *e.classes, scratch.assess);
}

Evaluator::Evaluator(const Problem& problem, const std::vector<int>& base)
    : p_(problem), cache_(std::size_t{32} << 20) {
  auto table = std::make_shared<GroupTable>();
  group_rows(p_, base, scratch_.grouper, *table);
  cache_.offer(base, std::move(table));
}

std::optional<Evaluation> Evaluator::plan(const std::vector<int>& levels) const {
  const SnapshotCache::Snapshot* source = cache_.best_source(levels);
  if (source == nullptr || source->levels == levels) return std::nullopt;
  return Evaluation{.levels = levels, .source = *source};
}

Assessment Evaluator::accept(Evaluation&& e) {
  classes_rolled_up_ += e.source.table->size();
  cache_.offer(e.levels, e.classes);
  return e.assessment;
}

Assessment Evaluator::evaluate(const std::vector<int>& levels) {
  const SnapshotCache::Snapshot* source = cache_.best_source(levels);
  if (source != nullptr && source->levels == levels) {
    current_ = source->table;
    return assess(p_, levels, *current_, scratch_.assess);
  }
  if (source == nullptr) {
    // Below the base snapshot: straight from the rows.
    classes_rolled_up_ += p_.rows;
    auto table = std::make_shared<GroupTable>();
    group_rows(p_, levels, scratch_.grouper, *table);
    current_ = table;
    return assess(p_, levels, *current_, scratch_.assess);
  }
  Evaluation e{.levels = levels, .source = *source};
  run(p_, e, scratch_);
  current_ = e.classes;
  return accept(std::move(e));
}

JudgedClasses Evaluator::judge(const std::vector<int>& levels) {
  JudgedClasses j{.levels = levels, .assessment = evaluate(levels)};
  j.keys.assign(scratch_.assess.class_keys.begin(), scratch_.assess.class_keys.end());
  j.rows.assign(scratch_.assess.class_rows.begin(), scratch_.assess.class_rows.end());
  j.failing = scratch_.assess.failing;
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

OriginalClasses original_classes(const Problem& p) {
  Grouper grouper;
  GroupTable classes;
  group_rows(p, std::vector<int>(p.qis.size(), 0), grouper, classes);
  if (!p.sensitive.empty() && !p.sensitive_masks) {
    // Merge the sensitive values out of the keys.
    grouper.reset(classes.size());
    for (std::size_t i = 0; i < classes.size(); ++i) {
      grouper.add(classes.keys[i] & p.qi_mask, classes.counts[i]);
    }
    grouper.take(classes);
  }
  OriginalClasses original{.classes = classes.size()};
  for (auto n : classes.counts) original.discernibility += static_cast<double>(n) * n;
  return original;
}

}  // namespace tokumei::anon::detail
