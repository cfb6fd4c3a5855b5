// The compact table behind the run's growing look-ups: every key put is found with its latest
// value, keys never put are not, and it stays small.

#include "tokumei/ingest/digest_table.h"

#include <gtest/gtest.h>

#include <string>

namespace tokumei::ingest {
namespace {

TEST(DigestTable, FindsWhatWasPutAndNothingElse) {
  DigestTable t;
  EXPECT_FALSE(t.get("Patient/1"));
  EXPECT_TRUE(t.put("Patient/1", 7));
  EXPECT_TRUE(t.put("urn:uuid:1", 7));
  EXPECT_FALSE(t.put("Patient/1", 9));  // replaced, not added
  EXPECT_EQ(t.get("Patient/1"), 9u);
  EXPECT_EQ(t.get("urn:uuid:1"), 7u);
  EXPECT_FALSE(t.get("Patient/10"));
  EXPECT_FALSE(t.get(""));
  EXPECT_EQ(t.size(), 2u);
}

TEST(DigestTable, GrowsWithoutLosingAKeyAndStaysSmall) {
  DigestTable t;
  constexpr std::uint32_t kKeys = 200'000;
  for (std::uint32_t i = 0; i < kKeys; ++i) ASSERT_TRUE(t.put("Patient/" + std::to_string(i), i));
  EXPECT_EQ(t.size(), kKeys);
  for (std::uint32_t i = 0; i < kKeys; ++i) {
    ASSERT_EQ(t.get("Patient/" + std::to_string(i)), i) << i;
    ASSERT_FALSE(t.get("Patient/x" + std::to_string(i))) << i;
  }
  // 24-byte slots, at least a quarter free: under 64 bytes a key.
  EXPECT_LT(t.memory(), kKeys * 64u);
}

TEST(KeyCounter, CountsDistinctKeysAcrossTables) {
  KeyCounter a, b;
  for (int i = 0; i < 100'000; ++i) a.add("person-" + std::to_string(i));
  for (int i = 0; i < 100'000; ++i) a.add("person-" + std::to_string(i % 7));  // seen before
  EXPECT_EQ(a.size(), 100'000u);
  for (int i = 50'000; i < 150'000; ++i) b.add("person-" + std::to_string(i));
  a.absorb(b);
  EXPECT_EQ(a.size(), 150'000u);
  KeyCounter empty;
  a.absorb(empty);
  EXPECT_EQ(a.size(), 150'000u);
  EXPECT_EQ(empty.size(), 0u);
}

}  // namespace
}  // namespace tokumei::ingest
