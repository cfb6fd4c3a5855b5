// The synthetic population for record linkage, and linkage measured on it (the acceptance
// figures at 100 000 persons come from `tokumei link evaluate`; these run a smaller one).

#include "tokumei/synth/population.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <set>

#include "tokumei/synth/generator.h"

namespace tokumei::synth {
namespace {

std::vector<PopulationRecord> all(const PopulationOptions& options) {
  std::vector<PopulationRecord> out;
  population(options, [&](const PopulationRecord& r) { out.push_back(r); });
  return out;
}

TEST(Population, IsReproducibleAndHoldsEachKindOfNoise) {
  const PopulationOptions options{.persons = 5000, .institutions = 5, .seed = 3};
  const auto records = all(options);
  const auto again = all(options);
  ASSERT_EQ(records.size(), again.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(records[i].identity, again[i].identity) << i;
    ASSERT_EQ(records[i].noise, again[i].noise) << i;
  }
  EXPECT_NE(all({.persons = 5000, .institutions = 5, .seed = 4})[0].identity, records[0].identity);

  // About two records a person; no person twice at one hospital; patient IDs unique per
  // hospital.
  EXPECT_GT(records.size(), 9000u);
  EXPECT_LT(records.size(), 11500u);
  std::set<std::pair<std::uint64_t, int>> person_at;
  std::set<std::pair<int, std::string>> ids;
  std::map<int, std::size_t> noise;
  for (const auto& r : records) {
    EXPECT_TRUE(person_at.insert({r.person, r.institution}).second);
    EXPECT_TRUE(ids.insert({r.institution, r.identity.patient_id}).second);
    EXPECT_EQ(r.identity.institution, institution_code(r.institution));
    for (int bit = 0; bit < kNoiseKinds; ++bit) noise[bit] += r.noise >> bit & 1;
  }
  for (int bit = 0; bit < kNoiseKinds; ++bit) {
    EXPECT_GT(noise[bit], 10u) << noise_name(bit);
  }
  // A married record carries another family name than the person's first record.
  for (std::size_t i = 1; i < records.size(); ++i) {
    if ((records[i].noise & married) == 0 || records[i - 1].person != records[i].person) continue;
    if ((records[i - 1].noise & married) != 0) continue;
    if (records[i].identity.name_kanji.empty() || records[i - 1].identity.name_kanji.empty()) {
      continue;
    }
    EXPECT_NE(records[i].identity.name_kanji, records[i - 1].identity.name_kanji);
  }
}

TEST(LinkageEvaluation, MeetsThePrecisionAndRecallTargetsAtTheDefaultThresholds) {
  const LinkageEvaluation e = evaluate_linkage({.persons = 20000, .institutions = 5, .seed = 7});
  EXPECT_GT(e.quality.true_pairs, 15000u);
  EXPECT_GE(e.quality.precision(), 0.995);
  EXPECT_GE(e.quality.recall(), 0.98);
  // Differences normalization undoes cost next to nothing.
  const auto recall_with = [&](Noise n) {
    const auto bit = static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(n)));
    return static_cast<double>(e.noisy_pairs_linked[bit]) / e.noisy_pairs[bit];
  };
  EXPECT_GE(recall_with(kana_written_differently), 0.97);
  EXPECT_GE(recall_with(kanji_variant), 0.97);
}

TEST(LinkageEvaluation, TheSameWhateverTheThreads) {
  const PopulationOptions options{.persons = 3000, .institutions = 4, .seed = 9};
  const LinkageEvaluation one = evaluate_linkage(options, {.threads = 1});
  const LinkageEvaluation two = evaluate_linkage(options, {.threads = 2});
  EXPECT_EQ(one.result.person, two.result.person);
  ASSERT_EQ(one.result.pairs.size(), two.result.pairs.size());
  for (std::size_t i = 0; i < one.result.pairs.size(); ++i) {
    EXPECT_EQ(one.result.pairs[i].a, two.result.pairs[i].a);
    EXPECT_EQ(one.result.pairs[i].b, two.result.pairs[i].b);
    EXPECT_EQ(one.result.pairs[i].decision, two.result.pairs[i].decision);
  }
  EXPECT_EQ(one.result.compared, two.result.compared);
}

}  // namespace
}  // namespace tokumei::synth
