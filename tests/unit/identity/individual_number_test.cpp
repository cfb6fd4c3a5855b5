// INTAKE-07: Individual Numbers are found wherever and however they are written, and other
// numbers (order numbers, phone numbers, UUIDs) are left alone.

#include "tokumei/identity/individual_number.h"

#include <gtest/gtest.h>

namespace tokumei::identity {
namespace {

// Valid by the check-digit rule (computed independently).
constexpr const char* kValid[] = {"123456789018", "000000000019", "987654321093", "111111111118"};

TEST(IndividualNumber, CheckDigit) {
  for (const char* n : kValid) EXPECT_TRUE(valid_individual_number(n)) << n;
  EXPECT_FALSE(valid_individual_number("123456789012"));
  EXPECT_FALSE(valid_individual_number("12345678901"));
  EXPECT_FALSE(valid_individual_number("1234567890188"));
  EXPECT_FALSE(valid_individual_number("12345678901a"));
  // Every wrong last digit fails.
  for (char c = '0'; c <= '9'; ++c) {
    std::string n = "12345678901";
    n.push_back(c);
    EXPECT_EQ(valid_individual_number(n), c == '8') << n;
  }
}

TEST(IndividualNumber, FoundHoweverItIsWritten) {
  struct Case {
    std::string text;
    std::size_t offset;
    int line;
  };
  for (const auto& c : std::vector<Case>{
           {"123456789018", 0, 1},
           {"PID|1||123456789018^^^^PI", 7, 1},
           {"a\nb\nNK1|1|1234-5678-9018|", 10, 3},
           {"MSH|^~\\&\rPID|1\r\nNK1|123456789018", 20, 3},  // HL7 segments end in CR
           {"番号 1234 5678 9018 です", 7, 1},
           {"{\"value\":\"１２３４５６７８９０１８\"}", 10, 1},
           {"RE,1,1112,202406,患者,1,19800101,,,,,,,987654321093,", 41, 1},
       }) {
    auto found = find_individual_number(c.text);
    ASSERT_TRUE(found.has_value()) << c.text;
    EXPECT_EQ(found->offset, c.offset) << c.text;
    EXPECT_EQ(found->line, c.line) << c.text;
  }
}

TEST(IndividualNumber, OtherNumbersAreLeftAlone) {
  for (const char* text : {
           "123456789012",                                   // wrong check digit
           "1234567890180",                                  // 13 digits
           "0123456789018",                                  // part of a longer run
           "9999013_20110630_OMP-11_123456789018",           // inside a file name's code
           "urn:uuid:018f428e-34f6-4707-8009-123456789018",  // a UUID's last group
           "A123456789018",                                  // a code with a letter
           "1234-5678-9018-1",                               // a longer grouped code
           "1234-5678 9018",                                 // mixed separators
           "054-000-0000",                                   // a phone number
           "20111220224447339",                              // an event time
           "\"value\": 14235.176000000001",                  // a decimal's fraction
           "123456789018.5",                                 // a decimal's integer part
           "EVN||201112202100|||",  // a timestamp (yyyyMMddHHmm) that passes
           "\t000000000000\t",      // a zero-padded field (DPC EF) that passes
           "\t000012345674\t",      // another, with four leading zeros
       }) {
    EXPECT_FALSE(find_individual_number(text).has_value()) << text;
  }
}

}  // namespace
// The scan skips sixteen bytes at a time: a number is found wherever it starts and ends relative
// to those blocks, written in ASCII or full-width digits, and a lone digit or 0xEF lead byte near
// a block's end is not mistaken for anything.
TEST(IndividualNumber, FoundAtEveryPlaceOfALongText) {
  const std::string fullwidth = "１２３４５６７８９０１８";
  for (const std::string& number : {std::string("123456789018"), fullwidth}) {
    for (std::size_t at = 0; at < 40; ++at) {
      std::string text(at, 'x');
      text += " " + number + " ";
      text += std::string(at % 17, 'y');
      auto found = find_individual_number(text);
      ASSERT_TRUE(found) << at;
      EXPECT_EQ(found->offset, at + 1) << at;
    }
  }
  for (std::size_t at = 0; at < 40; ++at) {
    std::string text(64, 'z');
    text[at] = '7';
    text[at + 20] = static_cast<char>(0xEF);
    EXPECT_FALSE(find_individual_number(text)) << at;
  }
}

}  // namespace tokumei::identity
