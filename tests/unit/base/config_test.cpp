// Acceptance: "A configuration with an unknown key or a wrong type is rejected with file, line and
// key named." Every rule of Config::parse is checked for the exact file, line and key it reports.

#include "tokumei/base/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "support/test_support.h"

namespace tokumei::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Schema test_schema() {
  Schema s;
  s.fields = {
      {.key = "listen",
       .type = Type::string,
       .default_value = std::string("127.0.0.1:8443"),
       .help = {"待ち受けるアドレス", "address to listen on"}},
      {.key = "operator.name",
       .type = Type::string,
       .required = true,
       .help = {"認定事業者の名称", "name of the certified operator"}},
      {.key = "audit.log_path",
       .type = Type::string,
       .required = true,
       .help = {"監査ログの場所", "audit log file"}},
      {.key = "store.busy_timeout_ms",
       .type = Type::integer,
       .default_value = std::int64_t{5000},
       .min = 0,
       .max = 60000,
       .help = {"ロック待ちの上限（ミリ秒）", "lock wait limit (ms)"}},
      {.key = "store.journal_mode",
       .type = Type::string,
       .default_value = std::string("wal"),
       .one_of = {"wal", "delete"},
       .help = {"ジャーナル方式", "journal mode"}},
      {.key = "log.verbose",
       .type = Type::boolean,
       .default_value = false,
       .help = {"詳細ログ", "verbose log"}},
      {.key = "anonymize.suppression_ratio",
       .type = Type::floating,
       .default_value = 0.05,
       .help = {"削除できる行の割合", "share of rows that may be suppressed"}},
      {.key = "zones.enabled",
       .type = Type::string_array,
       .default_value = std::vector<std::string>{"intake"},
       .one_of = {"intake", "processing", "provision"},
       .help = {"有効にする区域", "zones to enable"}},
      {.key = "zones.labels",
       .type = Type::string_array,
       .help = {"区域の表示名", "zone display names"}},
      {.key = "security.lockout.max_attempts",
       .type = Type::integer,
       .default_value = std::int64_t{5},
       .min = 1,
       .help = {"ロックまでの失敗回数", "failures before lockout"}},
      {.key = "security.lockout.minutes",
       .type = Type::integer,
       .max = 1440,
       .help = {"ロック時間（分）", "lockout minutes"}},
  };
  return s;
}

// The two required keys, for tests about something else. Two lines.
constexpr const char* kRequired =
    "operator.name = \"Tokumei\"\naudit.log_path = \"/var/log/tokumei/audit.log\"\n";

std::vector<Error> errors_of(std::string_view text, const std::string& source = "tokumei.toml") {
  auto cfg = Config::parse(text, source, test_schema());
  EXPECT_FALSE(cfg.has_value()) << "expected the configuration to be rejected";
  if (cfg) return {};
  return cfg.error();
}

Config ok_config(std::string_view text) {
  auto cfg = Config::parse(text, "tokumei.toml", test_schema());
  if (!cfg) {
    std::string all;
    for (const auto& e : cfg.error()) all += e.describe(Lang::en) + "\n";
    ADD_FAILURE() << all;
    throw std::runtime_error("configuration rejected");
  }
  return std::move(*cfg);
}

// Asserts the one error's place and that every error is Errc::invalid_input.
void expect_at(const Error& e, const std::string& file, int line, const std::string& field) {
  EXPECT_EQ(e.code(), Errc::invalid_input);
  EXPECT_EQ(e.where().file, file);
  EXPECT_EQ(e.where().line, line);
  EXPECT_EQ(e.where().field, field);
}

// ---- Accepted files ----------------------------------------------------------------------

