// The anonymizer's CSV adapter and the dictionary-encoded table built on it: delimiter detection,
// RFC 4180 quoting, BOM and CRLF handling, and every refusal with the file, line and column (or
// column name) it reports.

#include "tokumei/anon/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.h"
#include "tokumei/anon/table.h"

namespace tokumei::anon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Fields = std::vector<std::string>;

// Every record parse_csv reports, with the line it starts on.
struct Parsed {
  std::vector<int> lines;
  std::vector<Fields> records;
};

Result<Parsed> parse_all(std::string_view text, CsvOptions options = {}) {
  Parsed out;
  Status s = parse_csv(text, "in.csv", options, [&](int line, std::vector<std::string>& f) {
    out.lines.push_back(line);
    out.records.push_back(f);
    return ok();
  });
  if (!s) return std::unexpected(s.error());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Delimiter detection

TEST(CsvDelimiter, DetectsSemicolonWhenItIsTheCommonerOne) {
  EXPECT_EQ(detect_delimiter("a;b;c\n1;2;3\n"), ';');
  EXPECT_EQ(detect_delimiter("a;b,c;d\n"), ';');
}

TEST(CsvDelimiter, DetectsCommaWhenItIsTheCommonerOne) {
  EXPECT_EQ(detect_delimiter("a,b,c\n1,2,3\n"), ',');
  EXPECT_EQ(detect_delimiter("a,b;c,d\n"), ',');
}

TEST(CsvDelimiter, LooksOnlyAtTheFirstLine) {
  EXPECT_EQ(detect_delimiter("a,b\nc;d;e;f;g\n"), ',');
  EXPECT_EQ(detect_delimiter("a;b\r\nc,d,e,f,g\r\n"), ';');
}

TEST(CsvDelimiter, IgnoresDelimitersInsideQuotes) {
  EXPECT_EQ(detect_delimiter("\"a;b;c;d\",e\n"), ',');
  EXPECT_EQ(detect_delimiter("\"a,b,c,d\";e\n"), ';');
  // A quoted field running onto the next line still belongs to the first record.
  EXPECT_EQ(detect_delimiter("\"x\n,,,,\";y\n1;2\n"), ';');
}

TEST(CsvDelimiter, IgnoresABom) {
  EXPECT_EQ(detect_delimiter("\xEF\xBB\xBF"
                             "a;b;c\n"),
            ';');
  EXPECT_EQ(detect_delimiter("\xEF\xBB\xBF"
                             "a,b,c\n"),
            ',');
}

TEST(CsvDelimiter, SkipsLeadingBlankLinesAsTheParserDoes) {
  EXPECT_EQ(detect_delimiter("\nid;age\n1;2\n"), ';');
  EXPECT_EQ(detect_delimiter("\r\n\r\nid;age\r\n"), ';');
  auto t = parse_table("\nid;age\n1;2\n", "t.csv");
  ASSERT_TRUE(t) << t.error().describe(Lang::en);
  EXPECT_EQ(t->column_count(), 2u);
}

// ---------------------------------------------------------------------------------------------
// Parsing

TEST(CsvParse, AutodetectedSemicolonLeavesCommasInFields) {
  auto r = parse_all("a;b,c\n1;2,3\n");
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"a", "b,c"}, Fields{"1", "2,3"}));
  EXPECT_THAT(r->lines, ElementsAre(1, 2));
}

TEST(CsvParse, AutodetectedCommaLeavesSemicolonsInFields) {
  auto r = parse_all("a,b;c,d\n1,2;3,4\n");
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"a", "b;c", "d"}, Fields{"1", "2;3", "4"}));
}

TEST(CsvParse, ExplicitDelimiterOverridesDetection) {
  // The first line has more semicolons, but the caller said ','.
  auto r = parse_all("a;b;c,d\n1;2;3,4\n", CsvOptions{.delimiter = ','});
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"a;b;c", "d"}, Fields{"1;2;3", "4"}));

  auto s = parse_all("a,b,c;d\n", CsvOptions{.delimiter = ';'});
  ASSERT_TRUE(s) << s.error().describe(Lang::en);
  EXPECT_THAT(s->records, ElementsAre(Fields{"a,b,c", "d"}));
}

