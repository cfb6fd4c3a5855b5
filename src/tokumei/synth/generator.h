#pragma once
// `tokumei synth`: realistic synthetic data from several hospitals, written as those hospitals'
// systems would export it — SS-MIX2 standardized storage (ISO-2022-JP), FHIR bundles (JP Core),
// monthly claims files (UKE, CP932) — with known anomalies injected, and the ground truth beside
// it: every person and every event the data holds, as the ingestion must find them.
//
//   OUT/<institution>/ssmix2/...            institutions 1, 3, 5, … (SS-MIX2)
//   OUT/<institution>/fhir/<patient>.json    institutions 2, 4, … (FHIR)
//   OUT/<institution>/claims/<yyyymm>.UKE    every institution
//   OUT/<institution>/notifications.csv      patients notified (patient_id, notified_on if known)
//   OUT/truth/persons.ndjson, events.ndjson, anomalies.ndjson
//
// Generated one patient at a time, so any number of patients fits in constant memory. The same
// seed gives the same files.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "tokumei/base/error.h"

namespace tokumei::synth {

struct SynthOptions {
  std::filesystem::path out;
  std::size_t patients = 100;  // in all, spread over the institutions
  int institutions = 2;
  int years = 2;  // of care, ending in December of `last_year`
  int last_year = 2025;
  std::uint64_t seed = 1;
  bool anomalies = true;
};

struct SynthReport {
  std::size_t persons = 0;  // (institution, patient ID) pairs
  std::size_t files = 0;
  std::map<std::string, std::size_t> events{};     // per type, as ingestion will count them
  std::map<std::string, std::size_t> anomalies{};  // per kind
};

// Writes the data set. Errc::already_exists when OUT exists and is not empty.
Result<SynthReport> generate(const SynthOptions& options);

// The 10-digit institution code of the n-th institution (from 1).
std::string institution_code(int n);

}  // namespace tokumei::synth
