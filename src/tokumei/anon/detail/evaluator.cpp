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
    if ((best == nullptr || s.table.size() < best->table.size()) &&
        finer_or_equal(s.levels, levels)) {
      best = &s;
    }
  }
  return best;
}

void SnapshotCache::offer(const std::vector<int>& levels, GroupTable&& table) {
  if (!snapshots_.empty() && used_ + table.memory() > budget_) return;
  used_ += table.memory();
  snapshots_.push_back({levels, std::move(table)});
}

Evaluator::Evaluator(const Problem& problem)
    : p_(problem), cache_(std::max<std::size_t>(64u << 20, problem.rows * 24)) {
  GroupTable bottom;
  group_rows(p_, grouper_, bottom);
  cache_.offer(std::vector<int>(p_.qis.size(), 0), std::move(bottom));
}

Assessment Evaluator::evaluate(const std::vector<int>& levels) {
  const SnapshotCache::Snapshot* source = cache_.best_source(levels);
  if (source->levels == levels) return assess(p_, levels, source->table, scratch_);
  GroupTable table;
  roll_up(p_, source->table, source->levels, levels, grouper_, table);
  Assessment a = assess(p_, levels, table, scratch_);
  // A snapshot barely smaller than its source saves little and costs memory.
  if (table.size() * 4 < source->table.size() * 3) cache_.offer(levels, std::move(table));
  return a;
}

}  // namespace tokumei::anon::detail
