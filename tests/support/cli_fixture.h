#pragma once
// What the integration tests of a deployment's commands share: running the built `tokumei`
// (messages in Japanese unless a test passes --lang), its --json output, and counting rows in the
// deployment's database.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokumei/crypto/totp.h"
#include "tokumei/store/sqlite_database.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::testing {

// A session token for `user_id` on the deployment in `dir`, logged in from the terminal "local"
// (the one init registers) with both factors. An account that does not exist yet is created with
// `role`; an existing one (the officer init made) gets a new password after a recorded identity
// check.
inline std::string login_session(const std::filesystem::path& dir, const std::string& user_id,
                                 security::Role role = security::Role::processing_staff,
                                 const std::string& qualification = "") {
  SystemClock clock;
  SystemRandom random;
  auto d = zones::Deployment::open(dir, {}, clock, random);
  EXPECT_TRUE(d) << d.error().describe(Lang::en);
  if (!d) return {};
  auto& accounts = (*d)->accounts();
  const audit::Actor setup{"system:test", "local"};
  if (!accounts.find(user_id)) {
    EXPECT_TRUE(accounts.create(setup, {user_id, "テスト", role, qualification}));
  }
  auto otp = accounts.reset_password(setup, user_id, {"test fixture", "n/a"});
  EXPECT_TRUE(otp) << otp.error().describe(Lang::en);
  if (!otp) return {};
  const std::string password = "Kusunoki!38q#T";
  EXPECT_TRUE(accounts.change_password("local", user_id, otp->password, password));
  auto totp = accounts.enroll_totp(setup, user_id);
  auto secret = base32_decode(totp->secret_base32);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch());
  auto code = crypto::totp_code(*secret, now.count(), {});
  auto login = (*d)->sessions().login("local", user_id, password, *code);
  EXPECT_TRUE(login) << login.error().describe(Lang::en);
  return login ? login->token : std::string();
}

class DeploymentCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = tokumei_binary();
    ASSERT_TRUE(std::filesystem::exists(binary_)) << binary_;
  }
  // ` --dir 'DIR'` for the deployment under test.
  std::string at() const { return " --dir '" + dir_.string() + "'"; }
  CommandResult tokumei(const std::string& args) {
    return run_command("TOKUMEI_LANG= TOKUMEI_SESSION=" + default_session_ + " " + binary_ + " " +
                       args);
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

  // `--session TOKEN` for `user_id` (see login_session), the same one for the whole test.
  std::string as(const std::string& user_id, security::Role role = security::Role::processing_staff,
                 const std::string& qualification = "") {
    if (auto it = sessions_.find(user_id); it != sessions_.end()) return it->second;
    return sessions_[user_id] = " --session " + login_session(dir_, user_id, role, qualification);
  }
  // Commands without --session run as `user_id` from now on (through TOKUMEI_SESSION).
  void operate_as(const std::string& user_id,
                  security::Role role = security::Role::processing_staff) {
    default_session_ = as(user_id, role).substr(std::string(" --session ").size());
  }

  TempDir tmp_;
  std::map<std::string, std::string> sessions_;
  std::string default_session_;
  std::string binary_;
  std::filesystem::path dir_ = tmp_ / "core";
};

}  // namespace tokumei::testing