TEST(Config, ValidFileGivesValuesAndDefaults) {
  Config cfg = ok_config(
      "listen = \"0.0.0.0:9000\"\n"              // 1
      "\n"                                       // 2
      "[operator]\n"                             // 3
      "name = \"匿名加工株式会社\"\n"            // 4
      "[audit]\n"                                // 5
      "log_path = \"/srv/audit.log\"\n"          // 6
      "[store]\n"                                // 7
      "busy_timeout_ms = 250\n"                  // 8
      "journal_mode = \"delete\"\n"              // 9
      "[log]\n"                                  // 10
      "verbose = true\n"                         // 11
      "[anonymize]\n"                            // 12
      "suppression_ratio = 0.1\n"                // 13
      "[zones]\n"                                // 14
      "enabled = [\"intake\", \"provision\"]\n"  // 15
      "[security.lockout]\n"                     // 16
      "max_attempts = 3\n");                     // 17
  EXPECT_EQ(cfg.source(), "tokumei.toml");
  EXPECT_EQ(cfg.get_string("listen"), "0.0.0.0:9000");
  EXPECT_EQ(cfg.get_string("operator.name"), "匿名加工株式会社");
  EXPECT_EQ(cfg.get_string("audit.log_path"), "/srv/audit.log");
  EXPECT_EQ(cfg.get_int("store.busy_timeout_ms"), 250);
  EXPECT_EQ(cfg.get_string("store.journal_mode"), "delete");
  EXPECT_TRUE(cfg.get_bool("log.verbose"));
  EXPECT_DOUBLE_EQ(cfg.get_double("anonymize.suppression_ratio"), 0.1);
  EXPECT_THAT(cfg.get_strings("zones.enabled"), ElementsAre("intake", "provision"));
  EXPECT_EQ(cfg.get_int("security.lockout.max_attempts"), 3);

  EXPECT_TRUE(cfg.is_set("store.busy_timeout_ms"));
  EXPECT_EQ(cfg.line_of("listen"), 1);
  EXPECT_EQ(cfg.line_of("operator.name"), 4);
  EXPECT_EQ(cfg.line_of("store.busy_timeout_ms"), 8);
  EXPECT_EQ(cfg.line_of("zones.enabled"), 15);
  EXPECT_EQ(cfg.line_of("security.lockout.max_attempts"), 17);

  // Not written: defaulted, not set, line 0; without a default, the type's empty value.
  EXPECT_FALSE(cfg.is_set("security.lockout.minutes"));
  EXPECT_EQ(cfg.line_of("security.lockout.minutes"), 0);
  EXPECT_EQ(cfg.get_int("security.lockout.minutes"), 0);
  EXPECT_TRUE(cfg.get_strings("zones.labels").empty());
}

TEST(Config, DefaultsApplyWhenKeysAreAbsent) {
  Config cfg = ok_config(kRequired);
  EXPECT_EQ(cfg.get_string("listen"), "127.0.0.1:8443");
  EXPECT_EQ(cfg.get_int("store.busy_timeout_ms"), 5000);
  EXPECT_EQ(cfg.get_string("store.journal_mode"), "wal");
  EXPECT_FALSE(cfg.get_bool("log.verbose"));
  EXPECT_DOUBLE_EQ(cfg.get_double("anonymize.suppression_ratio"), 0.05);
  EXPECT_THAT(cfg.get_strings("zones.enabled"), ElementsAre("intake"));
  EXPECT_FALSE(cfg.is_set("store.busy_timeout_ms"));
  EXPECT_FALSE(cfg.is_set("listen"));
  EXPECT_TRUE(cfg.is_set("operator.name"));
  EXPECT_EQ(cfg.line_of("audit.log_path"), 2);
}

TEST(Config, DottedKeysAndInlineTablesAreTheSameAsTables) {
  Config cfg = ok_config(std::string(kRequired) +
                         "store.busy_timeout_ms = 10\n"                       // 3
                         "security = { lockout = { max_attempts = 9 } }\n");  // 4
  EXPECT_EQ(cfg.get_int("store.busy_timeout_ms"), 10);
  EXPECT_EQ(cfg.line_of("store.busy_timeout_ms"), 3);
  EXPECT_EQ(cfg.get_int("security.lockout.max_attempts"), 9);
  EXPECT_EQ(cfg.line_of("security.lockout.max_attempts"), 4);
}

TEST(Config, FloatingFieldAcceptsAnInteger) {
  Config cfg = ok_config(std::string(kRequired) + "[anonymize]\nsuppression_ratio = 1\n");
  EXPECT_DOUBLE_EQ(cfg.get_double("anonymize.suppression_ratio"), 1.0);
}

