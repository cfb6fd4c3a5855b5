#pragma once
// A flat hash table keyed by 128-bit digests (the first half of SHA-256 of the key) holding a
// 32-bit value, 24 bytes a slot: for the look-ups of a run that grow with the number of patients
// (FHIR references → patient IDs, persons counted), which would take several times more memory as
// std::unordered_map<std::string, ...>. Keys themselves are not kept. Two keys with one digest are
// not a practical concern (about 10^-26 for a million keys).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tokumei::ingest {

class DigestTable {
 public:
  // Sets the key's value; true when the key was not there before.
  bool put(std::string_view key, std::uint32_t value);
  std::optional<std::uint32_t> get(std::string_view key) const;
  // Puts every key of `other` (with its value) into this table.
  void absorb(const DigestTable& other);
  std::size_t size() const { return size_; }
  // Bytes held by the table.
  std::size_t memory() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint64_t a = 0, b = 0;  // the digest; a == 0 && b == 0 marks an empty slot
    std::uint32_t value = 0;
  };
  static Slot digest(std::string_view key);
  std::size_t find(const Slot& key) const;  // its slot, or the empty slot where it belongs
  void grow();
  bool put_digest(Slot key);

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

// Counts distinct keys (persons met in a run) by a 64-bit hash, 8 bytes a slot. For counting
// only: two keys with one hash would count once, about once in 10^7 runs of a million keys.
class KeyCounter {
 public:
  void add(std::string_view key);
  // Adds every key `other` counted.
  void absorb(const KeyCounter& other);
  std::size_t size() const { return size_; }

 private:
  void add_hash(std::uint64_t h);
  std::vector<std::uint64_t> slots_;  // 0: empty
  std::size_t size_ = 0;
};

}  // namespace tokumei::ingest
