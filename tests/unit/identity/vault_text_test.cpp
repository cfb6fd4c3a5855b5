// The identity text the vault seals and indexes: versions already recorded were indexed over the
// text nlohmann's dump() gave, so the hand-written text must be the same, byte for byte.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tokumei/identity/vault.h"

namespace tokumei::identity {
namespace {

std::string with_nlohmann(const model::PersonIdentity& p) {
  nlohmann::json insurance = nlohmann::json::array();
  for (const auto& i : p.insurance) {
    insurance.push_back({{"insurer", i.insurer_number},
                         {"symbol", i.symbol},
                         {"number", i.number},
                         {"branch", i.branch}});
  }
  return nlohmann::json{
      {"institution", p.institution},
      {"patient_id", p.patient_id},
      {"name_kanji", p.name_kanji},
      {"name_kana", p.name_kana},
      {"birth_date", p.birth_date},
      {"sex", model::sex_name(p.sex)},
      {"postal_code", p.postal_code},
      {"address", p.address},
      {"phones", p.phones},
      {"insurance", insurance},
      {"death_date", p.death_date},
      {"source", {{"file", p.source.file}, {"line", p.source.line}, {"element", p.source.element}}}}
      .dump();
}

TEST(IdentityText, IsWhatNlohmannWritesAndReadsBack) {
  const model::PersonIdentity bare{.institution = "1311234567", .patient_id = "P-1"};
  model::PersonIdentity full{.institution = "1311234567",
                             .patient_id = "0001\t\"x\"",
                             .name_kanji = "髙橋　花子",
                             .name_kana = "タカハシ　ハナコ",
                             .birth_date = "1980-02-29",
                             .sex = model::Sex::female,
                             .postal_code = "100-0001",
                             .address = "東京都千代田区千代田1-1 \\ 2F\n",
                             .phones = {"03-1234-5678", "090-0000-0000"},
                             .insurance = {{.insurer_number = "06139999",
                                            .symbol = "記号\x01",
                                            .number = "12",
                                            .branch = "01"},
                                           {.insurer_number = "39131234"}},
                             .death_date = "",
                             .source = {.file = "a/b.hl7", .line = -3, .element = "PID-5"}};
  for (const auto& p : {bare, full}) {
    const std::string text = identity_to_json(p);
    EXPECT_EQ(text, with_nlohmann(p));
    auto back = identity_from_json(text);
    ASSERT_TRUE(back) << back.error().describe(Lang::en);
    model::PersonIdentity expected = p;
    expected.source.offset = back->source.offset;  // the offset is not part of the text
    EXPECT_EQ(*back, expected);
  }
}

}  // namespace
}  // namespace tokumei::identity
