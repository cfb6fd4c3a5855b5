#include "tokumei/anon/detail/group_table.h"

#include <algorithm>
#include <bit>

namespace tokumei::anon::detail {

int bits_for(std::size_t count) {
  return count <= 2 ? 1 : static_cast<int>(std::bit_width(count - 1));
}

void Grouper::reset(std::size_t expected_distinct) {
  // Callers' estimates are upper bounds (the rows, or the product of the group counts) and often
  // far above the real count: start at most at kInitialKeys and grow, so memory follows the keys
  // actually seen. Sized for a load of about 0.5 when the estimate is right.
  expected_distinct = std::min(expected_distinct, kInitialKeys);
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
  masks_.clear();
  set_capacity(capacity);
}

void Grouper::set_capacity(std::size_t capacity) {
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
  grow_at_ = capacity / 4 * 3;
}

std::uint32_t Grouper::add_after_growing(std::uint64_t key, std::uint32_t count) {
  grow();
  return add(key, count);
}

void Grouper::grow() {
  // Take the keys out, double the probed part of the slots and put them back in first-seen order
  // (so `order` stays their position).
  std::vector<Slot> live;
  live.reserve(used_.size());
  for (auto i : used_) {
    live.push_back(slots_[i]);
    slots_[i].key = kEmpty;
  }
  const std::size_t capacity = (mask_ + 1) * 2;
  if (slots_.size() < capacity) {
    std::vector<Slot>().swap(slots_);  // free the old slots before allocating the new ones
    slots_.assign(capacity, Slot{kEmpty, 0, 0});
  }
  set_capacity(capacity);
  used_.clear();
  for (const Slot& s : live) {
    std::size_t j = (s.key * 0x9E3779B97F4A7C15ull) >> shift_;
    while (slots_[j].key != kEmpty) j = (j + 1) & mask_;
    slots_[j] = s;
    used_.push_back(static_cast<std::uint32_t>(j));
  }
}

void Grouper::absorb(const Grouper& other) {
  for (std::size_t i = 0; i < other.used_.size(); ++i) {
    const Slot& s = other.slots_[other.used_[i]];
    if (other.masks_.empty()) {
      add(s.key, s.count);
    } else {
      add(s.key, s.count, other.masks_[i]);
    }
  }
}

void Grouper::take(GroupTable& out) const {
  out.keys.resize(used_.size());
  out.counts.resize(used_.size());
  for (std::size_t i = 0; i < used_.size(); ++i) {
    out.keys[i] = slots_[used_[i]].key;
    out.counts[i] = slots_[used_[i]].count;
  }
  out.masks = masks_;
}

}  // namespace tokumei::anon::detail
