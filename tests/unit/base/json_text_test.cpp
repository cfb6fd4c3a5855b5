// Hand-written JSON strings: what nlohmann writes and reads, byte for byte.

#include "tokumei/base/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace tokumei {
namespace {

std::string json_quoted(std::string_view s, bool replace_invalid = true) {
  std::string out;
  append_json_string(out, s, replace_invalid);
  return out;
}

TEST(JsonText, EscapesAsNlohmannDumpDoes) {
  std::string every_control;
  for (int c = 0; c < 0x20; ++c) every_control += static_cast<char>(c);
  for (const std::string& s :
       {std::string(), std::string("plain"), std::string("\"quoted\" back\\slash /"), every_control,
        std::string("del \x7f kept"), std::string("試験 花子 ｼｹﾝ 🏥")}) {
    EXPECT_EQ(json_quoted(s), nlohmann::json(s).dump()) << s;
    EXPECT_EQ(nlohmann::json::parse(json_quoted(s)).get<std::string>(), s);
  }
  EXPECT_EQ(json_quoted("\b\f\x01"), R"("\b\f\u0001")");
}

TEST(JsonText, InvalidUtf8IsReplacedOrKeptAsAsked) {
  // A lone continuation byte, a truncated sequence, an overlong form and a surrogate.
  const std::string bad =
      "a\x80"
      "b\xE3\x81"
      "c\xC0\xAF"
      "d\xED\xA0\x80";
  const std::string replaced = json_quoted(bad);
  EXPECT_EQ(nlohmann::json::parse(replaced).get<std::string>(),
            "a\uFFFDb\uFFFD\uFFFDc\uFFFD\uFFFDd\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(json_quoted(bad, false), "\"" + bad + "\"");
}

TEST(JsonText, Utf8SequenceLengths) {
  EXPECT_EQ(utf8_sequence_length(""), 0u);
  EXPECT_EQ(utf8_sequence_length("a"), 1u);
  EXPECT_EQ(utf8_sequence_length("é"), 2u);
  EXPECT_EQ(utf8_sequence_length("試"), 3u);
  EXPECT_EQ(utf8_sequence_length("🏥"), 4u);
  EXPECT_EQ(utf8_sequence_length("\xF4\x90\x80\x80"), 0u);  // beyond U+10FFFF
  EXPECT_EQ(utf8_sequence_length("\xE0\x80\x80"), 0u);      // overlong
}

}  // namespace
}  // namespace tokumei
