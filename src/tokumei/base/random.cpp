#include "tokumei/base/random.h"

#include <pthread.h>
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tokumei {

std::uint64_t Random::uniform(std::uint64_t bound) {
  // Rejection sampling: discard draws from the incomplete top range.
  std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    std::uint64_t v;
    fill({reinterpret_cast<std::uint8_t*>(&v), sizeof v});
    if (v < limit) return v % bound;
  }
}

namespace {

void kernel_random(std::uint8_t* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = getrandom(out + done, size - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();  // No entropy means no safe keys: stopping is the only correct answer.
    }
    done += static_cast<std::size_t>(n);
  }
}

// Bytes drawn from the kernel ahead, per thread, so that small requests (a nonce for every record
// sealed, an identifier) do not each cost a system call; keys and anything larger than
// kPooledAtMost come from the kernel directly. Bytes handed out are wiped from the pool, and the
// pool when its thread ends; a child made by fork() drops its copy, so parent and child never
// hand out the same bytes (a child made otherwise, by vfork or clone, must not draw any).
constexpr std::size_t kPooledAtMost = 16;
struct Pool {
  std::array<std::uint8_t, 4096> bytes;
  std::size_t used = bytes.size();
  void drop() {
    secure_wipe(bytes.data(), bytes.size());
    used = bytes.size();
  }
  ~Pool() { drop(); }
};
thread_local Pool pool;

}  // namespace

void SystemRandom::fill(std::span<std::uint8_t> out) {
  if (out.empty()) return;  // its data() may be null, which memcpy may not be given
  static const bool dropped_in_children =
      pthread_atfork(nullptr, nullptr, [] { pool.drop(); }) == 0;
  if (!dropped_in_children || out.size() > kPooledAtMost) {
    kernel_random(out.data(), out.size());
    return;
  }
  if (pool.used + out.size() > pool.bytes.size()) {
    kernel_random(pool.bytes.data(), pool.bytes.size());
    pool.used = 0;
  }
  std::memcpy(out.data(), pool.bytes.data() + pool.used, out.size());
  secure_wipe(pool.bytes.data() + pool.used, out.size());
  pool.used += out.size();
}

void SeededRandom::fill(std::span<std::uint8_t> out) {
  std::size_t i = 0;
  while (i < out.size()) {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::size_t n = std::min<std::size_t>(8, out.size() - i);
    std::memcpy(out.data() + i, &z, n);
    i += n;
  }
}

}  // namespace tokumei
