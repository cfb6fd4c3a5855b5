#pragma once
// Dataset builds (データセットの作成): a request's approved cohort specification run over acquired
// data only, then anonymized (匿名加工) or pseudonymized (仮名加工) for its recipient.
//
// What a build reads: events of acquired batches (never pending or excluded ones), not withdrawn,
// in the period, of persons not erased by an opt-out; persons as the linkage made them (one person
// across hospitals). Demographics come from the identity vault: sex, age at the start of the
// period, prefecture of the address. Nothing else of the identity ever leaves the vault.
//
// The processing method (加工の方法, ANON-01) — the plan's parameters and the seed — is protected
// information: it is stored sealed, never in the package, and recorded by version.
//
// Anonymized (longitudinal; ARCHITECTURE §6):
//   1. direct identifiers dropped; a pseudonym per person that differs per recipient and request
//      (PSEUDO-04), a keyed hash no table ever lists;
//   2. ages banded (spec.age_band, top-coded from spec.top_code_age), address → prefecture;
//   3. k-anonymity on the person-level quasi-identifiers by the engine's optimal search, persons
//      in classes that fail it left out (within plan.suppression_limit);
//   4. codes held by fewer than plan.k persons generalized (ICD-10 → 3-character category, drug
//      codes → 7 then 4 characters, lab codes → 5 characters) and, when still rare, suppressed;
//   5. k^m-anonymity of each person's set of diagnoses: every set of up to plan.m codes a person
//      has is shared by at least plan.k persons, by removing the rarest code of each violating
//      set from the persons holding it, until none is left;
//   6. dates shifted by a per-person offset, or made days from the person's first event, or
//      months (spec.dates).
// Pseudonymized: steps 1, 6 and the same fields, with exact ages and codes (clinical detail kept).
//
// Outputs (persons.csv, events.csv, dictionary.json) are sealed under the build's own data key in
// the builds folder. The output hash covers every file; the same inputs and seed give the same
// hash (ANON-07, rebuild()).

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/base/random.h"
#include "tokumei/release/cohort_spec.h"
#include "tokumei/release/registry.h"

namespace tokumei::release {

// The version of the method below, recorded with every build (ANON-01/06).
inline constexpr const char* kMethodVersion = "tokumei-longitudinal-1";

struct ProcessingPlan {
  int k = 5;                       // k-anonymity of persons, rare-code threshold, k of k^m
  int m = 2;                       // k^m-anonymity of diagnosis sets (1 to 3)
  double suppression_limit = 0.1;  // share of persons that may be left out for k-anonymity
  int max_shift_days = 180;        // dates shifted by up to this many days either way
  nlohmann::json to_json() const;
};
// Reads a plan from TOML or JSON (keys as above); every problem located.
Result<ProcessingPlan> parse_plan(std::string_view text, const std::string& file = "");

struct BuildFile {
  std::string name;
  std::string sha256;
  std::uint64_t size = 0;
};

struct BuildRecord {
  std::int64_t id = 0;
  std::int64_t request_id = 0;
  std::string recipient;
  DatasetKind kind = DatasetKind::anonymized;
  std::string spec_hash;
  std::string method_version;
  std::string output_hash;
  std::size_t persons = 0;
  std::size_t events = 0;
  bool risk_passed = false;  // the risk check of ANON-02
  nlohmann::json report{};   // risk and utility
  std::vector<BuildFile> files{};
  std::vector<std::int64_t> batches{};  // the acquired batches read
  std::string built_by{};
  TimePoint at{};
};

// The data in memory, as the build reads it; also what tests and benchmarks feed directly.
struct SourcePerson {
  std::string key;  // the linked person key
  std::string birth_date;
  std::string sex;  // male, female, unknown
  std::string prefecture;
  std::vector<std::string> records{};  // the person keys of the person's records (linkage)
};
struct SourceEvent {
  std::uint32_t person = 0;  // index into the persons
  std::uint8_t type = 0;     // index into event_types()
  std::uint32_t code = 0;    // index into the codes dictionary ("SYSTEM\x1fCODE")
  std::int32_t day = 0;      // days since 1970-01-01
  std::uint32_t value = 0;   // index into the values dictionary ("VALUE\x1fUNIT"), 0 = none
};
struct Source {
  std::vector<SourcePerson> persons;
  std::vector<SourceEvent> events;
  std::vector<std::string> codes;   // "SYSTEM\x1fCODE"
  std::vector<std::string> values;  // [0] = "" (none)
};
// The event types a build knows, and the field of a specification each belongs to.
const std::vector<std::pair<std::string, std::string>>& event_types();

// The processed dataset: the files, and the report.
struct Dataset {
  std::map<std::string, std::string> files;  // name → content
  nlohmann::json report;
  bool risk_passed = false;
  std::size_t persons = 0;
  std::size_t events = 0;
  std::vector<std::uint32_t> released{};  // the persons released, by index into the source
};

// Runs selection and processing over `source` (pure: no database). `pseudonym_key` keys the
// pseudonyms and `seed` the date shifts.
Result<Dataset> process(const Source& source, const CohortSpec& spec, const ProcessingPlan& plan,
                        ByteView pseudonym_key, ByteView seed);

// The datasets released so far that hold any of `person_keys` (records' keys): what an opt-out
// reports (CONSENT-04), in dataset order.
Result<std::vector<std::string>> datasets_holding(store::Database& db,
                                                  const std::vector<std::string>& person_keys);

// The hash of a build's outputs: SHA-256 over each file's name and SHA-256, in name order.
std::string output_hash(const std::map<std::string, std::string>& files);

class Builds {
 public:
  // `folder` holds the sealed outputs, one subfolder per build.
  Builds(Context ctx, Random& random, std::filesystem::path folder)
      : ctx_(ctx), random_(random), folder_(std::move(folder)) {}

  // Builds the dataset of an approved request (REVIEW-05 checked first) for its recipient.
  // `seed_hex` empty: a fresh random seed.
  Result<BuildRecord> build(const audit::Actor& by, std::int64_t request_id,
                            const ProcessingPlan& plan, const std::string& seed_hex = "");
  // Runs a build again from what it recorded (batches, plan, seed) and compares the hash; the
  // result's output_hash is the new one (ANON-07).
  Result<BuildRecord> rebuild(const audit::Actor& by, std::int64_t build_id);
  Result<BuildRecord> get(std::int64_t id);
  Result<std::vector<BuildRecord>> list();
  // A file of the build, decrypted.
  Result<std::string> read_output(std::int64_t build_id, const std::string& name);
  // The processing plan of a build (protected; callers log who reads it).
  Result<ProcessingPlan> plan(std::int64_t build_id);

  // The data a specification selects from the store, read from `batches` (all acquired ones
  // when empty); fills `batches_read`.
  Result<Source> load(const CohortSpec& spec, const std::vector<std::int64_t>& batches,
                      std::vector<std::int64_t>& batches_read);

 private:
  Result<BuildRecord> run(const audit::Actor& by, std::int64_t request_id,
                          const ProcessingPlan& plan, const Bytes& seed,
                          const std::vector<std::int64_t>& batches, const char* action,
                          std::optional<std::int64_t> rebuild_of);
  Context ctx_;
  Random& random_;
  std::filesystem::path folder_;
};

}  // namespace tokumei::release
