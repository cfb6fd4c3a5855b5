#pragma once
// The only way code learns the time (STYLE.md: no hidden clocks). Production passes SystemClock;
// tests pass a FakeClock and jump it forward to expire passwords, keys or approvals.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace tokumei {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// Wall-clock time. Thread-safe.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that stands still until told to move. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(TimePoint::duration(now_.load())); }
  void set(TimePoint t) { now_ = t.time_since_epoch().count(); }
  void advance(std::chrono::system_clock::duration d) { now_ += d.count(); }

 private:
  std::atomic<TimePoint::duration::rep> now_;
};

// Milliseconds since the Unix epoch (how times are stored in the database).
std::int64_t to_unix_ms(TimePoint t);
TimePoint from_unix_ms(std::int64_t ms);

// RFC 3339 UTC with milliseconds: "2026-11-21T04:05:06.789Z".
std::string format_utc(TimePoint t);
// The same instant in Japan Standard Time for people: "2026-11-21 13:05:06 JST".
std::string format_jst(TimePoint t);
// The Japanese (UTC+9) calendar day of an instant: "2026-11-21".
std::string japanese_day(TimePoint t);

}  // namespace tokumei
