#pragma once
// The only source of randomness (STYLE.md: no hidden randomness). Production passes SystemRandom
// (the kernel's CSPRNG); tests pass SeededRandom to replay a run bit for bit.

#include <cstdint>
#include <span>

#include "tokumei/base/bytes.h"

namespace tokumei {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with random bytes. Never fails (aborts if the OS cannot supply entropy).
  virtual void fill(std::span<std::uint8_t> out) = 0;

  Bytes bytes(std::size_t n) {
    Bytes b(n);
    fill(b);
    return b;
  }
  // Uniform integer in [0, bound), without modulo bias. bound must be > 0.
  std::uint64_t uniform(std::uint64_t bound);
};

// getrandom(2); requests of up to 16 bytes drawn ahead in per-thread pools. Thread-safe, and
// safe across fork() (see random.cpp).
class SystemRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

// Deterministic stream for tests (SplitMix64). Not for secrets. Not thread-safe.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::uint64_t state_;
};

}  // namespace tokumei
