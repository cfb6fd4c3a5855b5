// The search's hash aggregation: keys summed with their counts (and OR-ed masks) in first-seen
// order, through growth far beyond the initial size and through reuse after reset().

#include "tokumei/anon/detail/group_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace tokumei::anon::detail {
namespace {

struct Expected {
  std::uint32_t order = 0;
  std::uint64_t count = 0;
  std::uint64_t mask = 0;
};

// Adds `adds` random keys drawn from `distinct` possible ones and compares every position, count
// and mask with a std::map's.
void check_against_map(Grouper& grouper, std::uint32_t seed, std::size_t distinct, std::size_t adds,
                       std::size_t estimate, bool with_masks) {
  std::mt19937_64 random(seed);
  std::vector<std::uint64_t> universe(distinct);
  // Packed-key-like values: dense low bits, a few high fields.
  for (std::size_t i = 0; i < distinct; ++i) universe[i] = (i % 1000) | ((i / 1000) << 23);
  std::map<std::uint64_t, Expected> want;
  std::vector<std::uint64_t> first_seen;
  grouper.reset(estimate);
  for (std::size_t n = 0; n < adds; ++n) {
    std::uint64_t key = universe[random() % distinct];
    std::uint32_t count = static_cast<std::uint32_t>(random() % 5 + 1);
    std::uint64_t mask = std::uint64_t{1} << (random() % 64);
    auto [it, inserted] = want.try_emplace(key);
    if (inserted) {
      it->second.order = static_cast<std::uint32_t>(first_seen.size());
      first_seen.push_back(key);
    }
    it->second.count += count;
    it->second.mask |= mask;
    std::uint32_t order = with_masks ? grouper.add(key, count, mask) : grouper.add(key, count);
    ASSERT_EQ(order, it->second.order) << "add " << n;
  }
  GroupTable table;
  grouper.take(table);
  ASSERT_EQ(table.size(), want.size());
  ASSERT_EQ(table.masks.size(), with_masks ? want.size() : 0);
  for (std::size_t i = 0; i < table.size(); ++i) {
    ASSERT_EQ(table.keys[i], first_seen[i]) << "position " << i;
    const Expected& e = want[table.keys[i]];
    EXPECT_EQ(table.counts[i], e.count) << "key " << table.keys[i];
    if (with_masks) {
      EXPECT_EQ(table.masks[i], e.mask) << "key " << table.keys[i];
    }
  }
}

TEST(Grouper, GrowsFarBeyondItsInitialSizeKeepingOrderCountsAndMasks) {
  Grouper grouper;
  // Four times the keys a fresh grouper is sized for, whatever the estimate says.
  const std::size_t distinct = Grouper::kInitialKeys * 4;
  check_against_map(grouper, 1, distinct, distinct * 3, distinct * 100, true);
}

TEST(Grouper, ReusedAfterResetSmallerAndLargerThanBefore) {
  Grouper grouper;
  check_against_map(grouper, 2, 300'000, 600'000, 1'000, false);
  check_against_map(grouper, 3, 50, 1'000, 10, true);          // reuses the large slots
  check_against_map(grouper, 4, 200'000, 400'000, 16, false);  // grows within them
  check_against_map(grouper, 5, 3, 10, 0, true);
}

TEST(Grouper, EstimateBelowTheTruthStillHoldsEveryKey) {
  Grouper grouper;
  check_against_map(grouper, 6, 5'000, 20'000, 1, true);
}

}  // namespace
}  // namespace tokumei::anon::detail
