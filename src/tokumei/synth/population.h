#pragma once
// A synthetic population for measuring record linkage (名寄せ): persons who are patients at one to
// five hospitals, each hospital holding its own record of them with the differences real records
// have — names written in half-width kana, hiragana or with long vowels spelled out, old kanji
// forms (髙, 﨑, 邊), typing mistakes in kana, kanji and birth dates, moves (another postal code
// and phone), family names changed at marriage, missing fields. Each record says which person it is
// (the truth) and what was done to it. docs/linkage.md gives the rates.

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "tokumei/identity/linkage.h"
#include "tokumei/model/clinical.h"

namespace tokumei::synth {

struct PopulationOptions {
  std::size_t persons = 100000;
  int institutions = 5;  // 1 to 5 (a person visits up to this many of them)
  std::uint64_t seed = 1;
};

// What was done to a record, as bits.
enum Noise : std::uint16_t {
  kana_written_differently = 1 << 0,  // half-width, hiragana, ー, ヅ/ヂ: normalization undoes it
  kana_typo = 1 << 1,
  kanji_variant = 1 << 2,  // an old or variant form: normalization undoes it
  kanji_typo = 1 << 3,
  birth_typo = 1 << 4,
  moved = 1 << 5,
  married = 1 << 6,  // another family name
  sex_unknown_or_wrong = 1 << 7,
  field_missing = 1 << 8,  // kanji, kana, postal code or phone left empty
};
inline constexpr int kNoiseKinds = 9;
std::string_view noise_name(int bit);  // of 1 << bit

struct PopulationRecord {
  model::PersonIdentity
      identity;              // institution: synth::institution_code(n); patient_id unique there
  int institution = 1;       // n, from 1
  std::uint64_t person = 0;  // the truth
  std::uint16_t noise = 0;
};

// Calls `each` for every record, person by person. The same options give the same records.
void population(const PopulationOptions& options,
                const std::function<void(const PopulationRecord&)>& each);

// Links a population (u estimated from it, the default m and thresholds) and compares the result
// with the truth: pairwise precision and recall, and recall among the pairs with each kind of
// noise. What `tokumei link evaluate` prints.
struct LinkageEvaluation {
  std::size_t records = 0;
  identity::LinkageQuality quality{};
  identity::LinkResult result{};
  // Per kind of noise: pairs of one person where either record has it, and how many were linked.
  std::array<std::uint64_t, kNoiseKinds> noisy_pairs{}, noisy_pairs_linked{};
  double prepare_seconds = 0, link_seconds = 0;
};
LinkageEvaluation evaluate_linkage(const PopulationOptions& population_options,
                                   const identity::LinkOptions& link_options = {});

}  // namespace tokumei::synth
