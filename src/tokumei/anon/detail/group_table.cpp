#include "tokumei/anon/detail/group_table.h"

#include <algorithm>
#include <bit>

namespace tokumei::anon::detail {

int bits_for(std::size_t count) {
  return count <= 2 ? 1 : static_cast<int>(std::bit_width(count - 1));
}

void Grouper::reset(std::size_t expected_distinct) {
  // Load at most about 0.75 before growing; sized for ~0.5 when the estimate is right.
  std::size_t capacity =
      std::bit_ceil(std::max<std::size_t>(16, expected_distinct + expected_distinct / 2));
  if (slots_.size() >= capacity) {
    // Reused: clear only the slots used last time, and probe only the first `capacity` slots
    // (a small table stays in cache).
    for (auto i : used_) slots_[i].key = kEmpty;
  } else {
    slots_.assign(capacity, Slot{kEmpty, 0, 0});
  }
  used_.clear();
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
}

void Grouper::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  std::vector<std::uint32_t> order;
  order.swap(used_);
  const std::size_t capacity = (mask_ + 1) * 2;
  slots_.assign(std::max(capacity, old.size()), Slot{kEmpty, 0, 0});
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
  used_.reserve(order.size() * 2);
  for (auto i : order) {
    const Slot& s = old[i];
    std::size_t j = (s.key * 0x9E3779B97F4A7C15ull) >> shift_;
    while (slots_[j].key != kEmpty) j = (j + 1) & mask_;
    slots_[j] = s;
    used_.push_back(static_cast<std::uint32_t>(j));
  }
}

void Grouper::take(GroupTable& out) const {
  out.keys.resize(used_.size());
  out.counts.resize(used_.size());
  for (std::size_t i = 0; i < used_.size(); ++i) {
    out.keys[i] = slots_[used_[i]].key;
    out.counts[i] = slots_[used_[i]].count;
  }
}

}  // namespace tokumei::anon::detail
