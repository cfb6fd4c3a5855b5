#include "tokumei/base/id.h"

#include <array>

namespace tokumei {
namespace {
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string new_id(const Clock& clock, Random& random) {
  std::array<std::uint8_t, 16> raw{};
  auto ms = static_cast<std::uint64_t>(to_unix_ms(clock.now()));
  for (int i = 0; i < 6; ++i) raw[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  random.fill(std::span(raw).subspan(6));
  // 128 bits -> 26 base32 digits (the first digit carries the top 3 bits).
  std::string out(26, '0');
  unsigned __int128 v = 0;
  for (auto b : raw) v = v << 8 | b;
  for (int i = 25; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kCrockford[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  return out;
}

bool is_id(std::string_view s) {
  if (s.size() != 26 || s[0] > '7') return false;
  for (char c : s) {
    if (std::string_view(kCrockford).find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace tokumei
