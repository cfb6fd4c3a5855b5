#include "tokumei/identity/linkage.h"

#include <gtest/gtest.h>

#include "tokumei/identity/japanese.h"

namespace tokumei::identity {
namespace {

model::PersonIdentity person(std::string kanji, std::string kana, std::string birth,
                             model::Sex sex = model::Sex::female, std::string postal = "150-0001",
                             std::string phone = "03-1234-5678") {
  model::PersonIdentity p;
  p.institution = "1310000001";
  p.patient_id = "1";
  p.name_kanji = std::move(kanji);
  p.name_kana = std::move(kana);
  p.birth_date = std::move(birth);
  p.sex = sex;
  p.postal_code = std::move(postal);
  if (!phone.empty()) p.phones.push_back(std::move(phone));
  return p;
}

TEST(JaroWinkler, KnownValues) {
  // The textbook pairs (Winkler 1990): MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.84, DIXON/DICKSONX
  // 0.813.
  EXPECT_NEAR(jaro_winkler(U"MARTHA", U"MARHTA"), 0.961, 0.001);
  EXPECT_NEAR(jaro_winkler(U"DWAYNE", U"DUANE"), 0.840, 0.001);
  EXPECT_NEAR(jaro_winkler(U"DIXON", U"DICKSONX"), 0.813, 0.001);
  EXPECT_DOUBLE_EQ(jaro_winkler(U"サトウ", U"サトウ"), 1.0);
  EXPECT_DOUBLE_EQ(jaro_winkler(U"", U""), 1.0);
  EXPECT_DOUBLE_EQ(jaro_winkler(U"サトウ", U""), 0.0);
  EXPECT_DOUBLE_EQ(jaro_winkler(U"アイ", U"カキ"), 0.0);
  // Symmetric.
  EXPECT_DOUBLE_EQ(jaro_winkler(U"タカハシ", U"タカハツ"), jaro_winkler(U"タカハツ", U"タカハシ"));
}

TEST(Prepare, NormalizesAndSplitsTheName) {
  const LinkRecord r = prepare(person("髙橋　花子", "ﾀｶﾊｼ ﾊﾅｺ", "昭和50年3月1日",
                                      model::Sex::female, "１５０－０００１", "(03) 1234-5678"),
                               7);
  EXPECT_EQ(r.institution, 7);
  EXPECT_EQ(r.family_kanji, "高橋");
  EXPECT_EQ(r.given_kanji, "花子");
  EXPECT_EQ(r.family_kana, code_points(normalize_kana("タカハシ")));
  EXPECT_EQ(r.given_kana, code_points(normalize_kana("ハナコ")));
  EXPECT_EQ(r.birth, 19750301);
  EXPECT_EQ(r.postal, "1500001");
  EXPECT_EQ(r.phone, "0312345678");
  // No space: all family name; an unreadable birth date is unknown.
  const LinkRecord one = prepare(person("高橋花子", "", "unknown"), 1);
  EXPECT_EQ(one.family_kanji, "高橋花子");
  EXPECT_EQ(one.given_kanji, "");
  EXPECT_EQ(one.birth, 0);
}

TEST(Compare, GivesEachFieldItsLevel) {
  const LinkRecord a = prepare(person("渡辺　花子", "ワタナベ　ハナコ", "1975-03-01"), 1);
  auto level = [&](const model::PersonIdentity& other, Field f) {
    return compare(a, prepare(other, 2))[f];
  };
  // Written differently, normalized the same: exact.
  EXPECT_EQ(level(person("渡邊　花子", "わたなべ　はなこ", "1975-03-01"), Field::family_name), 4);
  // Kana equal, kanji differ (渡部 is also read ワタナベ): kana exact.
  EXPECT_EQ(level(person("渡部　花子", "ワタナベ　ハナコ", "1975-03-01"), Field::family_name), 3);
  // Kanji equal, kana mistyped: close.
  EXPECT_EQ(level(person("渡辺　花子", "ワタナメ　ハナコ", "1975-03-01"), Field::family_name), 2);
  // Another name.
  EXPECT_EQ(level(person("佐藤　花子", "サトウ　ハナコ", "1975-03-01"), Field::family_name), 0);
  EXPECT_EQ(level(person("", "", "1975-03-01"), Field::family_name), kMissing);
  // Birth dates: one digit off, day and month swapped, different.
  EXPECT_EQ(level(person("渡辺　花子", "", "1975-03-01"), Field::birth_date), 2);
  EXPECT_EQ(level(person("渡辺　花子", "", "1975-08-01"), Field::birth_date), 1);
  EXPECT_EQ(level(person("渡辺　花子", "", "1975-01-03"), Field::birth_date), 1);
  EXPECT_EQ(level(person("渡辺　花子", "", "1957-03-01"), Field::birth_date), 0);
  // Postal code: exact, first three digits, different.
  EXPECT_EQ(level(person("", "", "", model::Sex::female, "1500001"), Field::postal_code), 2);
  EXPECT_EQ(level(person("", "", "", model::Sex::female, "150-0042"), Field::postal_code), 1);
  EXPECT_EQ(level(person("", "", "", model::Sex::female, "160-0001"), Field::postal_code), 0);
  // Sex unknown weighs nothing.
  EXPECT_EQ(level(person("", "", "", model::Sex::unknown), Field::sex), kMissing);
  EXPECT_EQ(level(person("", "", "", model::Sex::male), Field::sex), 0);
  EXPECT_EQ(level(person("", "", "", model::Sex::female, "", ""), Field::phone), kMissing);
}

TEST(LinkageModel, WeightsGrowWithAgreement) {
  LinkageModel model = LinkageModel::defaults();
  for (std::size_t f = 0; f < kFields; ++f) {
    const auto field = static_cast<Field>(f);
    for (std::size_t l = 1; l < levels(field); ++l) {
      EXPECT_LE(model.weight(field, static_cast<int>(l) - 1),
                model.weight(field, static_cast<int>(l)))
          << field_name(field, Lang::en) << " level " << l;
    }
    EXPECT_EQ(model.weight(field, kMissing), 0);
  }
  EXPECT_GT(model.match_threshold, model.review_threshold);
}

TEST(Link, LinksOnePersonAcrossHospitalsAndExplainsWhy) {
  std::vector<LinkRecord> records = {
      prepare(person("渡辺　花子", "ワタナベ　ハナコ", "1975-03-01"), 1),
      prepare(person("渡邊　花子", "ﾜﾀﾅﾍﾞ ﾊﾅｺ", "S50.3.1"), 2),
      prepare(person("佐藤　一郎", "サトウ　イチロウ", "1975-03-01", model::Sex::male, "060-0001",
                     "011-111-1111"),
              3),
  };
  const LinkageModel model = LinkageModel::defaults();
  const LinkResult result = link(records, model);
  EXPECT_EQ(result.person, (std::vector<std::uint32_t>{0, 0, 2}));
  ASSERT_EQ(result.pairs.size(), 1u);  // the stranger born the same day scores below review
  const ScoredPair& p = result.pairs[0];
  EXPECT_EQ(p.a, 0u);
  EXPECT_EQ(p.b, 1u);
  EXPECT_EQ(p.decision, Decision::match);
  EXPECT_EQ(p.reason, Reason::above_match_threshold);
  EXPECT_NEAR(p.score, model.score(p.comparison), 1e-4);
  const std::string why = explain(p, model, Lang::ja);
  EXPECT_NE(why.find("姓 一致 +"), std::string::npos) << why;
  EXPECT_NE(why.find("生年月日 一致 +"), std::string::npos) << why;
  EXPECT_NE(explain(p, model, Lang::en).find("postal code exact +"), std::string::npos);
}

TEST(Link, NeverLinksRecordsOfOneInstitutionOrGivesAPersonTwoOfThem) {
  // Two identical records at hospital 1 (a duplicate registration there) and one at hospital 2:
  // hospital 2's record links to one of them; the other pair goes to review.
  const auto same = person("山田　太郎", "ヤマダ　タロウ", "1960-01-02", model::Sex::male);
  std::vector<LinkRecord> records = {prepare(same, 1), prepare(same, 1), prepare(same, 2)};
  const LinkResult result = link(records, LinkageModel::defaults());
  EXPECT_NE(result.person[0], result.person[1]);
  EXPECT_TRUE(result.person[2] == result.person[0] || result.person[2] == result.person[1]);
  ASSERT_EQ(result.pairs.size(), 2u);  // the pair inside hospital 1 is not compared
  EXPECT_EQ(result.pairs[0].decision, Decision::match);
  EXPECT_EQ(result.pairs[1].decision, Decision::review);
  EXPECT_EQ(result.pairs[1].reason, Reason::same_institution_already_linked);
}

TEST(Link, FindsAMistypedBirthDateThroughTheOtherBlocks) {
  // Different birth dates put them in different birth blocks; the kana name block finds them.
  std::vector<LinkRecord> records = {
      prepare(person("小林　健太", "コバヤシ　ケンタ", "1980-05-17", model::Sex::male, "100-0001"),
              1),
      prepare(person("小林　健太", "コバヤシ　ケンタ", "1980-05-11", model::Sex::male, "980-0001"),
              2),
  };
  const LinkResult result = link(records, LinkageModel::defaults());
  EXPECT_EQ(result.compared, 1u);
  ASSERT_EQ(result.pairs.size(), 1u);
  EXPECT_EQ(result.pairs[0].comparison[Field::birth_date], 1);
}

TEST(Link, OversizedBlocksAreCountedNotCompared) {
  std::vector<LinkRecord> records;
  for (std::uint16_t i = 0; i < 6; ++i) {
    records.push_back(prepare(person("", "", "1970-01-01", model::Sex::unknown, "", ""), i));
  }
  const LinkResult result = link(records, LinkageModel::defaults(), {.max_block = 5});
  EXPECT_EQ(result.blocks_too_large, 1u);
  EXPECT_EQ(result.records_in_blocks_too_large, 6u);
  EXPECT_EQ(result.compared, 0u);
}

TEST(Evaluate, CountsPairsAgainstTheTruth) {
  LinkResult result;
  result.person = {0, 0, 0, 3, 4};  // records 0, 1, 2 linked; 3 and 4 alone
  // Truth: 0 and 1 are one person, 2 another, 3 and 4 a third.
  const LinkageQuality q = evaluate(result, {10, 10, 20, 30, 30});
  EXPECT_EQ(q.predicted_pairs, 3u);
  EXPECT_EQ(q.true_pairs, 2u);
  EXPECT_EQ(q.correct_pairs, 1u);
  EXPECT_DOUBLE_EQ(q.precision(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(q.recall(), 0.5);
}

}  // namespace
}  // namespace tokumei::identity
