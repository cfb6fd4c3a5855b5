#include "tokumei/quality/rules.h"

#include <gtest/gtest.h>

#include <set>

namespace tokumei::quality {
namespace {

TEST(Rules, EachHasAUniqueIdAndBothLanguages) {
  std::set<std::string_view> ids;
  for (const Rule& r : rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_GE(r.version, 1);
    EXPECT_FALSE(r.description.ja.empty()) << r.id;
    EXPECT_FALSE(r.description.en.empty()) << r.id;
    EXPECT_EQ(find_rule(r.id), &r);
  }
  EXPECT_EQ(find_rule("no.such_rule"), nullptr);
  // Date inconsistencies and identity mix-ups keep a batch pending; a warning does not.
  EXPECT_TRUE(find_rule(rule::several_names)->blocking);
  EXPECT_TRUE(find_rule(rule::before_birth)->blocking);
  EXPECT_FALSE(find_rule(rule::invalid_code)->blocking);
}

TEST(ValidCode, ChecksTheShapeOfEachCodeSystem) {
  for (const char* ok : {"K297", "I10", "E11.9", "C34.10", "U071"}) {
    EXPECT_TRUE(valid_code("ICD10", ok)) << ok;
  }
  for (const char* bad : {"K2", "k297", "1297", "KX97", "K29_7", "K2971234", ""}) {
    EXPECT_FALSE(valid_code("ICD10", bad)) << bad;
  }
  EXPECT_TRUE(valid_code("JLAC10", "3D010000001926101"));
  EXPECT_TRUE(valid_code("JC10", "2A990000001930952"));
  EXPECT_FALSE(valid_code("JLAC10", "3D01000000192610"));   // 16
  EXPECT_FALSE(valid_code("JC10", "3D0100000019261011"));   // 18
  EXPECT_FALSE(valid_code("JLAC10", "3d010000001926101"));  // lower case
  EXPECT_TRUE(valid_code("HOT9", "108665201"));
  EXPECT_FALSE(valid_code("HOT9", "10866520"));
  EXPECT_FALSE(valid_code("HOT9", "10866520X"));
  EXPECT_TRUE(valid_code("HOT13", "1086652010101"));
  EXPECT_TRUE(valid_code("YJ", "2149039F1020"));
  EXPECT_FALSE(valid_code("YJ", "2149039F102"));
  EXPECT_TRUE(valid_code("MDCDX2", "20054174"));
  EXPECT_TRUE(valid_code("claims-disease", "8830417"));
  EXPECT_FALSE(valid_code("claims-disease", "883041"));
  EXPECT_TRUE(valid_code("claims-procedure", "112007410"));
  EXPECT_TRUE(valid_code("claims-drug", "620000402"));
  EXPECT_FALSE(valid_code("claims-drug", "62000040"));
  // Systems the rules do not know are not judged.
  EXPECT_TRUE(valid_code("LOINC", "2345-7"));
  EXPECT_TRUE(valid_code("hospital-local", "anything"));
}

}  // namespace
}  // namespace tokumei::quality
