#include "tokumei/base/id.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace tokumei {
namespace {

using namespace std::chrono_literals;

// Supplies only zero bytes, to pin down the encoding.
class ZeroRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override { std::ranges::fill(out, 0); }
};

TEST(Id, HasTheShapeOfAnId) {
  SystemClock clock;
  SystemRandom random;
  for (int i = 0; i < 100; ++i) {
    const std::string id = new_id(clock, random);
    EXPECT_EQ(id.size(), 26u);
    EXPECT_TRUE(is_id(id)) << id;
  }
}

TEST(Id, EncodesTimeFirstInCrockfordBase32) {
  ZeroRandom zero;
  EXPECT_EQ(new_id(FakeClock(from_unix_ms(0)), zero), "00000000000000000000000000");
  // The ULID specification's example time 1469918176385 encodes as 01ARYZ6S41.
  EXPECT_EQ(new_id(FakeClock(from_unix_ms(1469918176385)), zero).substr(0, 10), "01ARYZ6S41");
  // Ids made today start with 0: the first digit only carries the top 3 of 128 bits.
  EXPECT_EQ(new_id(FakeClock(from_unix_ms(1795233906789)), zero).substr(0, 10), "01M7Y4F035");
}

TEST(Id, IdsSortInCreationOrder) {
  FakeClock clock(from_unix_ms(1795233906789));
  SeededRandom random(3);
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    ids.push_back(new_id(clock, random));
    clock.advance(1ms);
  }
  EXPECT_TRUE(std::ranges::is_sorted(ids));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(Id, SameMillisecondDiffersInTheRandomPart) {
  FakeClock clock(from_unix_ms(1795233906789));
  SeededRandom random(4);
  const std::string a = new_id(clock, random), b = new_id(clock, random);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 10), b.substr(0, 10));
}

TEST(Id, SeededRandomReplays) {
  FakeClock clock(from_unix_ms(1795233906789));
  SeededRandom r1(8), r2(8);
  EXPECT_EQ(new_id(clock, r1), new_id(clock, r2));
}

TEST(Id, IsIdRejectsBadStrings) {
  const std::string good = "01ARYZ6S41TSV4RRFFQ69G5FAV";
  ASSERT_TRUE(is_id(good));
  EXPECT_FALSE(is_id(""));
  EXPECT_FALSE(is_id(good.substr(0, 25)));
  EXPECT_FALSE(is_id(good + "0"));
  EXPECT_FALSE(is_id("01arYZ6S41TSV4RRFFQ69G5FAV"));  // lowercase
  EXPECT_FALSE(is_id("01ARYZ6S41TSV4RRFFQ69G5FAI"));  // I, L, O, U are not Crockford digits
  EXPECT_FALSE(is_id("01ARYZ6S41TSV4RRFFQ69G5FAL"));
  EXPECT_FALSE(is_id("01ARYZ6S41TSV4RRFFQ69G5FAO"));
  EXPECT_FALSE(is_id("01ARYZ6S41TSV4RRFFQ69G5FAU"));
  EXPECT_FALSE(is_id("81ARYZ6S41TSV4RRFFQ69G5FAV"));  // more than 128 bits
  EXPECT_FALSE(is_id("01ARYZ6S41TSV4RRFFQ69G5FA-"));
  EXPECT_FALSE(is_id("01ARYZ6S41TSV4RRFFQ69G5F\xe3\x81"));
  EXPECT_FALSE(is_id(std::string_view("01ARYZ6S41TSV4RRFFQ69G5FA\0", 26)));
}

}  // namespace
}  // namespace tokumei