TEST(Config, BoundsAreInclusive) {
  Config cfg = ok_config(std::string(kRequired) +
                         "store.busy_timeout_ms = 60000\nsecurity.lockout.max_attempts = 1\n"
                         "security.lockout.minutes = -3\n");
  EXPECT_EQ(cfg.get_int("store.busy_timeout_ms"), 60000);
  EXPECT_EQ(cfg.get_int("security.lockout.max_attempts"), 1);
  EXPECT_EQ(cfg.get_int("security.lockout.minutes"), -3);  // only a max is declared
}

TEST(Config, EmptyArrayIsAValidStringArray) {
  Config cfg = ok_config(std::string(kRequired) + "zones.enabled = []\n");
  EXPECT_TRUE(cfg.is_set("zones.enabled"));
  EXPECT_TRUE(cfg.get_strings("zones.enabled").empty());
}

TEST(Config, EmptyFileIsValidWhenNothingIsRequired) {
  Schema schema{{{.key = "a.b", .type = Type::integer, .default_value = std::int64_t{7}}}};
  auto cfg = Config::parse("", "empty.toml", schema);
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->get_int("a.b"), 7);
  EXPECT_EQ(cfg->source(), "empty.toml");
}

// ---- Syntax ----------------------------------------------------------------------------------

TEST(Config, SyntaxErrorIsLocated) {
  auto errors = errors_of(std::string(kRequired) + "store.busy_timeout_ms = \n");
  ASSERT_EQ(errors.size(), 1u);
  const Error& e = errors[0];
  EXPECT_EQ(e.code(), Errc::invalid_input);
  EXPECT_EQ(e.where().file, "tokumei.toml");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_EQ(e.where().column, 25);
  EXPECT_THAT(e.describe(Lang::ja), HasSubstr("tokumei.toml:3:25: TOML の書式が正しくありません"));
  EXPECT_THAT(e.describe(Lang::en), HasSubstr("tokumei.toml:3:25: TOML syntax error"));
}

TEST(Config, DuplicateKeyIsASyntaxError) {
  auto errors = errors_of(std::string(kRequired) + "listen = \"a\"\nlisten = \"b\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where().line, 4);
}

// ---- Unknown keys ----------------------------------------------------------------------------

TEST(Config, UnknownKeyInATableIsNamedWithASuggestion) {
  auto errors = errors_of(std::string(kRequired) +
                          "[store]\n"                 // 3
                          "busy_timout_ms = 100\n");  // 4
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 4, "store.busy_timout_ms");
  EXPECT_EQ(errors[0].where().column, 1);
  EXPECT_EQ(errors[0].describe(Lang::ja),
            "tokumei.toml:4:1: store.busy_timout_ms: 未知の設定項目です。もしかして "
            "store.busy_timeout_ms ?");
  EXPECT_EQ(errors[0].describe(Lang::en),
            "tokumei.toml:4:1: store.busy_timout_ms: unknown key; did you mean "
            "store.busy_timeout_ms?");
}

