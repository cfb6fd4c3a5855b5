#include "tokumei/base/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <thread>

namespace tokumei {
namespace {

TEST(SeededRandom, SameSeedGivesTheSameStream) {
  SeededRandom a(42), b(42);
  EXPECT_EQ(a.bytes(100), b.bytes(100));
  EXPECT_EQ(a.uniform(1000), b.uniform(1000));
}

TEST(SeededRandom, DifferentSeedsGiveDifferentStreams) {
  SeededRandom a(42), b(43);
  EXPECT_NE(a.bytes(32), b.bytes(32));
}

TEST(SeededRandom, StreamContinuesRatherThanRepeats) {
  SeededRandom r(1);
  EXPECT_NE(r.bytes(16), r.bytes(16));
}

TEST(SeededRandom, IsSplitMix64) {
  // First output of SplitMix64 from state 0, stored little-endian: replays must stay bit-exact.
  SeededRandom r(0);
  Bytes b = r.bytes(8);
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | b[static_cast<std::size_t>(i)];
  EXPECT_EQ(v, 0xe220a8397b1dcdafULL);
}

TEST(Random, UniformStaysInBounds) {
  SeededRandom r(5);
  for (std::uint64_t bound : {1ULL, 2ULL, 3ULL, 7ULL, 10ULL, 1000ULL, (1ULL << 63) + 1}) {
    for (int i = 0; i < 500; ++i) EXPECT_LT(r.uniform(bound), bound);
  }
  EXPECT_EQ(r.uniform(1), 0u);
}

TEST(Random, UniformReachesEveryValue) {
  SeededRandom r(9);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(r.uniform(10));
  EXPECT_EQ(seen.size(), 10u);
}

TEST(SystemRandom, FillsTheWholeBuffer) {
  SystemRandom r;
  // 64 zero bytes from a working CSPRNG has probability 2^-512.
  Bytes a = r.bytes(64);
  ASSERT_EQ(a.size(), 64u);
  EXPECT_NE(a, Bytes(64, 0));
  EXPECT_NE(a, r.bytes(64));
  Bytes big(1 << 20, 0);
  r.fill(big);
  EXPECT_NE(std::memcmp(big.data() + big.size() - 64, Bytes(64, 0).data(), 64), 0);
  EXPECT_TRUE(r.bytes(0).empty());
}

TEST(SystemRandom, SmallDrawsNeverRepeat) {
  SystemRandom r;
  std::set<Bytes> seen;
  for (int i = 0; i < 5000; ++i) EXPECT_TRUE(seen.insert(r.bytes(12)).second) << i;  // nonces
}

TEST(SystemRandom, ThreadsDrawDifferentBytes) {
  SystemRandom r;
  Bytes a, b;
  std::thread other([&] { b = r.bytes(12); });
  a = r.bytes(12);
  other.join();
  EXPECT_NE(a, b);
}

// A forked child must not hand out the bytes its parent hands out next (a reused nonce would
// break AES-GCM).
TEST(SystemRandom, AForkedChildDrawsOtherBytesThanItsParent) {
  SystemRandom r;
  (void)r.bytes(12);  // bytes are drawn ahead from now on
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const Bytes mine = r.bytes(12);
    const bool written = write(fds[1], mine.data(), mine.size()) == 12;
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  const Bytes mine = r.bytes(12);
  Bytes childs(12);
  ASSERT_EQ(read(fds[0], childs.data(), childs.size()), 12);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(mine, childs);
}

}  // namespace
}  // namespace tokumei
