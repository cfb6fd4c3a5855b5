#include "tokumei/anon/detail/group_table.h"

#include <algorithm>
#include <bit>

namespace tokumei::anon::detail {

int bits_for(std::size_t count) {
  return count <= 2 ? 1 : static_cast<int>(std::bit_width(count - 1));
}

void Grouper::reset(std::size_t expected_distinct) {
  std::size_t capacity = std::bit_ceil(std::max<std::size_t>(16, expected_distinct * 2));
  // Clear only the slots used last time when the buffer is reused at the same size.
  if (slots_.size() == capacity) {
    for (auto s : used_) slots_[s] = kEmpty;
  } else {
    slots_.assign(capacity, kEmpty);
    counts_.assign(capacity, 0);
    order_.assign(capacity, 0);
  }
  used_.clear();
  used_.reserve(expected_distinct);
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
}

void Grouper::take(GroupTable& out) {
  out.keys.resize(used_.size());
  out.counts.resize(used_.size());
  for (std::size_t i = 0; i < used_.size(); ++i) {
    out.keys[i] = slots_[used_[i]];
    out.counts[i] = counts_[used_[i]];
  }
}

}  // namespace tokumei::anon::detail
