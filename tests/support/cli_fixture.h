#pragma once
// What the integration tests of a deployment's commands share: running the built `tokumei`
// (messages in Japanese unless a test passes --lang), its --json output, and counting rows in the
// deployment's database.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::testing {

class DeploymentCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = tokumei_binary();
    ASSERT_TRUE(std::filesystem::exists(binary_)) << binary_;
  }
  // ` --dir 'DIR'` for the deployment under test.
  std::string at() const { return " --dir '" + dir_.string() + "'"; }
  CommandResult tokumei(const std::string& args) {
    return run_command("TOKUMEI_LANG= " + binary_ + " " + args);
  }
  // `tokumei --json ARGS`, expecting `expected_exit`; a discarded value when the output is not
  // JSON.
  nlohmann::json json(const std::string& args, int expected_exit = 0) {
    const CommandResult r = tokumei("--json " + args);
    EXPECT_EQ(r.exit_code, expected_exit) << args << "\n" << r.output;
    return nlohmann::json::parse(r.output, nullptr, false);
  }
  // The first column of the first row `sql` gives in the deployment's database (-1 on failure).
  std::int64_t count(const std::string& sql, const std::vector<store::Value>& params = {}) {
    auto db = store::SqliteDatabase::open(dir_ / "data/tokumei.db", {});
    EXPECT_TRUE(db) << db.error().describe(Lang::en);
    if (!db) return -1;
    auto row = (*db)->query_one(sql, params);
    EXPECT_TRUE(row) << row.error().describe(Lang::en);
    return row ? row->integer(0) : -1;
  }

  TempDir tmp_;
  std::string binary_;
  std::filesystem::path dir_ = tmp_ / "core";
};

}  // namespace tokumei::testing
