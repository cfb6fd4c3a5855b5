#include "tokumei/base/clock.h"

#include <fmt/format.h>

#include <ctime>

namespace tokumei {

std::int64_t to_unix_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_ms(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

namespace {
std::tm utc_tm(std::int64_t seconds) {
  std::time_t tt = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}
}  // namespace

std::string format_utc(TimePoint t) {
  std::int64_t ms = to_unix_ms(t);
  std::int64_t s = floor_div(ms, 1000);
  std::tm tm = utc_tm(s);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms - s * 1000);
}

std::string format_jst(TimePoint t) {
  std::int64_t s = floor_div(to_unix_ms(t), 1000) + 9 * 3600;
  std::tm tm = utc_tm(s);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} JST", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string japanese_day(TimePoint t) { return format_jst(t).substr(0, 10); }

}  // namespace tokumei