TEST(CsvParse, QuotedFieldsHoldDelimitersNewlinesAndDoubledQuotes) {
  const std::string text =
      "id;note\n"                          // line 1
      "1;\"x;y\"\n"                        // line 2
      "2;\"line one\nline two\"\n"         // lines 3-4
      "3;\"say \"\"hi\"\"\"\n"             // line 5
      "4;\"\"\n"                           // line 6
      "\"5\";\"\"\"\"\n"                   // line 7: a field that is a single quote
      "6;\"a\r\nb\";\"\"\"x;\ny\"\"\"\n";  // lines 8-10
  auto r = parse_all(text);
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records,
              ElementsAre(Fields{"id", "note"}, Fields{"1", "x;y"},
                          Fields{"2", "line one\nline two"}, Fields{"3", "say \"hi\""},
                          Fields{"4", ""}, Fields{"5", "\""}, Fields{"6", "a\r\nb", "\"x;\ny\""}));
  // A record's line is where it starts, counting the line breaks inside quoted fields.
  EXPECT_THAT(r->lines, ElementsAre(1, 2, 3, 5, 6, 7, 8));
}

TEST(CsvParse, Utf8BomIsStripped) {
  auto r = parse_all(
      "\xEF\xBB\xBF"
      "name;age\nA;1\n");
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"name", "age"}, Fields{"A", "1"}));
  EXPECT_THAT(r->lines, ElementsAre(1, 2));
}

TEST(CsvParse, CrlfLineEndsAreNotPartOfTheLastField) {
  auto r = parse_all("a;b\r\n1;2\r\n3;\"x\"\r\n");
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"a", "b"}, Fields{"1", "2"}, Fields{"3", "x"}));
  EXPECT_THAT(r->lines, ElementsAre(1, 2, 3));
}

TEST(CsvParse, BlankLinesAreSkippedButCounted) {
  const std::string text =
      "a;b\n"    // 1
      "\n"       // 2
      "1;2\r\n"  // 3
      "\r\n"     // 4
      "\n"       // 5
      "3;4";     // 6, no final line break
  auto r = parse_all(text);
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"a", "b"}, Fields{"1", "2"}, Fields{"3", "4"}));
  EXPECT_THAT(r->lines, ElementsAre(1, 3, 6));
}

TEST(CsvParse, EmptyFieldsAreKept) {
  auto r = parse_all("a;b;c\n;;\nx;;\n");
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records,
              ElementsAre(Fields{"a", "b", "c"}, Fields{"", "", ""}, Fields{"x", "", ""}));
}

TEST(CsvParse, AQuotedEmptyFieldIsARecordNotABlankLine) {
  auto r = parse_all("a\n\"\"\nb\n", CsvOptions{.delimiter = ';'});
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"a"}, Fields{""}, Fields{"b"}));
  EXPECT_THAT(r->lines, ElementsAre(1, 2, 3));
}

TEST(CsvParse, EmptyTextHasNoRecords) {
  for (std::string text : {"", "\n", "\r\n\r\n", "\xEF\xBB\xBF"}) {
    auto r = parse_all(text);
    ASSERT_TRUE(r) << r.error().describe(Lang::en);
    EXPECT_TRUE(r->records.empty()) << "text: " << text;
  }
}

TEST(CsvParse, JapaneseTextIsPreservedByteForByte) {
  const std::string text =
      "氏名;住所;備考\n"
      "山田太郎;\"東京都千代田区1-1;2F\";ｶﾀｶﾅ・①\n"
      "佐藤花子;大阪府大阪市;\"「引用」\"\"二重\"\"\"\n";
  auto r = parse_all(text);
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"氏名", "住所", "備考"},
                                      Fields{"山田太郎", "東京都千代田区1-1;2F", "ｶﾀｶﾅ・①"},
                                      Fields{"佐藤花子", "大阪府大阪市", "「引用」\"二重\""}));
}

