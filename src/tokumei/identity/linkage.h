#pragma once
// Record linkage across hospitals (名寄せ): which identities that different institutions sent are
// the same person. Probabilistic (Fellegi–Sunter): each field of two identities is compared at a
// few levels of agreement (exact, close, far; Jaro–Winkler on kana names), each level weighs
// log2(m/u) — m the chance of that level between records of one person, u between records of
// different persons — and the weights add up to a score. At or above the match threshold two
// records are one person; between the review threshold and that, a person decides; below, they
// are different persons.
//
// Only pairs that share a blocking key are compared: the birth date; sex, the first kana of the
// family name and the postal code's first three digits (a mistyped birth date); sex and the whole
// kana name (a mistyped birth date and a move). Records of the same institution are never linked
// to each other here (a hospital's own patient IDs are its business; duplicates inside one
// hospital are a quality finding), and a person never gets two records of one institution: the
// best-scoring links are made first, and a link that would break this goes to review instead.
//
// Everything is computed from normalized text (identity/japanese.h) in memory: the caller reads
// the identities out of the vault and keeps the results (which hold no identifying text: indexes,
// levels, scores).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/error.h"
#include "tokumei/model/clinical.h"

namespace tokumei::identity {

// Jaro–Winkler similarity of two strings of code points, in [0, 1] (prefix scale 0.1, up to 4
// characters).
double jaro_winkler(std::u32string_view a, std::u32string_view b);

// An identity as linkage compares it.
struct LinkRecord {
  std::uint16_t institution = 0;  // an index the caller gives each institution
  std::u32string family_kana{}, given_kana{};
  std::string family_kanji{}, given_kanji{};
  std::int32_t birth = 0;  // yyyymmdd, 0 when unknown
  model::Sex sex = model::Sex::unknown;
  std::string postal{};  // digits only
  std::string phone{};   // digits only
};

// Normalizes an identity for linkage. Names are split into family and given at the first space
// (kanji and kana each); a name without one is all family name.
LinkRecord prepare(const model::PersonIdentity& identity, std::uint16_t institution);

// The fields compared, and how many levels each has (0 = disagree … levels-1 = agree). A name
// (family or given) is one field compared in kana and kanji together, so that one agreement is
// not counted twice: exact (both agree), kana exact (the kanji differ or one is missing), close
// (kana Jaro–Winkler ≥ 0.92, or the kanji agree while the kana do not), similar (≥ 0.80),
// different.
enum class Field : std::uint8_t {
  family_name,
  given_name,
  birth_date,
  sex,
  postal_code,
  phone,
};
inline constexpr std::size_t kFields = 6;
inline constexpr std::size_t kMaxLevels = 5;
inline constexpr std::int8_t kMissing = -1;  // either record lacks the field: weighs nothing

std::size_t levels(Field field);
// The field's name and a level's name, for people ("姓", "一致"; "family name", "exact").
std::string_view field_name(Field field, Lang lang);
std::string_view level_name(Field field, int level, Lang lang);

// The level of each field for one pair.
struct Comparison {
  std::array<std::int8_t, kFields> level{};
  std::int8_t operator[](Field f) const { return level[static_cast<std::size_t>(f)]; }
  bool operator==(const Comparison&) const = default;
};
Comparison compare(const LinkRecord& a, const LinkRecord& b);

// m and u per field and level, and the thresholds.
struct LinkageModel {
  std::array<std::array<double, kMaxLevels>, kFields> m{};
  std::array<std::array<double, kMaxLevels>, kFields> u{};
  double match_threshold = 0;
  double review_threshold = 0;

  // The defaults: m from how often hospitals' records of one person differ (documented in
  // docs/linkage.md), u for a population of about a million persons; the thresholds that go with
  // them. estimate_u() fits u to the records at hand.
  static LinkageModel defaults();

  // u from `samples` random pairs of records of different institutions (at most one pair in a
  // million is of one person, so their levels are those of different persons). Deterministic for
  // a seed. Needs records of at least two institutions; otherwise u stays.
  void estimate_u(const std::vector<LinkRecord>& records, std::size_t samples, std::uint64_t seed);

  double weight(Field field, int level) const;  // log2(m/u); 0 for kMissing
  double score(const Comparison& c) const;
};

enum class Decision : std::uint8_t { match, review, non_match };
std::string_view decision_name(Decision d);

// Why a pair got its decision.
enum class Reason : std::uint8_t {
  above_match_threshold,
  between_thresholds,
  linked_through_others,  // below the match threshold, but one person through better links
  same_institution_already_linked,  // would give one person two records of one institution
};
std::string_view reason_text(Reason r, Lang lang);

struct ScoredPair {
  std::uint32_t a = 0, b = 0;  // record indexes, a < b
  float score = 0;
  Comparison comparison{};
  Decision decision = Decision::non_match;
  Reason reason = Reason::between_thresholds;
};

struct LinkOptions {
  std::size_t max_block = 5000;  // a block with more records is not compared (counted)
  int threads = 2;
};

struct LinkResult {
  // Per record: the index of the first record of the person it was linked into (itself when
  // linked to nothing).
  std::vector<std::uint32_t> person{};
  // Every compared pair that scored at or above the review threshold, best first.
  std::vector<ScoredPair> pairs{};
  std::uint64_t compared = 0;  // pairs compared
  std::uint64_t blocks_too_large = 0;
  std::uint64_t records_in_blocks_too_large = 0;
};

// Links `records` (their order does not matter for which persons come out; `person` names each
// person by its first record). Deterministic whatever `threads` is.
LinkResult link(const std::vector<LinkRecord>& records, const LinkageModel& model,
                const LinkOptions& options = {});

// The score of a pair field by field: "カナ姓 一致 +8.9, 生年月日 不一致 -6.1, …".
std::string explain(const ScoredPair& pair, const LinkageModel& model, Lang lang);

// Pairwise precision and recall against the truth (`truth[i]` the true person of record i):
// a predicted pair is two records linked into one person.
struct LinkageQuality {
  std::uint64_t true_pairs = 0;
  std::uint64_t predicted_pairs = 0;
  std::uint64_t correct_pairs = 0;
  std::uint64_t review_pairs = 0;       // pairs left for review
  std::uint64_t review_true_pairs = 0;  // of which one person
  double precision() const {
    return predicted_pairs ? static_cast<double>(correct_pairs) / predicted_pairs : 1.0;
  }
  double recall() const {
    return true_pairs ? static_cast<double>(correct_pairs) / true_pairs : 1.0;
  }
};
LinkageQuality evaluate(const LinkResult& result, const std::vector<std::uint64_t>& truth);

}  // namespace tokumei::identity
