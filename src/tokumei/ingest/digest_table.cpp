#include "tokumei/ingest/digest_table.h"

#include <cstring>
#include <functional>

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
  Slot k = digest(key);
  k.value = value;
  return put_digest(k);
}

bool DigestTable::put_digest(Slot key) {
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // at most three quarters full
  Slot& s = slots_[find(key)];
  const bool added = s.a == 0 && s.b == 0;
  s = key;
  size_ += added ? 1 : 0;
  return added;
}

void DigestTable::absorb(const DigestTable& other) {
  for (const Slot& s : other.slots_) {
    if (s.a != 0 || s.b != 0) put_digest(s);
  }
}

std::optional<std::uint32_t> DigestTable::get(std::string_view key) const {
  if (slots_.empty()) return std::nullopt;
  const Slot k = digest(key);
  const Slot& s = slots_[find(k)];
  if (s.a == 0 && s.b == 0) return std::nullopt;
  return s.value;
}

void KeyCounter::add(std::string_view key) {
  const std::uint64_t h = std::hash<std::string_view>{}(key);
  add_hash(h == 0 ? 1 : h);
}

void KeyCounter::add_hash(std::uint64_t h) {
  if ((size_ + 1) * 4 > slots_.size() * 3) {  // at most three quarters full
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    size_ = 0;
    for (std::uint64_t x : old) {
      if (x != 0) add_hash(x);
    }
  }
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = (h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == h) return;
    if (slots_[i] == 0) {
      slots_[i] = h;
      ++size_;
      return;
    }
  }
}

void KeyCounter::absorb(const KeyCounter& other) {
  for (std::uint64_t x : other.slots_) {
    if (x != 0) add_hash(x);
  }
}

}  // namespace tokumei::ingest