TEST(Config, TranspositionCountsAsOneEdit) {
  auto errors = errors_of(std::string(kRequired) + "store.busy_tiemout_ms = 100\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "store.busy_tiemout_ms");
  EXPECT_THAT(errors[0].message(Lang::ja), HasSubstr("もしかして store.busy_timeout_ms ?"));
}

TEST(Config, UnknownTopLevelKey) {
  auto errors = errors_of(std::string(kRequired) + "lisen = \"x\"\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "lisen");
  EXPECT_THAT(errors[0].message(Lang::en), HasSubstr("did you mean listen?"));
}

TEST(Config, FarAwayUnknownKeyHasNoSuggestion) {
  auto errors = errors_of(std::string(kRequired) + "[store]\ncolour = \"blue\"\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 4, "store.colour");
  EXPECT_EQ(errors[0].message(Lang::ja), "未知の設定項目です");
  EXPECT_EQ(errors[0].message(Lang::en), "unknown key");
}

TEST(Config, KeyUnderTheWrongTableSuggestsWhereItBelongs) {
  auto errors = errors_of(std::string(kRequired) +
                          "[log]\n"                    // 3
                          "verbose = true\n"           // 4
                          "busy_timeout_ms = 100\n");  // 5: meant for [store]
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 5, "log.busy_timeout_ms");
  EXPECT_THAT(errors[0].message(Lang::en), HasSubstr("did you mean store.busy_timeout_ms?"));
}

TEST(Config, UnknownTableIsReportedOnceWithASuggestion) {
  auto errors = errors_of(
      "operator.name = \"T\"\n"  // 1
      "[audt]\n"                 // 2
      "log_path = \"/x.log\"\n"  // 3
      "busy_timeout_ms = 1\n");  // 4
  // The table, not each key in it; and audit.log_path is then missing.
  ASSERT_EQ(errors.size(), 2u);
  expect_at(errors[0], "tokumei.toml", 2, "audt");
  EXPECT_EQ(errors[0].message(Lang::ja), "未知の表（テーブル）です。もしかして audit ?");
  EXPECT_EQ(errors[0].message(Lang::en), "unknown table; did you mean audit?");
  expect_at(errors[1], "tokumei.toml", 0, "audit.log_path");
}

TEST(Config, UnknownTableInsideAKnownTable) {
  auto errors = errors_of(std::string(kRequired) + "[store.cache]\nsize = 3\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "store.cache");
  EXPECT_THAT(errors[0].message(Lang::en), HasSubstr("unknown table"));
}

TEST(Config, QuotedKeyWithADotIsNotAPath) {
  auto errors = errors_of(std::string(kRequired) + "\"store.journal_mode\" = \"wal\"\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "store.journal_mode");
  EXPECT_THAT(errors[0].message(Lang::en), HasSubstr("unknown key"));
}

// ---- Wrong types -----------------------------------------------------------------------------

TEST(Config, WrongTypeNamesFileLineKeyAndBothTypes) {
  auto errors = errors_of(
      "# Tokumei\n"                          // 1
      "operator.name = \"T\"\n"              // 2
      "audit.log_path = \"/x.log\"\n"        // 3
      "\n"                                   // 4
      "[store]\n"                            // 5
      "journal_mode = \"wal\"\n"             // 6
      "busy_timeout_ms = \"5 seconds\"\n");  // 7
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 7, "store.busy_timeout_ms");
  EXPECT_EQ(
      errors[0].describe(Lang::ja),
      "tokumei.toml:7:1: store.busy_timeout_ms: 整数を指定してください（文字列が書かれています）");
  EXPECT_EQ(errors[0].describe(Lang::en),
            "tokumei.toml:7:1: store.busy_timeout_ms: expected an integer (found a string)");
}

struct WrongTypeCase {
  std::string line;  // written as line 3, after kRequired
  std::string key;
  std::string ja;
  std::string en;
};

class ConfigWrongType : public ::testing::TestWithParam<WrongTypeCase> {};

TEST_P(ConfigWrongType, IsRejectedAtItsLine) {
  const auto& c = GetParam();
  auto errors = errors_of(std::string(kRequired) + c.line + "\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, c.key);
  EXPECT_EQ(errors[0].message(Lang::ja), c.ja);
  EXPECT_EQ(errors[0].message(Lang::en), c.en);
}

INSTANTIATE_TEST_SUITE_P(
    Types, ConfigWrongType,
    ::testing::Values(
        WrongTypeCase{"listen = 8443", "listen", "文字列を指定してください（整数が書かれています）",
                      "expected a string (found an integer)"},
        WrongTypeCase{"log.verbose = \"yes\"", "log.verbose",
                      "真偽値（true か false）を指定してください（文字列が書かれています）",
                      "expected a boolean (true or false) (found a string)"},
        WrongTypeCase{"store.busy_timeout_ms = 5.0", "store.busy_timeout_ms",
                      "整数を指定してください（小数が書かれています）",
                      "expected an integer (found a floating-point number)"},
        WrongTypeCase{"anonymize.suppression_ratio = \"5%\"", "anonymize.suppression_ratio",
                      "数値を指定してください（文字列が書かれています）",
                      "expected a number (found a string)"},
        WrongTypeCase{"zones.enabled = \"intake\"", "zones.enabled",
                      "文字列の配列を指定してください（文字列が書かれています）",
                      "expected an array of strings (found a string)"},
        WrongTypeCase{"listen = [\"a\"]", "listen",
                      "文字列を指定してください（配列が書かれています）",
                      "expected a string (found an array)"},
        WrongTypeCase{"listen = 2026-04-01", "listen",
                      "文字列を指定してください（日付が書かれています）",
                      "expected a string (found a date)"},
        // A table where a value belongs (inline form).
        WrongTypeCase{"store.busy_timeout_ms = { ms = 5 }", "store.busy_timeout_ms",
                      "整数を指定してください（表が書かれています）",
                      "expected an integer (found a table)"}));

TEST(Config, TableHeaderWhereAValueBelongs) {
  auto errors = errors_of(std::string(kRequired) +
                          "[store.busy_timeout_ms]\n"  // 3
                          "ms = 5\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "store.busy_timeout_ms");
  EXPECT_EQ(errors[0].message(Lang::en), "expected an integer (found a table)");
}

TEST(Config, ValueWhereATableBelongs) {
  auto errors = errors_of(
      "operator.name = \"T\"\n"  // 1
      "audit = \"/x.log\"\n");   // 2
  // audit.log_path is not reported missing as well: the table itself is the mistake.
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 2, "audit");
  EXPECT_EQ(
      errors[0].message(Lang::ja),
      "audit は表（テーブル）です。[audit] の下に項目を書いてください（文字列が書かれています）");
  EXPECT_EQ(errors[0].message(Lang::en),
            "audit is a table: write its keys under [audit] (found a string)");
}

TEST(Config, ArrayOfTablesWhereATableBelongs) {
  auto errors = errors_of(std::string(kRequired) +
                          "[[security]]\n"  // 3
                          "x = 1\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "security");
  EXPECT_THAT(errors[0].message(Lang::en), HasSubstr("(found an array)"));
}

TEST(Config, NonStringArrayElementIsLocatedAtTheElement) {
  auto errors = errors_of(std::string(kRequired) +
                          "zones.labels = [\n"  // 3
                          "  \"受付\",\n"       // 4
                          "  42,\n"             // 5
                          "]\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 5, "zones.labels");
  EXPECT_EQ(errors[0].where().column, 3);
  EXPECT_EQ(errors[0].message(Lang::ja),
            "文字列の配列を指定してください（2 番目の要素が整数です）");
  EXPECT_EQ(errors[0].message(Lang::en), "expected an array of strings (element 2 is an integer)");
}

TEST(Config, EveryBadArrayElementIsReported) {
  auto errors = errors_of(std::string(kRequired) + "zones.labels = [true, \"a\", 1.5]\n");
  ASSERT_EQ(errors.size(), 2u);
  expect_at(errors[0], "tokumei.toml", 3, "zones.labels");
  EXPECT_THAT(errors[0].message(Lang::en), HasSubstr("element 1 is a boolean"));
  EXPECT_THAT(errors[1].message(Lang::en), HasSubstr("element 3 is a floating-point number"));
}

// ---- Limits ----------------------------------------------------------------------------------

TEST(Config, IntegerAboveMax) {
  auto errors = errors_of(std::string(kRequired) + "store.busy_timeout_ms = 60001\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "store.busy_timeout_ms");
  EXPECT_EQ(errors[0].message(Lang::ja),
            "0 以上 60000 以下の整数を指定してください（60001 が書かれています）");
  EXPECT_EQ(errors[0].message(Lang::en), "expected an integer from 0 to 60000 (found 60001)");
}

TEST(Config, IntegerBelowMin) {
  auto errors = errors_of(std::string(kRequired) + "store.busy_timeout_ms = -1\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "store.busy_timeout_ms");
  EXPECT_THAT(errors[0].message(Lang::en), HasSubstr("(found -1)"));
}

TEST(Config, IntegerWithOnlyAMinOrOnlyAMax) {
  auto errors = errors_of(std::string(kRequired) +
                          "[security.lockout]\n"  // 3
                          "max_attempts = 0\n"    // 4
                          "minutes = 1441\n");    // 5
  ASSERT_EQ(errors.size(), 2u);
  expect_at(errors[0], "tokumei.toml", 4, "security.lockout.max_attempts");
  EXPECT_EQ(errors[0].message(Lang::ja), "1 以上の整数を指定してください（0 が書かれています）");
  EXPECT_EQ(errors[0].message(Lang::en), "expected an integer of at least 1 (found 0)");
  expect_at(errors[1], "tokumei.toml", 5, "security.lockout.minutes");
  EXPECT_EQ(errors[1].message(Lang::ja),
            "1440 以下の整数を指定してください（1441 が書かれています）");
  EXPECT_EQ(errors[1].message(Lang::en), "expected an integer of at most 1440 (found 1441)");
}

TEST(Config, StringNotInOneOfListsTheAllowedValues) {
  auto errors = errors_of(std::string(kRequired) + "store.journal_mode = \"WAL\"\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "store.journal_mode");
  EXPECT_EQ(errors[0].message(Lang::ja),
            "wal, delete のいずれかを指定してください（\"WAL\" が書かれています）");
  EXPECT_EQ(errors[0].message(Lang::en), "must be one of: wal, delete (found \"WAL\")");
}

TEST(Config, StringArrayElementNotInOneOf) {
  auto errors = errors_of(std::string(kRequired) + "zones.enabled = [\"intake\", \"sales\"]\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 3, "zones.enabled");
  EXPECT_EQ(errors[0].message(Lang::en),
            "element 2 must be one of: intake, processing, provision (found \"sales\")");
}

// ---- Required keys ---------------------------------------------------------------------------

TEST(Config, MissingRequiredKeyIsNamedAtTheFile) {
  auto errors = errors_of("audit.log_path = \"/x.log\"\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 0, "operator.name");
  EXPECT_EQ(errors[0].describe(Lang::ja),
            "tokumei.toml: operator.name: 必須の設定項目がありません（認定事業者の名称）");
  EXPECT_EQ(
      errors[0].describe(Lang::en),
      "tokumei.toml: operator.name: required key is missing (name of the certified operator)");
}

TEST(Config, WrongTypedRequiredKeyIsNotAlsoMissing) {
  auto errors = errors_of("operator.name = 1\naudit.log_path = \"/x.log\"\n");
  ASSERT_EQ(errors.size(), 1u);
  expect_at(errors[0], "tokumei.toml", 1, "operator.name");
}

// ---- Several problems ------------------------------------------------------------------------

TEST(Config, AllProblemsAreReportedInFileOrder) {
  auto errors = errors_of(
      "lisen = \"x\"\n"               // 1 unknown
      "[store]\n"                     // 2
      "busy_timeout_ms = \"slow\"\n"  // 3 wrong type
      "journal_mode = \"fast\"\n"     // 4 not in one_of
      "[security.lockout]\n"          // 5
      "max_attempts = 0\n"            // 6 below min
      "[zones]\n"                     // 7
      "enabled = [\"intake\", 3]\n"   // 8 bad element
      "[colour]\n"                    // 9 unknown table
      "x = 1\n",
      "/etc/tokumei/tokumei.toml");
  // ...and operator.name and audit.log_path are missing.
  ASSERT_EQ(errors.size(), 8u);
  const std::string f = "/etc/tokumei/tokumei.toml";
  expect_at(errors[0], f, 1, "lisen");
  expect_at(errors[1], f, 3, "store.busy_timeout_ms");
  expect_at(errors[2], f, 4, "store.journal_mode");
  expect_at(errors[3], f, 6, "security.lockout.max_attempts");
  expect_at(errors[4], f, 8, "zones.enabled");
  expect_at(errors[5], f, 9, "colour");
  expect_at(errors[6], f, 0, "operator.name");
  expect_at(errors[7], f, 0, "audit.log_path");
  EXPECT_EQ(errors[1].describe(Lang::en),
            "/etc/tokumei/tokumei.toml:3:1: store.busy_timeout_ms: expected an integer (found a "
            "string)");
}

// ---- Programming bugs ------------------------------------------------------------------------

TEST(Config, AccessorsThrowForUnknownKeysAndWrongTypes) {
  Config cfg = ok_config(kRequired);
  EXPECT_THROW((void)cfg.get_string("store.nope"), std::logic_error);
  EXPECT_THROW((void)cfg.get_int("store"), std::logic_error);  // a table, not a key
  EXPECT_THROW((void)cfg.get_int("audit.log_path"), std::logic_error);
  EXPECT_THROW((void)cfg.get_string("store.busy_timeout_ms"), std::logic_error);
  EXPECT_THROW((void)cfg.get_bool("listen"), std::logic_error);
  EXPECT_THROW((void)cfg.get_double("store.busy_timeout_ms"), std::logic_error);
  EXPECT_THROW((void)cfg.get_strings("listen"), std::logic_error);
  EXPECT_THROW((void)cfg.is_set("nope"), std::logic_error);
  EXPECT_THROW((void)cfg.line_of("nope"), std::logic_error);
}

TEST(Config, InconsistentSchemaIsAProgrammingBug) {
  auto parse_with = [](std::vector<Field> fields) {
    return Config::parse("", "x.toml", Schema{std::move(fields)});
  };
  EXPECT_THROW(parse_with({{.key = "a", .type = Type::string}, {.key = "a", .type = Type::string}}),
               std::logic_error);
  EXPECT_THROW(parse_with({{.key = "a", .type = Type::integer, .default_value = std::string("1")}}),
               std::logic_error);
  EXPECT_THROW(
      parse_with({{.key = "a", .type = Type::integer}, {.key = "a.b", .type = Type::integer}}),
      std::logic_error);
  EXPECT_THROW(parse_with({{.key = "a..b", .type = Type::integer}}), std::logic_error);
  EXPECT_THROW(
      parse_with({{.key = "a", .type = Type::integer, .default_value = std::int64_t{9}, .max = 5}}),
      std::logic_error);
  EXPECT_THROW(
      parse_with(
          {{.key = "a", .type = Type::string, .default_value = std::string("x"), .one_of = {"y"}}}),
      std::logic_error);
}

// ---- Files -----------------------------------------------------------------------------------

TEST(Config, LoadsARealFile) {
  testing::TempDir dir;
  const auto path = dir / "tokumei.toml";
  testing::write_file(path,
                      "[operator]\n"
                      "name = \"T\"\n"
                      "[audit]\n"
                      "log_path = \"/x.log\"\n"
                      "[store]\n"
                      "busy_timeout_ms = 1500\n");
  auto cfg = Config::load_file(path, test_schema());
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->source(), path.string());
  EXPECT_EQ(cfg->get_int("store.busy_timeout_ms"), 1500);
  EXPECT_EQ(cfg->line_of("store.busy_timeout_ms"), 6);
}

TEST(Config, ErrorsFromARealFileNameItsPath) {
  testing::TempDir dir;
  const auto path = dir / "conf" / "tokumei.toml";
  testing::write_file(path, std::string(kRequired) + "[store]\nbusy_timeout_ms = \"x\"\n");
  auto cfg = Config::load_file(path, test_schema());
  ASSERT_FALSE(cfg.has_value());
  ASSERT_EQ(cfg.error().size(), 1u);
  expect_at(cfg.error()[0], path.string(), 4, "store.busy_timeout_ms");
  EXPECT_THAT(cfg.error()[0].describe(),
              HasSubstr(path.string() + ":4:1: store.busy_timeout_ms: "));
}

TEST(Config, MissingFileIsAnIoErrorNamingThePath) {
  testing::TempDir dir;
  const auto path = dir / "absent.toml";
  auto cfg = Config::load_file(path, test_schema());
  ASSERT_FALSE(cfg.has_value());
  ASSERT_EQ(cfg.error().size(), 1u);
  EXPECT_EQ(cfg.error()[0].code(), Errc::io);
  EXPECT_THAT(cfg.error()[0].message(Lang::ja), HasSubstr(path.string()));
  EXPECT_THAT(cfg.error()[0].message(Lang::ja), HasSubstr("ファイルがありません"));
  EXPECT_THAT(cfg.error()[0].message(Lang::en), HasSubstr(path.string()));
}

TEST(Config, DirectoryIsAnIoError) {
  testing::TempDir dir;
  auto cfg = Config::load_file(dir.path(), test_schema());
  ASSERT_FALSE(cfg.has_value());
  ASSERT_EQ(cfg.error().size(), 1u);
  EXPECT_EQ(cfg.error()[0].code(), Errc::io);
  EXPECT_THAT(cfg.error()[0].message(Lang::en), HasSubstr(dir.path().string()));
  EXPECT_THAT(cfg.error()[0].message(Lang::en), Not(HasSubstr("TOML")));
}

}  // namespace
}  // namespace tokumei::config
