#pragma once
// Puts persons and their events into a core store as acquired batches, the way ingestion and
// acquisition leave them, without going through files: for the provision's tests and benchmarks.

#include <functional>
#include <string>
#include <vector>

#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/crypto/key_ring.h"
#include "tokumei/model/clinical.h"
#include "tokumei/store/database.h"

namespace tokumei::testing {

struct SeedEvent {
  std::string type;  // diagnosis, prescription, lab_result, …
  std::string system;
  std::string code;
  std::string date;
  std::string value{};
  std::string unit{};
};

struct SeedPerson {
  std::string patient_id;
  std::string name;
  std::string birth_date;
  model::Sex sex = model::Sex::unknown;
  std::string address;
  std::vector<SeedEvent> events{};
};

// Adds persons from `next` (false when there are no more) as one batch of `institution` in
// `state` (acquired, pending, excluded); returns their person keys in order. The database must
// have the vault's and ingestion's tables.
Result<std::vector<std::string>> seed_batch(store::Database& db, crypto::KeyRing& keys,
                                            const Clock& clock, Random& random,
                                            const std::string& institution,
                                            const std::function<bool(SeedPerson&)>& next,
                                            const std::string& state = "acquired");

// A deterministic population: person i of `count`, with about `events` events — diagnoses drawn
// from a skewed list of ICD-10 codes (a few held by one person only), prescriptions, lab results —
// between 2020 and 2024, in one of five prefectures.
void synthetic_person(std::size_t i, int events, std::uint64_t seed, SeedPerson& out);

}  // namespace tokumei::testing
