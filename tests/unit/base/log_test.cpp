#include "tokumei/base/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_support.h"

namespace tokumei::log {
namespace {

using ::testing::HasSubstr;

TEST(Log, RenderIsAJsonBodyWithEscapedValues) {
  std::string body =
      Logger::render("store.migrated", {{"module", "audit"}, {"note", "引用符 \" と改行\n"}});
  auto j = nlohmann::json::parse("{" + body + "}");
  EXPECT_EQ(j["event"], "store.migrated");
  EXPECT_EQ(j["module"], "audit");
  EXPECT_EQ(j["note"], "引用符 \" と改行\n");
}

TEST(Log, FileGetsOneJsonObjectPerLineAtOrAboveTheLevel) {
  testing::TempDir dir;
  auto path = dir / "tokumei.log";
  {
    auto logger = Logger::open("test", Level::info, path);
    ASSERT_TRUE(logger.has_value()) << logger.error().describe(Lang::en);
    logger->debug("dropped.event");
    logger->info("kept.event", {{"n", "1"}});
    logger->error("bad.event", {{"reason", "disk full"}});
  }
  std::istringstream lines(testing::read_file(path));
  std::vector<nlohmann::json> events;
  for (std::string line; std::getline(lines, line);) events.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["event"], "kept.event");
  EXPECT_EQ(events[0]["level"], "info");
  EXPECT_EQ(events[0]["n"], "1");
  EXPECT_THAT(events[0]["time"].get<std::string>(), HasSubstr("T"));
  EXPECT_EQ(events[1]["level"], "error");
}

TEST(Log, ParseLevelNamesTheAllowedValues) {
  EXPECT_EQ(*parse_level("warn"), Level::warn);
  auto bad = parse_level("loud");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message(Lang::en), HasSubstr("debug, info, warn, error"));
}

TEST(Log, UnwritableFileIsALocatedError) {
  testing::TempDir dir;
  testing::write_file(dir / "plain-file", "not a folder");
  auto path = dir / "plain-file" / "x.log";  // a file's "subfolder" can never be made
  auto logger = Logger::open("test", Level::info, path);
  ASSERT_FALSE(logger.has_value());
  EXPECT_EQ(logger.error().code(), Errc::io);
  EXPECT_EQ(logger.error().where().file, path.string());
}

}  // namespace
}  // namespace tokumei::log