TEST(CsvParse, FourByteUtf8IsAccepted) {
  auto r = parse_all("a;b\n\xF0\x9F\x98\x80;𠮷野家\n");
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"a", "b"}, Fields{"\xF0\x9F\x98\x80", "𠮷野家"}));
}

TEST(CsvParse, UnterminatedQuoteIsRefusedAtTheLineOfItsRecord) {
  auto r = parse_all("a;b\n1;2\n3;\"abc\n4;5\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_input);
  EXPECT_EQ(r.error().where().file, "in.csv");
  EXPECT_EQ(r.error().where().line, 3);
  EXPECT_THAT(r.error().message(Lang::en), HasSubstr("quote"));
  EXPECT_FALSE(r.error().message(Lang::ja).empty());
}

TEST(CsvParse, UnterminatedQuoteInTheHeaderIsRefusedAtLineOne) {
  auto r = parse_all("\"a;b\n1;2\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_input);
  EXPECT_EQ(r.error().where().line, 1);
}

TEST(CsvParse, TextAfterAClosingQuoteIsRefusedWithLineAndColumn) {
  // Line 2 is `1;"xy"z`: the stray `z` is column 7.
  auto r = parse_all("a;b\n1;\"xy\"z\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_input);
  EXPECT_EQ(r.error().where().file, "in.csv");
  EXPECT_EQ(r.error().where().line, 2);
  EXPECT_EQ(r.error().where().column, 7);
  EXPECT_THAT(r.error().message(Lang::en), HasSubstr("closing quote"));
}

TEST(CsvParse, TextAfterAClosingQuoteIsLocatedAfterAMultiLineField) {
  // The quoted field starts on line 2 and closes on line 3 at column 2; `z` is column 3 there.
  auto r = parse_all("a;b\n1;\"x\ny\"z\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_input);
  EXPECT_EQ(r.error().where().line, 3);
  EXPECT_EQ(r.error().where().column, 3);
}

TEST(CsvParse, MultibyteTextAfterAClosingQuoteIsRefused) {
  auto r = parse_all("a;b\n\"x\"あ;1\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_input);
  EXPECT_EQ(r.error().where().line, 2);
  EXPECT_EQ(r.error().where().column, 4);
}

TEST(CsvParse, ShiftJisBytesAreRefusedWithLineAndColumn) {
  // 0x82 0xA0 is "あ" in Shift_JIS; as UTF-8 it is a stray continuation byte. Line 2 is `ab;??`.
  auto r = parse_all("名前;年齢\nab;\x82\xA0\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_input);
  EXPECT_EQ(r.error().where().file, "in.csv");
  EXPECT_EQ(r.error().where().line, 2);
  EXPECT_EQ(r.error().where().column, 4);
  EXPECT_THAT(r.error().message(Lang::en), HasSubstr("UTF-8"));
  EXPECT_THAT(r.error().message(Lang::ja), HasSubstr("UTF-8"));
}

TEST(CsvParse, InvalidUtf8InsideQuotesIsRefused) {
  auto r = parse_all("a;b\n1;\"ok\n\x82\xA0\"\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_input);
  EXPECT_EQ(r.error().where().line, 3);
  EXPECT_EQ(r.error().where().column, 1);
}

TEST(CsvParse, MalformedUtf8SequencesAreRefused) {
  struct Case {
    std::string text;
    int column;
  };
  const std::vector<Case> cases = {
      {"x;\xC0\xAF\n", 3},          // overlong '/'
      {"x;\xE0\x80\xAF\n", 3},      // overlong, three bytes
      {"x;\xED\xA0\x80\n", 3},      // UTF-16 surrogate
      {"x;\xF4\x90\x80\x80\n", 3},  // above U+10FFFF
      {"x;\xFF\n", 3},              // never valid
      {"xy;\xE3\x81", 4},           // truncated at the end of the text
      {"x;\xE3\x81z\n", 3},         // truncated by an ASCII byte
  };
  for (const auto& c : cases) {
    auto r = parse_all(c.text, CsvOptions{.delimiter = ';'});
    ASSERT_FALSE(r) << "accepted: " << c.text;
    EXPECT_EQ(r.error().code(), Errc::invalid_input);
    EXPECT_EQ(r.error().where().line, 1);
    EXPECT_EQ(r.error().where().column, c.column) << c.text;
  }
}

TEST(CsvParse, ErrorFromTheRowCallbackIsPassedThroughAndStopsParsing) {
  int calls = 0;
  Status s = parse_csv("a;b\n1;2\n3;4\n", "in.csv", {}, [&](int line, std::vector<std::string>&) {
    ++calls;
    if (line == 2) {
      return Status(fail(Errc::not_found, {"見つかりません", "row refused"},
                         Location{.file = "elsewhere", .line = 42, .field = "f"}));
    }
    return ok();
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(s.error().code(), Errc::not_found);
  EXPECT_EQ(s.error().message(Lang::en), "row refused");
  EXPECT_EQ(s.error().where().file, "elsewhere");
  EXPECT_EQ(s.error().where().line, 42);
  EXPECT_EQ(s.error().where().field, "f");
}

// ---------------------------------------------------------------------------------------------
// Writing

TEST(CsvWrite, PlainFieldsAreNotQuoted) {
  std::string out;
  append_csv_record(out, {"a", "b c", "東京都", ""}, ';');
  EXPECT_EQ(out, "a;b c;東京都;\n");
  append_csv_record(out, {"x", "y"}, ',');
  EXPECT_EQ(out, "a;b c;東京都;\nx,y\n");
}

TEST(CsvWrite, QuotesFieldsWithDelimiterQuoteOrLineBreak) {
  std::string out;
  append_csv_record(out, {"x;y", "say \"hi\"", "a\nb", "c\rd", "p,q"}, ';');
  EXPECT_EQ(out, "\"x;y\";\"say \"\"hi\"\"\";\"a\nb\";\"c\rd\";p,q\n");

  std::string comma;
  append_csv_record(comma, {"x;y", "p,q"}, ',');
  EXPECT_EQ(comma, "x;y,\"p,q\"\n");
}

TEST(CsvWrite, RecordsRoundTripThroughParse) {
  const std::vector<Fields> records = {
      {"id", "名前", "メモ"},
      {"1", "山田太郎", "plain"},
      {"2", "x;y", "p,q"},
      {"3", "say \"hi\"", "\""},
      {"4", "line one\nline two", "crlf\r\ninside"},
      {"5", "", ""},
      {"6", "\"\"", " spaced "},
      {"", "東京都千代田区1-1;2F", "ｶﾀｶﾅ"},
  };
  for (char delimiter : {';', ','}) {
    std::string out;
    for (const auto& rec : records) {
      std::vector<std::string_view> views(rec.begin(), rec.end());
      append_csv_record(out, views, delimiter);
    }
    auto r = parse_all(out, CsvOptions{.delimiter = delimiter});
    ASSERT_TRUE(r) << r.error().describe(Lang::en) << "\n" << out;
    EXPECT_EQ(r->records, records) << "delimiter " << delimiter << ":\n" << out;
  }
}

TEST(CsvWrite, ARecordOfOneEmptyFieldRoundTrips) {
  std::string out;
  append_csv_record(out, {"name"}, ';');
  append_csv_record(out, {""}, ';');
  append_csv_record(out, {"x"}, ';');
  auto r = parse_all(out, CsvOptions{.delimiter = ';'});
  ASSERT_TRUE(r) << r.error().describe(Lang::en);
  EXPECT_THAT(r->records, ElementsAre(Fields{"name"}, Fields{""}, Fields{"x"}));
}

// ---------------------------------------------------------------------------------------------
// Table

TEST(TableParse, HeaderAndRows) {
  auto t = parse_table("name;age;city\nA;30;東京\nB;40;大阪\nC;30;東京\n", "t.csv");
  ASSERT_TRUE(t) << t.error().describe(Lang::en);
  ASSERT_EQ(t->column_count(), 3u);
  ASSERT_EQ(t->row_count(), 3u);
  EXPECT_EQ(t->column(0).name, "name");
  EXPECT_EQ(t->column(1).name, "age");
  EXPECT_EQ(t->column(2).name, "city");
  EXPECT_EQ(t->find_column("age"), 1);
  EXPECT_EQ(t->find_column("city"), 2);
  EXPECT_EQ(t->find_column("Age"), -1);
  EXPECT_EQ(t->value(0, 0), "A");
  EXPECT_EQ(t->value(1, 1), "40");
  EXPECT_EQ(t->value(2, 2), "東京");
  for (std::size_t c = 0; c < 3; ++c) EXPECT_EQ(t->column(c).codes.size(), 3u);
}

TEST(TableParse, DictionaryCodesFollowFirstAppearance) {
  auto t = parse_table("city;n\n東京;1\n大阪;2\n東京;3\n京都;4\n大阪;5\n", "t.csv");
  ASSERT_TRUE(t) << t.error().describe(Lang::en);
  const Column& city = t->column(0);
  EXPECT_THAT(city.codes.unpacked(), ElementsAre(0u, 1u, 0u, 2u, 1u));
  EXPECT_THAT(city.dictionary.values(), ElementsAre("東京", "大阪", "京都"));
  EXPECT_EQ(city.dictionary.size(), 3u);
  EXPECT_EQ(city.dictionary.find("大阪"), 1);
  EXPECT_EQ(city.dictionary.find("京都"), 2);
  EXPECT_EQ(city.dictionary.find("名古屋"), -1);
  EXPECT_EQ(city.dictionary.value(2), "京都");
  EXPECT_THAT(t->column(1).codes.unpacked(), ElementsAre(0u, 1u, 2u, 3u, 4u));
}

TEST(TableParse, DictionaryInternIsStable) {
  Dictionary d;
  EXPECT_EQ(d.intern("b"), 0u);
  EXPECT_EQ(d.intern("a"), 1u);
  EXPECT_EQ(d.intern("b"), 0u);
  EXPECT_EQ(d.intern(""), 2u);
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.find(""), 2);
}

TEST(TableParse, ExplicitDelimiterAndCrlfAndBom) {
  auto t = parse_table(
      "\xEF\xBB\xBF"
      "a;b,c\r\n1;2,3\r\n",
      "t.csv", CsvOptions{.delimiter = ','});
  ASSERT_TRUE(t) << t.error().describe(Lang::en);
  ASSERT_EQ(t->column_count(), 2u);
  EXPECT_EQ(t->column(0).name, "a;b");
  EXPECT_EQ(t->column(1).name, "c");
  EXPECT_EQ(t->value(0, 0), "1;2");
  EXPECT_EQ(t->value(0, 1), "3");
}

TEST(TableParse, HeaderOnlyGivesNoRows) {
  auto t = parse_table("a;b\n", "t.csv");
  ASSERT_TRUE(t) << t.error().describe(Lang::en);
  EXPECT_EQ(t->column_count(), 2u);
  EXPECT_EQ(t->row_count(), 0u);
}

TEST(TableParse, ShortRowNamesTheLineAndBothCounts) {
  auto t = parse_table("a;b;c\n1;2;3\n4;5\n", "t.csv");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Errc::invalid_input);
  EXPECT_EQ(t.error().where().file, "t.csv");
  EXPECT_EQ(t.error().where().line, 3);
  EXPECT_THAT(t.error().message(Lang::en), HasSubstr("2 fields"));
  EXPECT_THAT(t.error().message(Lang::en), HasSubstr("3 columns"));
  EXPECT_THAT(t.error().message(Lang::ja), HasSubstr("2"));
  EXPECT_THAT(t.error().message(Lang::ja), HasSubstr("3"));
}

TEST(TableParse, LongRowNamesTheLineAndBothCounts) {
  // Blank lines and a multi-line quoted field still count towards the line number.
  auto t = parse_table("a;b\n\n\"x\ny\";1\n\n2;3;4;5\n", "t.csv");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Errc::invalid_input);
  EXPECT_EQ(t.error().where().line, 6);
  EXPECT_THAT(t.error().message(Lang::en), HasSubstr("4 fields"));
  EXPECT_THAT(t.error().message(Lang::en), HasSubstr("2 columns"));
}

TEST(TableParse, DuplicateHeaderNameIsRefused) {
  auto t = parse_table("id;name;id\n1;a;2\n", "t.csv");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Errc::invalid_input);
  EXPECT_EQ(t.error().where().file, "t.csv");
  EXPECT_EQ(t.error().where().line, 1);
  EXPECT_EQ(t.error().where().column, 3);
  EXPECT_EQ(t.error().where().field, "id");
  EXPECT_THAT(t.error().message(Lang::en), HasSubstr("\"id\""));
  EXPECT_THAT(t.error().message(Lang::ja), HasSubstr("id"));
}

TEST(TableParse, EmptyHeaderNameIsRefused) {
  auto t = parse_table("\n\nid;;name\n1;2;3\n", "t.csv", CsvOptions{.delimiter = ';'});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Errc::invalid_input);
  EXPECT_EQ(t.error().where().file, "t.csv");
  EXPECT_EQ(t.error().where().line, 3);
  EXPECT_EQ(t.error().where().column, 2);
  EXPECT_THAT(t.error().message(Lang::en), HasSubstr("column 2"));

  auto trailing = parse_table("id;name;\n", "t.csv");
  ASSERT_FALSE(trailing);
  EXPECT_EQ(trailing.error().where().column, 3);
}

TEST(TableParse, EmptyInputIsRefused) {
  for (std::string text : {"", "\n\n", "\xEF\xBB\xBF", "\r\n"}) {
    auto t = parse_table(text, "empty.csv");
    ASSERT_FALSE(t) << "accepted: " << text;
    EXPECT_EQ(t.error().code(), Errc::invalid_input);
    EXPECT_EQ(t.error().where().file, "empty.csv");
  }
}

TEST(TableParse, CsvErrorsAreReportedAsTheyAre) {
  auto t = parse_table("a;b\n1;\"x\"y\n", "t.csv");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Errc::invalid_input);
  EXPECT_EQ(t.error().where().line, 2);
  EXPECT_EQ(t.error().where().column, 6);

  auto sjis = parse_table("a;b\n1;\x82\xA0\n", "t.csv");
  ASSERT_FALSE(sjis);
  EXPECT_EQ(sjis.error().where().line, 2);
  EXPECT_EQ(sjis.error().where().column, 3);
}

// Counted four rows at a time: every remainder of the row count modulo four, and a value that
// never occurs after the first row.
TEST(TableColumn, ValueCountsAreRowsPerCode) {
  for (std::uint32_t rows = 0; rows <= 9; ++rows) {
    Table t(std::vector<std::string>{"x"});
    t.add_row({"first"});
    for (std::uint32_t r = 0; r < rows; ++r) t.add_row({r % 3 == 0 ? "a" : "b"});
    const std::uint32_t a = (rows + 2) / 3, b = rows - a;
    std::vector<std::uint32_t> want{1};
    if (a > 0) want.push_back(a);
    if (b > 0) want.push_back(b);
    EXPECT_EQ(t.column(0).value_counts(), want) << rows << " rows after the first";
  }
}

// Codes take one byte up to 255, two up to 65 535, four beyond; widening keeps every code.
TEST(TableColumn, CodesWidenAsTheLargestCodeGrows) {
  Codes codes;
  std::vector<std::uint32_t> want;
  auto push = [&](std::uint32_t code) {
    codes.push_back(code);
    want.push_back(code);
  };
  push(0);
  push(255);
  EXPECT_EQ(codes.width(), 1);
  push(256);
  EXPECT_EQ(codes.width(), 2);
  push(7);
  push(65'535);
  EXPECT_EQ(codes.width(), 2);
  push(65'536);
  EXPECT_EQ(codes.width(), 4);
  push(4'000'000'000u);
  ASSERT_EQ(codes.size(), want.size());
  EXPECT_EQ(codes.unpacked(), want);
  for (std::size_t r = 0; r < want.size(); ++r) EXPECT_EQ(codes[r], want[r]) << r;
  std::uint64_t sum = codes.visit([&](const auto* c) {
    std::uint64_t total = 0;
    for (std::size_t r = 0; r < codes.size(); ++r) total += c[r];
    return total;
  });
  EXPECT_EQ(sum, std::accumulate(want.begin(), want.end(), std::uint64_t{0}));
}

TEST(TableColumn, ResizedCodesAreZeroAndWideEnoughForTheLargest) {
  for (auto [largest, width] : {std::pair{255u, 1}, {256u, 2}, {65'535u, 2}, {65'536u, 4}}) {
    Codes codes;
    codes.push_back(9);
    codes.resize(3, largest);
    EXPECT_EQ(codes.width(), width) << largest;
    EXPECT_EQ(codes.unpacked(), (std::vector<std::uint32_t>{0, 0, 0}));
    codes.visit([&](auto* c) { c[2] = static_cast<std::remove_pointer_t<decltype(c)>>(largest); });
    EXPECT_EQ(codes[2], largest);
  }
}

// A column of more than 256 distinct values read from CSV keeps each row's value.
TEST(TableColumn, ManyValuesSurviveWidening) {
  std::string csv = "n\n";
  for (int i = 0; i < 70'000; ++i) csv += std::to_string(i % 66'000) + "\n";
  auto t = parse_table(csv, "many.csv");
  ASSERT_TRUE(t) << t.error().describe(Lang::en);
  EXPECT_EQ(t->column(0).codes.width(), 4);
  for (std::size_t r : {0u, 255u, 256u, 65'535u, 65'999u, 66'000u, 69'999u}) {
    EXPECT_EQ(t->value(r, 0), std::to_string(r % 66'000)) << r;
  }
}

TEST(TableRead, ReadsAFileAndNamesItInErrors) {
  testing::TempDir dir;
  testing::write_file(dir / "ok.csv", "x,y\n1,2\n3,4\n");
  auto t = read_table(dir / "ok.csv");
  ASSERT_TRUE(t) << t.error().describe(Lang::en);
  EXPECT_EQ(t->row_count(), 2u);
  EXPECT_EQ(t->value(1, 1), "4");

  testing::write_file(dir / "bad.csv", "x;y\n1;2\n3\n");
  auto bad = read_table(dir / "bad.csv");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::invalid_input);
  EXPECT_EQ(bad.error().where().file, (dir / "bad.csv").string());
  EXPECT_EQ(bad.error().where().line, 3);
}

TEST(TableRead, MissingFileIsNotFound) {
  testing::TempDir dir;
  auto t = read_table(dir / "absent.csv");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Errc::not_found);
  EXPECT_EQ(t.error().where().file, (dir / "absent.csv").string());
}

TEST(TableRead, ArxAdultSample) {
  const auto path = testing::shared_data_dir() / "arx" / "adult.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto t = read_table(path);
  ASSERT_TRUE(t) << t.error().describe(Lang::en);
  EXPECT_EQ(t->row_count(), 30162u);
  ASSERT_EQ(t->column_count(), 9u);
  std::vector<std::string> names;
  for (std::size_t c = 0; c < t->column_count(); ++c) names.push_back(t->column(c).name);
  EXPECT_THAT(names, ElementsAre("sex", "age", "race", "marital-status", "education",
                                 "native-country", "workclass", "occupation", "salary-class"));
  EXPECT_EQ(t->value(0, 1), "39");
  EXPECT_EQ(t->value(0, 4), "Bachelors");
  // The file has CRLF line ends: the last column must not keep the '\r'.
  const int salary = t->find_column("salary-class");
  ASSERT_EQ(salary, 8);
  EXPECT_THAT(t->column(salary).dictionary.values(),
              ::testing::UnorderedElementsAre("<=50K", ">50K"));
  EXPECT_EQ(t->column(0).dictionary.size(), 2u);
  EXPECT_EQ(t->column(1).dictionary.size(), 72u);
}

}  // namespace
}  // namespace tokumei::anon
