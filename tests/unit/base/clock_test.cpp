#include "tokumei/base/clock.h"

#include <gtest/gtest.h>

namespace tokumei {
namespace {

using namespace std::chrono_literals;

// 2026-11-21T04:05:06.789Z
constexpr std::int64_t kInstantMs = 1795233906789;

TEST(Clock, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_utc(from_unix_ms(kInstantMs)), "2026-11-21T04:05:06.789Z");
  EXPECT_EQ(format_utc(from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
}

TEST(Clock, FormatsJapanStandardTime) {
  EXPECT_EQ(format_jst(from_unix_ms(kInstantMs)), "2026-11-21 13:05:06 JST");
  // 15:00 UTC on New Year's Eve is already the next year in Japan.
  EXPECT_EQ(format_jst(from_unix_ms(1798729200000)), "2027-01-01 00:00:00 JST");
  EXPECT_EQ(format_utc(from_unix_ms(1798729200000)), "2026-12-31T15:00:00.000Z");
}

TEST(Clock, FormatsInstantsBeforeTheEpoch) {
  EXPECT_EQ(format_utc(from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_jst(from_unix_ms(-1)), "1970-01-01 08:59:59 JST");
}

TEST(Clock, UnixMillisecondsRoundTrip) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1}, kInstantMs, std::int64_t{-1000}}) {
    EXPECT_EQ(to_unix_ms(from_unix_ms(ms)), ms);
  }
  EXPECT_EQ(to_unix_ms(TimePoint{} + 1500ms + 999us), 1500);  // sub-millisecond part dropped
}

TEST(FakeClock, StandsStillUntilMoved) {
  FakeClock clock(from_unix_ms(kInstantMs));
  EXPECT_EQ(to_unix_ms(clock.now()), kInstantMs);
  EXPECT_EQ(to_unix_ms(clock.now()), kInstantMs);

  clock.advance(1ms);
  EXPECT_EQ(to_unix_ms(clock.now()), kInstantMs + 1);

  clock.advance(std::chrono::days(60));  // e.g. to expire a password
  EXPECT_EQ(to_unix_ms(clock.now()), kInstantMs + 1 + 60LL * 24 * 3600 * 1000);

  clock.set(from_unix_ms(0));
  EXPECT_EQ(clock.now(), from_unix_ms(0));
  EXPECT_EQ(format_utc(clock.now()), "1970-01-01T00:00:00.000Z");
}

TEST(FakeClock, IsAClock) {
  FakeClock fake(from_unix_ms(kInstantMs));
  const Clock& clock = fake;
  EXPECT_EQ(format_jst(clock.now()), "2026-11-21 13:05:06 JST");
}

TEST(SystemClock, IsNearTheRealTime) {
  SystemClock clock;
  auto diff = clock.now() - std::chrono::system_clock::now();
  EXPECT_LT(std::chrono::abs(diff), 5s);
}

}  // namespace
}  // namespace tokumei
