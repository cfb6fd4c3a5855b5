#include "tokumei/ingest/digest_table.h"

#include <cstring>

#include "tokumei/crypto/hash.h"

namespace tokumei::ingest {

DigestTable::Slot DigestTable::digest(std::string_view key) {
  const crypto::Digest d = crypto::sha256(as_bytes(key));
  Slot s;
  std::memcpy(&s.a, d.data(), 8);
  std::memcpy(&s.b, d.data() + 8, 8);
  if (s.a == 0 && s.b == 0) s.b = 1;  // keeps the empty mark free
  return s;
}

std::size_t DigestTable::find(const Slot& key) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = key.a & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if ((s.a == key.a && s.b == key.b) || (s.a == 0 && s.b == 0)) return i;
  }
}

void DigestTable::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  for (const Slot& s : old) {
    if (s.a != 0 || s.b != 0) slots_[find(s)] = s;
  }
}

bool DigestTable::put(std::string_view key, std::uint32_t value) {
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // at most three quarters full
  Slot k = digest(key);
  Slot& s = slots_[find(k)];
  const bool added = s.a == 0 && s.b == 0;
  k.value = value;
  s = k;
  size_ += added ? 1 : 0;
  return added;
}

std::optional<std::uint32_t> DigestTable::get(std::string_view key) const {
  if (slots_.empty()) return std::nullopt;
  const Slot k = digest(key);
  const Slot& s = slots_[find(k)];
  if (s.a == 0 && s.b == 0) return std::nullopt;
  return s.value;
}

}  // namespace tokumei::ingest
