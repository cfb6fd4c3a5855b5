#pragma once
// Equivalence classes of one transformation, as packed keys with row counts. A key holds every
// quasi-identifier's group id (at the transformation's levels) and every sensitive attribute's
// value code in its own bit field, so that grouping is hashing one 64-bit integer and rolling a
// finer transformation's classes up to a coarser one rewrites keys without touching the rows.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tokumei::anon::detail {

// Bit layout of keys: field f occupies bits [shift[f], shift[f] + width[f]).
struct KeyLayout {
  std::vector<int> shift;
  std::vector<int> width;

  std::uint64_t mask(std::size_t f) const { return (std::uint64_t{1} << width[f]) - 1; }
  std::uint32_t field(std::uint64_t key, std::size_t f) const {
    return static_cast<std::uint32_t>((key >> shift[f]) & mask(f));
  }
};

// Bits needed to store ids 0..count-1 (at least 1).
int bits_for(std::size_t count);

// A multiset of keys: distinct keys with how many rows have each. Built by Grouper::add and
// finished by Grouper::take, which leaves the keys in no particular order.
struct GroupTable {
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> counts;
  std::vector<std::uint64_t> masks;  // per key, when grouped with masks (else empty)
  std::size_t size() const { return keys.size(); }
  std::size_t memory() const {
    return keys.capacity() * 8 + counts.capacity() * 4 + masks.capacity() * 8;
  }
};

// Open-addressing hash aggregation of (key, count) pairs. Reusable: reset() keeps the buffers.
class Grouper {
 public:
  // Empties the grouper and sizes it for about `expected_distinct` distinct keys.
  void reset(std::size_t expected_distinct);
  // Adds `count` rows of `key`; returns the key's position in the order keys were first added
  // (its index in the GroupTable take() makes). Grows when three quarters full.
  std::uint32_t add(std::uint64_t key, std::uint32_t count) {
    Slot* slots = slots_.data();
    std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;
    while (true) {
      Slot& slot = slots[i];
      if (slot.key == key) {
        slot.count += count;
        return slot.order;
      }
      if (slot.key == kEmpty) {
        if (used_.size() >= grow_at_) [[unlikely]]
          return add_after_growing(key, count);
        slot = {key, count, static_cast<std::uint32_t>(used_.size())};
        used_.push_back(static_cast<std::uint32_t>(i));
        return slot.order;
      }
      i = (i + 1) & mask_;
    }
  }
  // Whether `key` has been added since the last reset().
  bool contains(std::uint64_t key) const {
    std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;
    while (true) {
      const std::uint64_t k = slots_[i].key;
      if (k == key) return true;
      if (k == kEmpty) return false;
      i = (i + 1) & mask_;
    }
  }
  // add(), OR-ing `mask` into the key's mask. A grouper takes masks for every key or for none
  // between resets.
  std::uint32_t add(std::uint64_t key, std::uint32_t count, std::uint64_t mask) {
    const std::uint32_t order = add(key, count);
    if (order == masks_.size()) {
      masks_.push_back(mask);
    } else {
      masks_[order] |= mask;
    }
    return order;
  }
  // Adds every key of `other` with its count (and mask) in other's first-seen order: the result
  // is exactly that of adding other's input after this grouper's own.
  void absorb(const Grouper& other);
  // Copies the aggregated pairs (and masks) into `out`; call reset() before adding again.
  void take(GroupTable& out) const;
  // At least `count` further groupers, for the other parts of an input split across threads;
  // kept for reuse.
  std::vector<Grouper>& parts(std::size_t count) {
    if (parts_.size() < count) parts_.resize(count);
    return parts_;
  }

  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  // Keys a fresh grouper is sized for at most, whatever the estimate; it grows beyond.
  static constexpr std::size_t kInitialKeys = std::size_t{1} << 16;

 private:
  // Key, count and first-seen position side by side: one cache line per probe.
  struct Slot {
    std::uint64_t key;
    std::uint32_t count;
    std::uint32_t order;
  };
  void grow();
  // grow(), then add(): out of line, so that add() stays small enough to be inlined.
  std::uint32_t add_after_growing(std::uint64_t key, std::uint32_t count);
  void set_capacity(std::size_t capacity);

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> used_;   // slot indices in first-seen order
  std::vector<std::uint64_t> masks_;  // in first-seen order, when masks are added
  std::vector<Grouper> parts_;
  int shift_ = 64;
  std::size_t mask_ = 0;
  std::size_t grow_at_ = 0;  // three quarters of the probed slots
};

}  // namespace tokumei::anon::detail
