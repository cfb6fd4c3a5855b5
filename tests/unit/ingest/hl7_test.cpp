// HL7 v2.5 message parsing as SS-MIX2 stores messages: separators from MSH, HL7 field numbering,
// repetitions, components, escapes, and the located refusals.

#include "tokumei/ingest/ssmix2/hl7.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tokumei::ingest::hl7 {
namespace {

using ::testing::HasSubstr;

const std::string kAdt =
    "MSH|^~\\&|HIS123|SEND|GW|RCV|20111220224447.339||ADT^A08^ADT_A01|20111220000001|P|2.5|||||"
    "|~ISO IR87||ISO2022-1994\r"
    "EVN||201112202100|||||SEND001\r"
    "PID|0001||9999013^^^^PI||患者^太郎^^^^^L^I~カンジャ^タロウ^^^^^L^P||19480405|M|||"
    "^^^^422-8033^JPN^H^静岡県静岡市登呂１−３−５||^PRN^PH^^^^^^^^^054-000-0000\r";

TEST(Hl7, FieldsAreNumberedAsTheStandardDoes) {
  auto m = Message::parse(kAdt, "adt");
  ASSERT_TRUE(m) << m.error().describe(Lang::en);
  ASSERT_EQ(m->segments().size(), 3u);
  const Segment& msh = m->segments()[0];
  EXPECT_EQ(msh.id(), "MSH");
  EXPECT_EQ(msh.field(1), "|");
  EXPECT_EQ(msh.field(2), "^~\\&");
  EXPECT_EQ(m->value(msh, 3), "HIS123");
  EXPECT_EQ(m->value(msh, 9, 1), "ADT");
  EXPECT_EQ(m->value(msh, 9, 2), "A08");
  EXPECT_EQ(m->value(msh, 12), "2.5");
  EXPECT_EQ(m->message_type(), "ADT^A08");
  EXPECT_EQ(m->value(msh, 18, 1, 1, 2), "ISO IR87");  // the second repetition of MSH-18

  const Segment* pid = m->find("PID");
  ASSERT_NE(pid, nullptr);
  EXPECT_EQ(pid->line, 3);
  EXPECT_EQ(m->value(*pid, 3), "9999013");
  EXPECT_EQ(m->value(*pid, 3, 5), "PI");
  EXPECT_EQ(m->repetitions(*pid, 5), 2u);
  EXPECT_EQ(m->value(*pid, 5, 1, 1, 1), "患者");
  EXPECT_EQ(m->value(*pid, 5, 2, 1, 1), "太郎");
  EXPECT_EQ(m->value(*pid, 5, 8, 1, 2), "P");
  EXPECT_EQ(m->value(*pid, 5, 1, 1, 2), "カンジャ");
  EXPECT_EQ(m->value(*pid, 7), "19480405");
  EXPECT_EQ(m->value(*pid, 11, 5), "422-8033");
  EXPECT_EQ(m->value(*pid, 11, 8), "静岡県静岡市登呂１−３−５");
  EXPECT_EQ(m->value(*pid, 13, 12), "054-000-0000");
  // Absent fields, components and repetitions are empty.
  EXPECT_EQ(m->value(*pid, 40), "");
  EXPECT_EQ(m->value(*pid, 3, 9), "");
  EXPECT_EQ(m->value(*pid, 5, 1, 1, 3), "");
  EXPECT_EQ(m->repetitions(*pid, 2), 0u);
  EXPECT_EQ(m->find("OBX"), nullptr);
}

TEST(Hl7, LfAndCrlfEndSegmentsAndBlankLinesAreSkipped) {
  for (const char* end : {"\n", "\r\n"}) {
    std::string text =
        std::string("MSH|^~\\&|A\r\n").substr(0, 10) + end + end + "PID|1" + end + "OBX|1" + end;
    auto m = Message::parse(text, "x");
    ASSERT_TRUE(m) << m.error().describe(Lang::en);
    ASSERT_EQ(m->segments().size(), 3u);
    EXPECT_EQ(m->segments()[1].line, 3);
    EXPECT_EQ(m->segments()[2].line, 4);
  }
}

TEST(Hl7, EscapesAreDecodedOnAccess) {
  auto m = Message::parse(
      "MSH|^~\\&|A\rOBX|1|FT|||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\H\\h\\N\\|\\X414243\\|"
      "\\Z12\\|\\X80\\|50\\\r",
      "x");
  ASSERT_TRUE(m) << m.error().describe(Lang::en);
  const Segment& obx = m->segments()[1];
  EXPECT_EQ(m->value(obx, 5), "a|b^c&d~e\\f\ngh");
  EXPECT_EQ(m->value(obx, 6), "ABC");
  EXPECT_EQ(m->value(obx, 7), "\\Z12\\");  // unknown: kept as written
  EXPECT_EQ(m->value(obx, 8), "\\X80\\");  // not ASCII: kept as written
  EXPECT_EQ(m->value(obx, 9), "50\\");     // no closing escape: kept
}

TEST(Hl7, OtherDeclaredSeparatorsAreUsed) {
  auto m = Message::parse("MSH#*!/$#A#B\rPID#1##id1*x$y!id2", "x");
  ASSERT_TRUE(m) << m.error().describe(Lang::en);
  const Segment& pid = m->segments()[1];
  EXPECT_EQ(m->value(pid, 3, 1, 1, 1), "id1");
  EXPECT_EQ(m->value(pid, 3, 2, 2, 1), "y");
  EXPECT_EQ(m->value(pid, 3, 1, 1, 2), "id2");
}

TEST(Hl7, NoMshIsRefused) {
  auto m = Message::parse("PID|1\r", "a/file");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().where().file, "a/file");
  EXPECT_EQ(m.error().where().line, 1);
  EXPECT_THAT(m.error().describe(Lang::en), HasSubstr("MSH"));
}

TEST(Hl7, BadDelimitersAreRefused) {
  for (const char* text : {"MSH|^~\\", "MSH|^^\\&|", "MSH|A~\\&|", "MSH|^~\r&|"}) {
    auto m = Message::parse(text, "x");
    EXPECT_FALSE(m) << text;
  }
}

TEST(Hl7, JunkSegmentIsRefusedWithItsLine) {
  auto m = Message::parse("MSH|^~\\&|A\rPID|1\rOBX|1\rab|c\r", "junk");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().where().line, 4);
  EXPECT_EQ(m.error().where().field, "ab");
  EXPECT_THAT(m.error().describe(Lang::ja), HasSubstr("junk:4"));
}

TEST(Hl7, ASecondMessageInTheFileIsRefused) {
  auto m = Message::parse("MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\r", "two");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().where().line, 3);
  EXPECT_THAT(m.error().describe(Lang::en), HasSubstr("second message"));
}

TEST(Hl7, SegmentsSurviveMovingTheMessage) {
  auto m = Message::parse("MSH|^~\\&|A\rPID|1||x", "short");  // short enough for SSO
  ASSERT_TRUE(m);
  Message moved = std::move(*m);
  EXPECT_EQ(moved.value(moved.segments()[1], 3), "x");
}

}  // namespace
}  // namespace tokumei::ingest::hl7
